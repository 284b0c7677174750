package backup

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"
)

// key is the practice's backup key: an age X25519 identity, kept in a file
// in age's own format so `age -d -i FILE` opens any object by hand.
type key struct {
	identity *age.X25519Identity
	path     string
}

// errNoKey means the key file does not exist.
var errNoKey = errors.New("no backup key")

// loadKey reads the key file.
func loadKey(path string) (*key, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w at %s", errNoKey, path)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the backup key: %w", err)
	}
	for line := range strings.Lines(string(raw)) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		identity, err := age.ParseX25519Identity(line)
		if err != nil {
			return nil, fmt.Errorf("the backup key file %s does not hold an age key (AGE-SECRET-KEY-1...): %w", path, err)
		}
		return &key{identity: identity, path: path}, nil
	}
	return nil, fmt.Errorf("the backup key file %s is empty", path)
}

// createKey makes a new key and writes it to path, never over an existing
// file: a key replaced by mistake would orphan every copy sealed with it.
func createKey(path string, now time.Time) (*key, error) {
	identity, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating the backup key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("creating the backup key: %w", err)
	}
	_, err = fmt.Fprintf(f, "# Portico backup key, created %s\n# public key: %s\n%s\n",
		now.UTC().Format(time.RFC3339), identity.Recipient(), identity)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("writing the backup key: %w", err)
	}
	return &key{identity: identity, path: path}, nil
}

// Fingerprint names the key without revealing it: the first 16 hex digits
// of the SHA-256 of its public key.
func (k *key) Fingerprint() string {
	sum := sha256.Sum256([]byte(k.identity.Recipient().String()))
	return hex.EncodeToString(sum[:8])
}

// fileName is the replica's name for an uploaded file: a keyed hash of its
// path, as file names are the client's own ("ada-intake-scan.pdf").
func (k *key) fileName(path string) string {
	mac := hmac.New(sha256.New, []byte("portico files v1\x00"+k.identity.String()))
	io.WriteString(mac, path)
	return hex.EncodeToString(mac.Sum(nil)[:16])
}

// explainNewKey is printed once, when the key is made.
func explainNewKey(w io.Writer, k *key) {
	out := bufio.NewWriter(w)
	defer out.Flush()
	fmt.Fprintf(out, `
==== Portico made the practice's backup key =================================
Every copy sent to the replica is encrypted with this key. Nobody else has
it, Portico cannot recover it, and without it the copies cannot be opened:
if this machine's disk is lost together with the key, the backups are lost
too. Copy the three lines below into the practice's password manager or
print them and lock them away, now, before anything goes wrong.

%s
  (kept on this machine in %s)

  fingerprint %s   (portico backup key shows it again, never the key)
=============================================================================

`, keyFileText(k), k.path, k.Fingerprint())
}

// keyFileText is the key as stored and as an operator copies it.
func keyFileText(k *key) string {
	return fmt.Sprintf("# public key: %s\n%s", k.identity.Recipient(), k.identity)
}
