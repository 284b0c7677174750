package staff_test

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"portico/internal/testenv"
)

// codeWork is what a code request writes before it answers: the code and
// its mail (the outbox worker's later statements are its own).
var codeWork = []string{"_otps", "INSERT INTO `mail_outbox`"}

// otpIdPattern is an otpId as PocketBase makes any record id.
var otpIdPattern = regexp.MustCompile(`^[a-z0-9]{15}$`)

// TestCodeRequestIsAnsweredAlikeForAnyAddress asks for a code for a
// staff member and for an address no one has, on the workspace's and the
// dashboard's accounts: the same answer (200 and an otpId, nothing else)
// and the same statements writing the same rows before it, so that neither
// the answer nor its timing says who has an account; only the account
// holder gets mail, no code is kept for the stranger, and the rate limits
// refuse a sixth request.
func TestCodeRequestIsAnsweredAlikeForAnyAddress(t *testing.T) {
	env := testenv.Start(t)
	sql := env.RecordSQL()
	owner := env.NewStaff("owner", nil)
	env.NewSuperuser("lee@harbor.test", "a long dashboard password")

	for _, accounts := range []struct{ collection, known string }{
		{"staff", owner.Email},
		{"_superusers", "lee@harbor.test"},
	} {
		ask := func(email string) (string, []testenv.Step) {
			t.Helper()
			mark := sql.Mark()
			r := env.Post("/api/collections/"+accounts.collection+"/request-otp", map[string]string{"email": email})
			otpId, _ := r.JSON["otpId"].(string)
			if r.Status != http.StatusOK || len(r.JSON) != 1 || !otpIdPattern.MatchString(otpId) {
				t.Fatalf("%s request-otp for %s: %s; want 200 with an otpId and nothing else", accounts.collection, email, r)
			}
			return otpId, sql.Since(mark, codeWork...)
		}
		_, known := ask(accounts.known)
		stranger := "nobody-" + accounts.collection + "@harbor.test"
		strangerOtp, unknown := ask(stranger)
		if !slices.Equal(known, unknown) || len(known) == 0 {
			t.Errorf("%s request-otp for an account's address ran\n%s\nand for an address no one has\n%s\nwant the same statements writing the same rows",
				accounts.collection, testenv.Describe(known), testenv.Describe(unknown))
		}
		env.Mail.Next(accounts.known, wait)
		env.NoMailTo(stranger)
		if n := env.Count("_otps", "id = '"+strangerOtp+"'"); n != 0 {
			t.Errorf("%s: a code was kept for the address no one has", accounts.collection)
		}

		// The limits still hold: Portico's per address for staff,
		// PocketBase's per IP for the dashboard.
		refusedAt := 0
		for n := 2; n <= 6 && refusedAt == 0; n++ { // the stranger's first is above
			if r := env.Post("/api/collections/"+accounts.collection+"/request-otp", map[string]string{"email": stranger}); r.Status == http.StatusTooManyRequests {
				refusedAt = n
			}
		}
		if refusedAt == 0 {
			t.Errorf("%s: 6 code requests for one address from one IP were all answered 200; want 429 by the 6th", accounts.collection)
		}
	}
}

// TestTheEmailedCodeIsQueuedWithItAndFinishesSignIn signs in to the
// workspace and to the dashboard with a password and then the emailed
// code: by the time request-otp answers, the code's mail is in the outbox
// and PocketBase has noted where the code went; the code in that mail is
// the second factor that finishes the sign-in.
func TestTheEmailedCodeIsQueuedWithItAndFinishesSignIn(t *testing.T) {
	env := testenv.Start(t)
	owner := env.NewStaff("owner", nil)
	env.NewSuperuser("lee@harbor.test", "a long dashboard password")

	for _, account := range []struct{ collection, email, password string }{
		{"staff", owner.Email, owner.Password},
		{"_superusers", "lee@harbor.test", "a long dashboard password"},
	} {
		api := "/api/collections/" + account.collection
		r := env.Post(api+"/auth-with-password", map[string]string{"identity": account.email, "password": account.password})
		mfaId, _ := r.JSON["mfaId"].(string)
		if r.Status != http.StatusUnauthorized || mfaId == "" {
			t.Fatalf("%s password: %s; want 401 asking for the emailed code", account.collection, r)
		}
		r = env.Post(api+"/request-otp", map[string]string{"email": account.email})
		otpId, _ := r.JSON["otpId"].(string)
		if queued := env.Count("mail_outbox", "recipient = '"+account.email+"'"); r.Status != http.StatusOK || queued != 1 {
			t.Fatalf("%s request-otp: %s with %d code mail(s) in the outbox at the answer; want 200 with it queued", account.collection, r, queued)
		}
		if n := env.Count("_otps", fmt.Sprintf("id = '%s' && sentTo = '%s'", otpId, account.email)); n != 1 {
			t.Errorf("%s: the code %s does not say it was sent to %s", account.collection, otpId, account.email)
		}

		msg := env.Mail.Next(account.email, wait)
		code := msg.StaffCode()
		if code == "" || !strings.Contains(msg.Subject, testenv.PracticeName) {
			t.Fatalf("%s: the code mail reads %q / %q; want the practice's name and a 6-digit code", account.collection, msg.Subject, msg.HTML)
		}
		r = env.Post(api+"/auth-with-otp", map[string]string{"otpId": otpId, "password": code, "mfaId": mfaId})
		token, _ := r.JSON["token"].(string)
		if r.Status != http.StatusOK || token == "" {
			t.Fatalf("%s: the emailed code as the second factor: %s; want 200 and a token", account.collection, r)
		}
		if account.collection == "staff" {
			if r := env.Do(http.MethodGet, "/api/staff/session", nil, "Authorization", token); r.Status != http.StatusOK {
				t.Errorf("the workspace session after the emailed code: %s; want 200", r)
			}
		}
	}
}

// TestUndeliveredCodeMailTakesTheCodeWithIt: a code mail the server
// refuses for good loses its body and its code, as PocketBase deletes a
// code it could not send; asking again sends a fresh code that signs in.
func TestUndeliveredCodeMailTakesTheCodeWithIt(t *testing.T) {
	env := testenv.Start(t)
	owner := env.NewStaff("owner", nil)

	env.Mail.Refuse(550)
	r := env.Post("/api/collections/staff/request-otp", map[string]string{"email": owner.Email})
	otpId, _ := r.JSON["otpId"].(string)
	if r.Status != http.StatusOK || otpId == "" {
		t.Fatalf("request-otp: %s; want 200 with an otpId", r)
	}
	env.Drain()
	failed, err := env.App.FindFirstRecordByFilter("mail_outbox", "recipient = {:to}", map[string]any{"to": owner.Email})
	if err != nil {
		t.Fatal(err)
	}
	if failed.GetString("state") != "failed" || failed.GetString("html_body") != "" {
		t.Errorf("the code mail refused with 550 is %q with body %q; want failed and emptied", failed.GetString("state"), failed.GetString("html_body"))
	}
	if n := env.Count("_otps", "id = '"+otpId+"'"); n != 0 {
		t.Errorf("the code of a mail that never went out is still there")
	}

	env.Mail.Refuse(0)
	if token := env.SignIn(owner); token == "" {
		t.Error("no session from a fresh code once the server takes mail")
	}
}

// BenchmarkCodeRequest times request-otp for a staff member's address
// and for one no one has, which run the same statements (see
// TestCodeRequestIsAnsweredAlikeForAnyAddress); the account's commits,
// the stranger's rolls back. Every fourth request the clock moves past
// the limits' window and the codes are cleared, with the timer stopped.
//
//	go test ./hooks/staff/ -run '^$' -bench CodeRequest -benchtime 400x -count 5
func BenchmarkCodeRequest(b *testing.B) {
	env := testenv.Start(b)
	owner := env.NewStaff("owner", nil)
	for _, who := range []struct{ name, email string }{
		{"account", owner.Email},
		{"no-account", "nobody@harbor.test"},
	} {
		b.Run(who.name, func(b *testing.B) {
			asked := 0
			for b.Loop() {
				if asked++; asked%4 == 0 {
					b.StopTimer()
					env.Clock.Advance(16 * time.Minute)
					if _, err := env.App.DB().NewQuery("DELETE FROM _otps").Execute(); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
				}
				if r := env.Post("/api/collections/staff/request-otp", map[string]string{"email": who.email}); r.Status != http.StatusOK {
					b.Fatalf("request-otp for %s: %s", who.email, r)
				}
			}
		})
	}
}
