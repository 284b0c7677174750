package appointments_test

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"portico/internal/testenv"
)

// TestCalendarLinesEndWithCRLF checks both ways a client gets an .ics:
// attached to mail and downloaded from the portal (RFC 5545 section 3.1).
func TestCalendarLinesEndWithCRLF(t *testing.T) {
	env := testenv.Start(t)
	client, _ := env.NewClient("Ada Client", "ada@example.com", true)
	starts := env.Clock.Now().Add(72 * time.Hour).Truncate(time.Minute)
	appointment := env.Book(client, env.NewClinician(), starts, "telehealth")
	env.Clock.Set(starts.Add(-48 * time.Hour))
	env.Sweep()
	reminder := env.Mail.Next("ada@example.com", testenv.Wait)

	download := env.Do(http.MethodGet, "/api/portal/appointments/"+appointment.Id+"/calendar", nil,
		"Authorization", env.SessionOf(client))
	if download.Status != http.StatusOK {
		t.Fatalf("calendar download: %s", download)
	}
	for where, raw := range map[string][]byte{"the reminder's appointment.ics": reminder.Attachments["appointment.ics"], "the portal's download": download.Body} {
		lines := bytes.SplitAfter(raw, []byte("\n"))
		if len(lines) < 5 {
			t.Fatalf("%s has %d lines:\n%s", where, len(lines), raw)
		}
		for i, line := range lines {
			if len(line) > 0 && !bytes.HasSuffix(line, []byte("\r\n")) {
				t.Errorf("%s: line %d %q does not end with CRLF; strict calendar apps refuse the file", where, i+1, line)
				break
			}
		}
	}
}
