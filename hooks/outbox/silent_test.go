package outbox_test

import (
	"net"
	"testing"
	"time"

	"portico/internal/testenv"
)

// TestSilentMailServerDoesNotHoldShutdown points Portico at a server that
// accepts the connection and then says nothing, and stops it with SIGTERM
// while the worker waits for the greeting.
func TestSilentMailServerDoesNotHoldShutdown(t *testing.T) {
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	accepted := make(chan net.Conn, 10)
	go func() {
		for {
			conn, err := silent.Accept()
			if err != nil {
				return
			}
			accepted <- conn // held open, never answered
		}
	}()

	portico := testenv.Serve(t, testenv.BuildPortico(t), "PORTICO_SMTP_URL=smtp://"+silent.Addr().String()+"?from=hello@harbor.test")
	portico.Invite("ada@example.org", "Ada Client")
	select {
	case conn := <-accepted:
		defer conn.Close()
	case <-time.After(30 * time.Second):
		t.Fatal("Portico never connected to the mail server")
	}

	started := time.Now()
	portico.Stop()
	if took := time.Since(started); took > 10*time.Second {
		t.Errorf("SIGTERM took %s to stop Portico while the mail server was silent; Docker and systemd kill it after 10s", took.Round(time.Second))
	}

	app := testenv.OpenDir(t, portico.Dir)
	var invite struct {
		State       string `db:"state"`
		Attempts    int    `db:"attempts"`
		NextAttempt string `db:"next_attempt"`
		LastError   string `db:"last_error"`
	}
	if err := app.DB().NewQuery("SELECT state, attempts, next_attempt, last_error FROM mail_outbox WHERE recipient = 'ada@example.org'").One(&invite); err != nil {
		t.Fatal(err)
	}
	// The shutdown is not the mail server's failure: an attempt counted
	// here would hold the invite back a retry delay after the restart.
	if invite.State != "pending" || invite.Attempts != 0 || invite.NextAttempt != "" || invite.LastError != "" {
		t.Errorf("the invite cut off by the shutdown is %+v; want pending, no attempt counted, due at once after the restart\n%s", invite, portico.Output)
	}
}
