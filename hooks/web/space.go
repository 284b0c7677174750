package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
)

// OutOfSpaceMessage is what a write the disk had no room for answers.
const OutOfSpaceMessage = "The server is out of disk space, so nothing was saved. Please try again later."

// sqliteFull is SQLite's primary result code for a full disk (SQLITE_FULL).
const sqliteFull = 13

// DiskFull tells whether err comes from a write the disk had no room for:
// SQLite's SQLITE_FULL or the file system's ENOSPC, however wrapped,
// inside PocketBase's API errors too.
func DiskFull(err error) bool {
	for err != nil {
		if errors.Is(err, syscall.ENOSPC) {
			return true
		}
		var coded interface{ Code() int }
		if errors.As(err, &coded) && coded.Code()&0xff == sqliteFull {
			return true
		}
		if text := err.Error(); strings.Contains(text, "database or disk is full") || strings.Contains(text, "no space left on device") {
			return true
		}
		var api *router.ApiError
		if !errors.As(err, &api) {
			return false
		}
		err, _ = api.RawData().(error)
	}
	return false
}

// DiskSpace answers the writes a full disk refuses and tells the operator.
type DiskSpace struct {
	out io.Writer // the console: the log itself lives on the full disk
	now func() time.Time

	mu      sync.Mutex
	said    time.Time
	refused int
}

// NewDiskSpace says what a full disk refuses on out.
func NewDiskSpace(out io.Writer) *DiskSpace {
	return &DiskSpace{out: out, now: time.Now}
}

// sayEvery is how often a full disk is said again while it lasts.
const sayEvery = time.Minute

// Refuse is middleware for the whole router: a request whose write the
// disk had no room for answers 503 with OutOfSpaceMessage instead of
// PocketBase's "Failed to create record." or a bare 500. Reads go on as
// before; once there is space again, so do writes.
func (d *DiskSpace) Refuse(e *core.RequestEvent) error {
	err := e.Next()
	if !DiskFull(err) {
		return err
	}
	d.Say(e.App, e.Request.Method+" "+e.Request.URL.Path, err)
	return e.Error(http.StatusServiceUnavailable, OutOfSpaceMessage, nil)
}

// Say tells the operator, on the console and in the log, that a write
// failed for want of disk space: at once, then at most once a minute
// with the count of writes refused since.
func (d *DiskSpace) Say(app core.App, what string, err error) {
	d.mu.Lock()
	d.refused++
	now := d.now()
	if now.Sub(d.said) < sayEvery {
		d.mu.Unlock()
		return
	}
	refused := d.refused
	d.said, d.refused = now, 0
	d.mu.Unlock()

	fmt.Fprintf(d.out, "OUT OF DISK SPACE: %s could not be saved (%d write(s) refused since the last notice): free space on the data dir's disk; Portico goes on by itself once there is room. %v\n",
		what, refused, err)
	app.Logger().Error("out of disk space", "write", what, "refused", refused, "error", err.Error())
}
