package backup_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"portico/internal/testenv"
)

// killRounds is how many times each crash test kills the portal: enough
// to land in different moments of a sync, few enough to stay quick.
const killRounds = 3

// TestKillNineThenRestoreFromTheReplica runs the release binary with
// replication on, adds clients with an appointment and a packet each from
// four workers, kills the process with SIGKILL after a random number of
// acknowledged additions (the last round: when Litestream begins a
// checkpoint), restores from the replica alone and checks that the copy
// is one consistent moment with nothing acknowledged before it missing,
// then starts again on the old disk. At the end the disk is deleted, the
// replica restored and served, and every queued mail goes out exactly
// once. The canary client never appears in clear in the bucket.
func TestKillNineThenRestoreFromTheReplica(t *testing.T) {
	binary := testenv.BuildPortico(t)
	for _, r := range replicas(t) {
		t.Run(r.name, func(t *testing.T) {
			root := t.TempDir()
			dataDir := filepath.Join(root, "pb_data")
			env := []string{"PORTICO_REPLICA_URL=" + r.url, "PORTICO_SMTP_URL=smtp://" + testenv.FreeAddr(t)}
			if out, err := testenv.Command(binary, env, "superuser", "upsert", testenv.SuperuserEmail, testenv.SuperuserPassword, "--dir", dataDir); err != nil {
				t.Fatalf("superuser upsert: %v\n%s", err, out)
			}
			load := &testenv.ClientLoad{}
			for round := range killRounds {
				restored := filepath.Join(root, fmt.Sprintf("restored-%d", round))
				load.AtCheckpoint = round == killRounds-1
				check, err := testenv.KillRound(t, binary, env, dataDir, restored, load, func() {
					if round == 0 {
						if _, err := load.AddClient("Canary Client", canary); err != nil {
							t.Error(err)
						}
					}
				})
				if err != nil {
					t.Fatal(err)
				}
				for _, problem := range check.Problems {
					t.Errorf("after kill %d: %s", round+1, problem)
				}
				t.Logf("kill %d: %d acknowledged, %d restored, %d lost, RPO %v", round+1, check.Acked, check.Restored, check.Lost, check.RPO)
				if check.Checkpoint != "" {
					t.Logf("kill %d came %s Litestream's checkpoint copied data.db's pages", round+1, map[string]string{"during": "while", "after": "just after"}[check.Checkpoint])
				}
			}

			// The disk is lost: everything comes back from the replica.
			if err := os.RemoveAll(dataDir); err != nil {
				t.Fatal(err)
			}
			if out, err := testenv.Command(binary, env, "restore", "--to", dataDir, "--dir", filepath.Join(root, "scratch")); err != nil {
				t.Fatalf("portico restore: %v\n%s", err, out)
			}
			check, err := load.Check(dataDir)
			if err != nil {
				t.Fatal(err)
			}
			for _, problem := range check.Problems {
				t.Errorf("after the disk was lost: %s", problem)
			}
			portal := testenv.StartOn(t, dataDir)
			portal.Clock.Advance(24 * time.Hour) // past every retry the mail-less runs scheduled
			if err := portal.Portal.Outbox.Deliver(); err != nil {
				t.Fatalf("delivering the restored outbox: %v", err)
			}
			if pending := portal.Count("mail_outbox", "state = 'pending' || state = 'sending'"); pending != 0 {
				t.Errorf("%d messages still wait after a delivery pass on the restored portal", pending)
			}
			// Every mail queued before the kill goes out once: none lost,
			// none sent twice.
			sent := map[string]int{}
			for _, mail := range portal.Mail.All() {
				if strings.HasPrefix(mail.To, "load-") {
					sent[mail.To+"\x00"+mail.Subject]++
				}
			}
			total := 0
			for message, n := range sent {
				total += n
				if n != 1 {
					to, subject, _ := strings.Cut(message, "\x00")
					t.Errorf("%s got %q %d times after the restore; want exactly once", to, subject, n)
				}
			}
			if total != check.Queued {
				t.Errorf("the restored clients got %d mails; want the %d queued in the restored database", total, check.Queued)
			}

			for name, object := range r.read() {
				if strings.Contains(string(object), canary) {
					t.Errorf("the replica's %s holds the canary address in clear", name)
				}
			}
		})
	}
}
