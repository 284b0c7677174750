package staff_test

import (
	"net"
	"net/http"
	"testing"

	"portico/internal/testenv"
)

// codeBurst is how many staff ask for a sign-in code at once: from ten
// loopback addresses, since one address may ask for 20 codes in 15 minutes.
const (
	codeBurst      = 200
	codesPerSender = 20
	deskAddress    = "desk%05d@harbor.test" // in Go and in SQL
)

// TestAnsweredCodeRequestsSurviveACrash has 200 staff members ask for
// their sign-in code at once, stops Portico the moment the last answer is
// in (SIGTERM, and SIGKILL as a power cut or the OOM killer does), starts
// it again on the same data dir, and counts the mail at the SMTP server:
// everyone whose request was answered 200 gets their code. PocketBase
// mails the code from a goroutine after its answer, which a kill loses.
func TestAnsweredCodeRequestsSurviveACrash(t *testing.T) {
	desks := testenv.Addresses(deskAddress, codeBurst)
	senders := make([]*http.Client, codeBurst/codesPerSender)
	for i := range senders {
		dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(i+1))}}
		senders[i] = &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}}
	}
	testenv.AnsweredMailSurvivesStops(t, testenv.BuildPortico(t), "their sign-in code", nil,
		func(dir string) { addStaff(t, dir, codeBurst) },
		func(url string) []string {
			answered := testenv.PostAll(t, desks, codeBurst, http.StatusOK, url+"/api/collections/staff/request-otp",
				func(i int) *http.Client { return senders[i/codesPerSender] })
			if len(answered) < codeBurst {
				t.Errorf("%d of %d code requests were answered 200; want all", len(answered), codeBurst)
			}
			return answered
		})
}

// addStaff writes n front-desk staff members into the served data dir,
// desk00001@harbor.test and on.
func addStaff(t *testing.T, dir string, n int) {
	testenv.FillDir(t, dir, "staff", n, testenv.AuthColumns("desk", "printf('"+deskAddress+"', i)", true, map[string]string{
		"name":          "printf('Desk %d', i)",
		"role":          "'front_desk'",
		"clinician":     "''",
		"failed_logins": "0",
		"locked":        "''",
	}))
}
