package audit_test

import (
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"

	"portico/hooks"
	"portico/hooks/schema"
	"portico/internal/testenv"
)

// BenchmarkStaffClientView is a staff member's client-page view through
// the records API, 8 at a time, each of a practice of 1,000 clients in
// turn, as `go run ./bench -trail` sends it; run it with -tags
// portico_notrail for the same without the trail, and with -cpuprofile
// to see where the trail's share goes. cpu-µs/op counts this process's
// CPU, the client side of the requests included.
//
//	go test ./hooks/audit/ -run '^$' -bench StaffClientView -benchtime 4000x -count 5 [-tags portico_notrail]
func BenchmarkStaffClientView(b *testing.B) {
	env := testenv.Start(b)
	const practice = 1000
	env.Fill(schema.Clients, practice, testenv.AuthColumns("bc", "printf('client%05d@example.test', i)", true,
		map[string]string{"name": "printf('Client %d', i)", "timezone": "'America/New_York'", "portal_access": "1"}))
	_, token := env.NewSuperuser("lee@harbor.test", "a long dashboard password")
	var next atomic.Int64
	b.SetParallelism(4) // 8 at a time on 2 cores
	before := testenv.ProcessCPU()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			path := fmt.Sprintf("/api/collections/%s/records/bc%013d", schema.Clients, next.Add(1)%practice+1)
			if r := env.Do(http.MethodGet, path, nil, "Authorization", token); r.Status != http.StatusOK {
				b.Errorf("opening %s: %s", path, r)
				return
			}
		}
	})
	b.StopTimer()
	testenv.ReportCPU(b, before)
}

// signInsBefore is how many times Ada has signed in before her wrong
// codes, as a client of the benchmark's practice has after its rounds:
// the one she spent last is read with her open one.
const signInsBefore = 6

// BenchmarkWrongCode times a wrong code typed for a client's address and
// for a stranger's, one request at a time, the two taking turns, and
// reports each kind's median: the work beneath signin.FailedCodeFloor,
// which is off here, whose gap the floor hides. Run it with -tags
// portico_notrail too, to see the trail's share of the gap:
//
//	go test ./hooks/audit/ -run '^$' -bench WrongCode -benchtime 2000x -count 5 [-tags portico_notrail]
func BenchmarkWrongCode(b *testing.B) {
	env := testenv.Start(b, func(c *hooks.Config) { c.LinksPerAddress, c.FailedCodeFloor = 1<<20, 0 })
	env.TrustForwardedFor()
	env.NewClient("Ada Client", "ada@example.com", true)
	for range signInsBefore {
		_, token := env.RequestLink("ada@example.com").SignInLink()
		if r := env.Post("/api/portal/redeem", map[string]string{"token": token}); r.Status != http.StatusOK {
			b.Fatalf("Ada signing in: %s", r)
		}
	}
	env.RequestLink("ada@example.com") // Ada has an open code, as one who just asked has
	env.Drain()
	testenv.TimeInTurns(b, []string{"client", "stranger"}, func(kind string, i int) {
		email := "ada@example.com"
		if kind == "stranger" {
			email = fmt.Sprintf("stranger%d@example.com", i)
		}
		r := env.Post("/api/portal/login-code", map[string]string{"email": email, "code": "000000"}, testenv.ForwardedFor(i)...)
		if r.Status != http.StatusBadRequest {
			b.Fatalf("a wrong code for %s: %s; want 400", email, r)
		}
	}, nil)
}
