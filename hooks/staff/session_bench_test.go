package staff_test

import (
	"net/http"
	"testing"

	"portico/internal/testenv"
)

// BenchmarkStaffRequest is what the session check costs a staff request:
// the same records list read with a superuser's token (no session row)
// and with a staff session's token (the row read on every request).
//
//	go test ./hooks/staff/ -run '^$' -bench StaffRequest -benchtime 2000x -count 5
func BenchmarkStaffRequest(b *testing.B) {
	env := testenv.Start(b)
	_, staffToken := env.StaffSession("owner", nil)
	for _, who := range []struct{ name, token string }{
		{"superuser", env.ClinicianToken()},
		{"staff-session", staffToken},
	} {
		b.Run(who.name, func(b *testing.B) {
			for b.Loop() {
				if r := env.Do(http.MethodGet, "/api/collections/clinicians/records", nil, "Authorization", who.token); r.Status != http.StatusOK {
					b.Fatalf("listing clinicians as %s: %s", who.name, r)
				}
			}
		})
	}
}
