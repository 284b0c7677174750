package backup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"filippo.io/age"
	"github.com/benbjohnson/litestream"
	"github.com/superfly/ltx"
)

// sealedClient is a Litestream replica client whose objects are age
// ciphertext: Litestream v0.5 has no encryption of its own, so every LTX
// file is sealed on its way to the inner client and opened on its way back.
//
// An object is a bare LTX header followed by the age file. Litestream's own
// clients read the header of what they write (the S3 and file clients take
// the file's timestamp from it, for point-in-time restore), so the bare
// header carries only what the object's name and date already tell: its
// transaction ids and timestamp. Pages, row counts and the database size
// are inside the ciphertext.
type sealedClient struct {
	inner     litestream.ReplicaClient
	recipient age.Recipient
	identity  age.Identity

	// ageHeaderSize is the size of an age header for this recipient, fixed
	// for an X25519 recipient; with it a listing turns object sizes into
	// LTX sizes without reading a byte.
	ageHeaderSize int64
}

const (
	ageChunkSize   = 64 << 10 // age's STREAM chunk
	ageTagSize     = 16       // Poly1305 tag per chunk
	ageNonceSize   = 16       // payload nonce after the header
	bareHeaderSize = ltx.HeaderSize
)

func newSealedClient(inner litestream.ReplicaClient, identity *age.X25519Identity) (*sealedClient, error) {
	c := &sealedClient{inner: inner, recipient: identity.Recipient(), identity: identity}
	var empty bytes.Buffer
	w, err := age.Encrypt(&empty, c.recipient)
	if err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	c.ageHeaderSize = int64(empty.Len()) - ageNonceSize - ageTagSize
	return c, nil
}

// plainSize is the LTX size held in an object of objectSize bytes.
func (c *sealedClient) plainSize(objectSize int64) int64 {
	payload := objectSize - bareHeaderSize - c.ageHeaderSize - ageNonceSize
	if payload < ageTagSize {
		return 0
	}
	chunks := (payload + ageChunkSize + ageTagSize - 1) / (ageChunkSize + ageTagSize)
	return payload - chunks*ageTagSize
}

func (c *sealedClient) Type() string                   { return c.inner.Type() }
func (c *sealedClient) Init(ctx context.Context) error { return c.inner.Init(ctx) }
func (c *sealedClient) SetLogger(l *slog.Logger)       { c.inner.SetLogger(l) }
func (c *sealedClient) DeleteAll(ctx context.Context) error {
	return c.inner.DeleteAll(ctx)
}

func (c *sealedClient) DeleteLTXFiles(ctx context.Context, files []*ltx.FileInfo) error {
	return c.inner.DeleteLTXFiles(ctx, files)
}

func (c *sealedClient) LTXFiles(ctx context.Context, level int, seek ltx.TXID, useMetadata bool) (ltx.FileIterator, error) {
	itr, err := c.inner.LTXFiles(ctx, level, seek, useMetadata)
	if err != nil {
		return nil, err
	}
	return &sealedIterator{FileIterator: itr, client: c}, nil
}

// WriteLTXFile seals the LTX file and hands the sealed stream to the inner
// client as it is encrypted, so a snapshot of a large database is never
// held in memory.
func (c *sealedClient) WriteLTXFile(ctx context.Context, level int, minTXID, maxTXID ltx.TXID, r io.Reader) (*ltx.FileInfo, error) {
	hdr, r, err := ltx.PeekHeader(r)
	if err != nil {
		return nil, fmt.Errorf("read ltx header: %w", err)
	}
	bare, err := (&ltx.Header{MinTXID: minTXID, MaxTXID: maxTXID, Timestamp: hdr.Timestamp}).MarshalBinary()
	if err != nil {
		return nil, err
	}

	pr, pw := io.Pipe()
	go func() {
		pw.CloseWithError(c.seal(pw, bare, r))
	}()
	info, err := c.inner.WriteLTXFile(ctx, level, minTXID, maxTXID, pr)
	pr.CloseWithError(errors.New("upload ended"))
	if err != nil {
		return nil, err
	}
	sealed := *info
	sealed.Size = c.plainSize(info.Size)
	return &sealed, nil
}

func (c *sealedClient) seal(w io.Writer, bare []byte, r io.Reader) error {
	if _, err := w.Write(bare); err != nil {
		return err
	}
	aw, err := age.Encrypt(w, c.recipient)
	if err != nil {
		return err
	}
	if _, err := io.Copy(aw, r); err != nil {
		return err
	}
	return aw.Close()
}

// OpenLTXFile decrypts from the start of the object: age authenticates
// chunk by chunk, and Litestream asks for ranges only to peek at headers
// or to resume a broken download, so skipping forward costs little.
func (c *sealedClient) OpenLTXFile(ctx context.Context, level int, minTXID, maxTXID ltx.TXID, offset, size int64) (io.ReadCloser, error) {
	rc, err := c.inner.OpenLTXFile(ctx, level, minTXID, maxTXID, 0, 0)
	if err != nil {
		return nil, err
	}
	plain, err := c.open(rc)
	if err != nil {
		rc.Close()
		return nil, fmt.Errorf("ltx file %d/%s-%s: %w", level, minTXID, maxTXID, err)
	}
	if offset > 0 {
		if _, err := io.CopyN(io.Discard, plain, offset); err != nil {
			rc.Close()
			return nil, fmt.Errorf("ltx file %d/%s-%s: seek to %d: %w", level, minTXID, maxTXID, offset, err)
		}
	}
	if size > 0 {
		plain = io.LimitReader(plain, size)
	}
	return struct {
		io.Reader
		io.Closer
	}{plain, rc}, nil
}

// open skips the bare header and returns the decrypted LTX stream.
func (c *sealedClient) open(r io.Reader) (io.Reader, error) {
	if _, err := io.CopyN(io.Discard, r, bareHeaderSize); err != nil {
		return nil, fmt.Errorf("short object: %w", err)
	}
	plain, err := age.Decrypt(r, c.identity)
	if err != nil {
		return nil, explainDecryptError(err)
	}
	return plain, nil
}

// explainDecryptError turns age's wording into what an operator can act on.
func explainDecryptError(err error) error {
	var noMatch *age.NoIdentityMatchError
	if errors.As(err, &noMatch) {
		return errors.New("the backup key does not open this replica: it was sealed with another key (check PORTICO_BACKUP_KEY_FILE)")
	}
	return fmt.Errorf("cannot decrypt: %w", err)
}

// sealedIterator reports LTX sizes in place of object sizes.
type sealedIterator struct {
	ltx.FileIterator
	client *sealedClient
}

func (i *sealedIterator) Item() *ltx.FileInfo {
	item := i.FileIterator.Item()
	if item == nil {
		return nil
	}
	sealed := *item // a fresh copy: callers keep the items they collect
	sealed.Size = i.client.plainSize(item.Size)
	return &sealed
}
