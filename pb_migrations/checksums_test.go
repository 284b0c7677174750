package pb_migrations_test

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// migrationName is the file name every migration has: 1764_0000NN_what.go.
var migrationName = regexp.MustCompile(`^\d{4}_\d{6}_[a-z0-9_]+\.go$`)

// TestLandedMigrationsAreUnchanged keeps every migration that has landed
// exactly as it landed: a data dir that already ran it would never run an
// edited version, so its schema would silently differ from a new one.
func TestLandedMigrationsAreUnchanged(t *testing.T) {
	listed := readChecksums(t, "checksums.txt")

	for _, name := range slices.Sorted(maps.Keys(listed)) {
		want := listed[name]
		content, err := os.ReadFile(name)
		if os.IsNotExist(err) {
			t.Errorf("%s is gone, but it has landed (checksums.txt lists it): put it back; "+
				"to undo what it did, add a new migration", name)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(content)
		if got := hex.EncodeToString(sum[:]); got != want {
			t.Errorf("%s changed after it landed (SHA-256 %s, checksums.txt has %s): "+
				"restore it (git checkout main -- pb_migrations/%s) and make the change in a new migration, "+
				"then add the new file's line to checksums.txt", name, got, want, name)
		}
	}

	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		if name == "doc.go" || strings.HasSuffix(name, "_test.go") {
			continue
		}
		if !migrationName.MatchString(name) {
			t.Errorf("%s is not named like a migration (1764_0000NN_what_changed.go; see doc.go for the numbers)", name)
			continue
		}
		if _, ok := listed[name]; !ok {
			t.Errorf("%s is not in checksums.txt: once it is final, add its line "+
				"(cd pb_migrations && sha256sum %s >> checksums.txt); from then on it never changes", name, name)
		}
	}
}

// readChecksums reads sha256sum's format: "<hex>  <file>" per line.
func readChecksums(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sums := map[string]string{}
	scanner := bufio.NewScanner(f)
	for line := 1; scanner.Scan(); line++ {
		sum, name, ok := strings.Cut(scanner.Text(), "  ")
		if !ok || len(sum) != sha256.Size*2 || name == "" {
			t.Fatalf("%s line %d: %q is not \"<sha256>  <file>\"", path, line, scanner.Text())
		}
		if _, twice := sums[name]; twice {
			t.Fatalf("%s line %d: %s is listed twice", path, line, name)
		}
		sums[name] = sum
	}
	if err := scanner.Err(); err != nil {
		t.Fatal(err)
	}
	return sums
}
