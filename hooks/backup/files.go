package backup

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"filippo.io/age"
	"github.com/benbjohnson/litestream"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/filesystem"
)

// filesFolder is where uploaded files go in the replica, beside
// Litestream's LTX levels.
const filesFolder = "files"

// fileCopier copies PocketBase's uploaded files to the replica. Files are
// never changed once uploaded (a new upload is a new name), so a file is
// copied once; one deleted in the portal stays in the replica, where an
// earlier point in time may still need it.
type fileCopier struct {
	app     core.App
	replica string
	key     *key
	note    string // why files are not copied, when they are not
	prefix  string // of every file's object name

	mu   sync.Mutex // one sync at a time
	have map[string]bool
}

func newFileCopier(app core.App, replicaURL string, k *key) (*fileCopier, error) {
	c := &fileCopier{app: app, replica: replicaURL, key: k}
	if app.Settings().S3.Enabled {
		c.note = "uploaded files live in the S3 storage set in the dashboard, not on this machine: they are not copied"
	}
	fsys, prefix, err := openReplicaFiles(replicaURL)
	if err != nil {
		return nil, err
	}
	defer fsys.Close()
	c.prefix = prefix
	objects, err := fsys.List(prefix)
	if err != nil {
		return nil, fmt.Errorf("listing copied files: %w", err)
	}
	c.have = make(map[string]bool, len(objects))
	for _, o := range objects {
		c.have[path.Base(o.Key)] = true
	}
	return c, nil
}

// openReplicaFiles opens the replica named by replicaURL as a filesystem,
// with the credentials Litestream's S3 client reads, and returns the
// prefix of the files' object names in it.
func openReplicaFiles(replicaURL string) (*filesystem.System, string, error) {
	scheme, host, dir, query, _, err := litestream.ParseReplicaURLWithQuery(replicaURL)
	if err != nil {
		return nil, "", err
	}
	if scheme == "file" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, "", err
		}
		fsys, err := filesystem.NewLocal(dir)
		return fsys, filesFolder + "/", err
	}
	endpoint := query.Get("endpoint")
	if endpoint != "" && !strings.Contains(endpoint, "://") {
		endpoint = "https://" + endpoint
	}
	region := query.Get("region")
	if region == "" {
		region = "us-east-1"
	}
	fsys, err := filesystem.NewS3(host, region, endpoint,
		firstEnv("AWS_ACCESS_KEY_ID", "LITESTREAM_ACCESS_KEY_ID"),
		firstEnv("AWS_SECRET_ACCESS_KEY", "LITESTREAM_SECRET_ACCESS_KEY"),
		endpoint != "")
	if err != nil {
		return nil, "", err
	}
	return fsys, path.Join(strings.Trim(dir, "/"), filesFolder) + "/", nil
}

func firstEnv(names ...string) string {
	for _, name := range names {
		if v := os.Getenv(name); v != "" {
			return v
		}
	}
	return ""
}

// copied is how many files the replica holds.
func (c *fileCopier) copied() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.have)
}

// sync copies every uploaded file the replica does not have yet.
func (c *fileCopier) sync(ctx context.Context) error {
	if c.note != "" {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	root := filepath.Join(c.app.DataDir(), storageSubdir)
	var fsys *filesystem.System
	defer func() {
		if fsys != nil {
			fsys.Close()
		}
	}()
	err := filepath.WalkDir(root, func(name string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && name == root {
			return filepath.SkipDir
		}
		if err != nil || ctx.Err() != nil {
			return errors.Join(err, ctx.Err())
		}
		// Thumbnails are made again from the originals on request.
		if d.IsDir() && strings.HasPrefix(d.Name(), "thumbs_") {
			return filepath.SkipDir
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(root, name)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		object := c.key.fileName(rel)
		if c.have[object] {
			return nil
		}
		if fsys == nil {
			if fsys, _, err = openReplicaFiles(c.replica); err != nil {
				return err
			}
		}
		sealed, err := c.seal(rel, name)
		if err != nil {
			return err
		}
		if err := fsys.Upload(sealed, c.prefix+object); err != nil {
			return fmt.Errorf("uploading a file: %w", err)
		}
		c.have[object] = true
		return nil
	})
	if errors.Is(err, filepath.SkipDir) {
		return nil
	}
	return err
}

// seal is the object of one file: its path on the first line, then its
// bytes, all inside age.
func (c *fileCopier) seal(rel, name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out bytes.Buffer
	w, err := age.Encrypt(&out, c.key.identity.Recipient())
	if err != nil {
		return nil, err
	}
	if _, err := io.WriteString(w, rel+"\n"); err != nil {
		return nil, err
	}
	if _, err := io.Copy(w, f); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// restoreFiles writes every copied file under dataDir's storage folder and
// returns how many there were.
func restoreFiles(replicaURL string, k *key, dataDir string) (int, error) {
	fsys, prefix, err := openReplicaFiles(replicaURL)
	if err != nil {
		return 0, err
	}
	defer fsys.Close()
	objects, err := fsys.List(prefix)
	if err != nil {
		return 0, fmt.Errorf("listing copied files: %w", err)
	}
	root := filepath.Join(dataDir, storageSubdir)
	for _, o := range objects {
		if err := restoreFile(fsys, o.Key, k, root); err != nil {
			return 0, err
		}
	}
	return len(objects), nil
}

func restoreFile(fsys *filesystem.System, object string, k *key, root string) error {
	r, err := fsys.GetReader(object)
	if err != nil {
		return fmt.Errorf("reading %s: %w", object, err)
	}
	defer r.Close()
	plain, err := age.Decrypt(r, k.identity)
	if err != nil {
		return fmt.Errorf("%s: %w", object, explainDecryptError(err))
	}
	br := bufio.NewReader(plain)
	rel, err := br.ReadString('\n')
	if err != nil {
		return fmt.Errorf("%s: no file name inside: %w", object, err)
	}
	rel = strings.TrimSuffix(rel, "\n")
	if !filepath.IsLocal(filepath.FromSlash(rel)) {
		return fmt.Errorf("%s: names a file outside the storage folder: %q", object, rel)
	}
	target := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, br); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", object, err)
	}
	return f.Close()
}
