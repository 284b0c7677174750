package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"time"

	"portico/internal/testenv"
)

// mailWaitPerMessage bounds how long the benchmark waits for a burst's
// mail: generous, so that only a stuck outbox fails the run.
const mailWaitPerMessage = 100 * time.Millisecond

// linkBurstConcurrency is the number of clients asking for links at once.
const linkBurstConcurrency = 32

// signInMail is what a client needs from a sign-in email.
type signInMail struct {
	email, token, code string
}

// loginLinks asks t for a sign-in link for every address at once and
// waits until each email has reached the SMTP server. It records the
// burst and the time from its first request to the last message's
// arrival, under t's name.
func (b *bench) loginLinks(t target, emails []string) []signInMail {
	calls := make([]call, len(emails))
	for i, email := range emails {
		calls[i] = call{"/api/portal/login-link", map[string]string{"email": email}}
	}
	b.mail.Clear()
	began, cpu := time.Now(), cpuTime(t.pid)
	r := t.load.send(linkBurstConcurrency, calls, http.StatusAccepted, nil)
	b.record(t.name+"login-link", r)

	mails := b.awaitMail(len(emails), func(m testenv.Mail) bool {
		_, token := m.SignInLink()
		return token != ""
	})
	var last time.Time
	out := make([]signInMail, 0, len(mails))
	for _, m := range mails {
		if m.Received.After(last) {
			last = m.Received
		}
		_, token := m.SignInLink()
		out = append(out, signInMail{email: m.To, token: token, code: m.Code()})
	}
	b.figures.add(t.name+"login-link/last-mail", last.Sub(began).Seconds())
	if !b.inProcess {
		b.figures.add(t.name+"login-link/cpu-delivered", ms(cpuTime(t.pid)-cpu)/float64(len(emails)))
	}
	return out
}

// awaitMail waits until the SMTP server holds n messages that match and
// returns them. Others, such as a message of another kind still on its
// way from the previous round, are left aside.
func (b *bench) awaitMail(n int, match func(testenv.Mail) bool) []testenv.Mail {
	deadline := time.Now().Add(10*time.Second + time.Duration(n)*mailWaitPerMessage)
	var matching []testenv.Mail
	for {
		if b.mail.Count() >= n {
			matching = slices.DeleteFunc(b.mail.All(), func(m testenv.Mail) bool { return !match(m) })
			if len(matching) >= n {
				return matching
			}
		}
		if time.Now().After(deadline) {
			b.tb.Fatalf("only %d of %d emails reached the SMTP server", len(matching), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// redeem signs every mailed client in at t with the link's button,
// concurrency clients at a time.
func (b *bench) redeem(t target, concurrency int, mails []signInMail) {
	calls := make([]call, len(mails))
	for i, m := range mails {
		calls[i] = call{"/api/portal/redeem", map[string]string{"token": m.token}}
	}
	b.measure(t, fmt.Sprintf("redeem/%d", concurrency), concurrency, calls, http.StatusOK)
}

// loginCodes signs every mailed client in at t with the code typed on the
// sign-in page, concurrency clients at a time.
func (b *bench) loginCodes(t target, concurrency int, mails []signInMail) {
	calls := make([]call, len(mails))
	for i, m := range mails {
		calls[i] = call{"/api/portal/login-code", map[string]string{"email": m.email, "code": m.code}}
	}
	b.measure(t, fmt.Sprintf("login-code/%d", concurrency), concurrency, calls, http.StatusOK)
}

// otpPassword finds the password in PocketBase's default OTP email.
var otpPassword = regexp.MustCompile(`<strong>(\d+)</strong>`)

// otp is one PocketBase OTP as its user would use it.
type otp struct {
	id, password string
}

// requestOTPs asks PocketBase for an email OTP for every address at once
// and waits for the emails.
func (b *bench) requestOTPs(emails []string) []otp {
	calls := make([]call, len(emails))
	for i, email := range emails {
		calls[i] = call{"/api/collections/" + otpCollection + "/request-otp", map[string]string{"email": email}}
	}
	ids := make([]string, len(emails))
	b.mail.Clear()
	r := b.portico.load.send(linkBurstConcurrency, calls, http.StatusOK, func(i int, body []byte) {
		var answer struct {
			OTPId string `json:"otpId"`
		}
		if json.Unmarshal(body, &answer) == nil {
			ids[i] = answer.OTPId
		}
	})
	b.record("request-otp", r)

	passwords := map[string]string{}
	for _, m := range b.awaitMail(len(emails), func(m testenv.Mail) bool { return otpPassword.MatchString(m.HTML) }) {
		passwords[m.To] = otpPassword.FindStringSubmatch(m.HTML)[1]
	}
	out := make([]otp, len(emails))
	for i, email := range emails {
		out[i] = otp{id: ids[i], password: passwords[email]}
	}
	return out
}

// authWithOTPs signs every user in with its OTP, concurrency at a time.
func (b *bench) authWithOTPs(concurrency int, otps []otp) {
	calls := make([]call, len(otps))
	for i, o := range otps {
		calls[i] = call{"/api/collections/" + otpCollection + "/auth-with-otp", map[string]string{"otpId": o.id, "password": o.password}}
	}
	b.measure(b.portico, fmt.Sprintf("auth-with-otp/%d", concurrency), concurrency, calls, http.StatusOK)
}
