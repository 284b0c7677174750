package reminders_test

import (
	"strings"
	"testing"

	"portico/internal/testenv"
)

func TestRemindersRunOnANewDataDir(t *testing.T) {
	out, err := testenv.Command(testenv.BuildPortico(t), nil, "reminders", "run", "--dir", t.TempDir())
	if err != nil || strings.TrimSpace(out) != "0 reminder(s) queued; the running server delivers them." {
		t.Fatalf("portico reminders run on a data dir serve never opened: %v\n%s", err, out)
	}
}
