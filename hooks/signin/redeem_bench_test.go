package signin_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/security"

	"portico/hooks/schema"
	"portico/internal/testenv"
)

// BenchmarkRedeem is one link sign-in from the button's POST to the auth
// response, in-process, so that a CPU profile shows where a redeem goes.
// The clients and their tokens are written straight into the tables
// beforehand, so that the profile holds little but the redeems; each
// token is a client's own, as a sign-in voids the client's other links:
//
//	go test ./hooks/signin/ -run '^$' -bench Redeem -benchtime 3000x -cpuprofile cpu.pprof
func BenchmarkRedeem(b *testing.B) {
	env := testenv.Start(b)
	env.Fill(schema.Clients, b.N, map[string]string{"id": "printf('bc%013d', i)", "email": "printf('bench-%d@example.test', i)",
		"tokenKey": "printf('bench%045d', i)", "name": "printf('Client %d', i)", "portal_access": "1"})
	tokens := make([]string, b.N)
	expires := schema.DateTime(env.Clock.Now().Add(time.Hour))
	err := env.App.RunInTransaction(func(tx core.App) error {
		for i := range tokens {
			tokens[i] = fmt.Sprintf("bench-token-%040d", i)
			_, err := tx.DB().Insert(schema.LoginTokens, dbx.Params{
				"id": fmt.Sprintf("bt%013d", i), "client": fmt.Sprintf("bc%013d", i+1), "staff": "", "purpose": schema.PurposeSignIn,
				"token_hash": security.SHA256(tokens[i]), "code_hmac": "", "expires": expires, "used": "",
				"failed_codes": 0, "requested_ip": "", "requested_ua": "", "redeemed_ip": "", "redeemed_ua": "",
				"created": expires, "updated": expires,
			}).Execute()
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	before := testenv.ProcessCPU()
	b.ResetTimer()
	for i := range b.N {
		if r := env.Post("/api/portal/redeem", map[string]string{"token": tokens[i]}); r.Status != http.StatusOK {
			b.Fatalf("redeem: %s; want 200", r)
		}
	}
	b.StopTimer()
	testenv.ReportCPU(b, before)
}
