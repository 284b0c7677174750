package audit_test

import (
	"net/http"
	"testing"

	"portico/internal/testenv"
)

// BenchmarkStaffClientView is a staff member's client-page view through
// the records API, 8 at a time, as `go run ./bench -trail` sends it; run
// it with -tags portico_notrail for the same without the trail, and with
// -cpuprofile to see where the trail's share goes.
//
//	go test ./hooks/audit/ -run '^$' -bench StaffClientView -benchtime 4000x -count 5 [-tags portico_notrail]
func BenchmarkStaffClientView(b *testing.B) {
	env := testenv.Start(b)
	ada, _ := env.NewClient("Ada Client", "ada@example.com", true)
	_, token := env.NewSuperuser("lee@harbor.test", "a long dashboard password")
	path := "/api/collections/clients/records/" + ada.Id
	b.SetParallelism(4) // 8 at a time on 2 cores
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if r := env.Do(http.MethodGet, path, nil, "Authorization", token); r.Status != http.StatusOK {
				b.Errorf("opening Ada's page: %s", r)
				return
			}
		}
	})
}
