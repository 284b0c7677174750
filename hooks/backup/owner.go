package backup

import (
	"fmt"
	"net/http"
	"time"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"

	"portico/hooks/schema"
	"portico/hooks/staff"
	"portico/hooks/web"
)

// ownerState is GET /api/staff/backup: where the off-site copy stands, as
// the workspace's home page shows it to the practice's owner. The bucket
// and the key's secret never appear; the last error is one line.
type ownerState struct {
	Summary     string       `json:"summary"`
	Replicating bool         `json:"replicating"`
	Behind      uint64       `json:"behindTransactions"`
	LastCopy    time.Time    `json:"lastCopy,omitzero"`
	Problem     problem      `json:"problem,omitzero"`
	Drill       *DrillReport `json:"drill,omitempty"`
	Files       int          `json:"files"`
}

// streamingLag is how long transactions may wait for the copy before the
// owner is told it is behind: Litestream sends every second, so a few
// seconds is the copy working.
const streamingLag = 10 * time.Second

// registerOwnerView binds GET /api/staff/backup, for the owner only.
func (s *Service) registerOwnerView() {
	s.app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		se.Router.GET("/api/staff/backup", s.handleOwnerView).
			Bind(apis.RequireAuth(schema.Staff)).BindFunc(web.NoStore)
		return se.Next()
	})
}

func (s *Service) handleOwnerView(e *core.RequestEvent) error {
	if e.Auth.GetString("role") != staff.RoleOwner {
		return e.ForbiddenError("Only the practice's owner sees the state of the off-site copy.", nil)
	}
	return e.JSON(http.StatusOK, s.ownerState())
}

func (s *Service) ownerState() ownerState {
	if s.cfg.ReplicaURL == "" {
		return ownerState{Summary: "Off-site copies are off: whoever runs the server sets PORTICO_REPLICA_URL to turn them on (docs/backups.md)."}
	}
	st := s.currentStatus()
	out := ownerState{Replicating: st.Running, LastCopy: st.LastSync, Files: st.Files, Problem: st.Problem, Drill: st.Drill}
	if st.LocalTXID > st.ReplicaTXID {
		out.Behind = st.LocalTXID - st.ReplicaTXID
	}
	switch {
	case !st.Running && st.Problem.Message != "":
		out.Summary = "Off-site copies are not being made: " + st.Problem.Message + ". The portal works; Portico tries again every minute."
	case !st.Running:
		out.Summary = "Off-site copies start a moment after the portal does."
	case out.Behind > 0 && time.Since(st.LastSync) > streamingLag:
		out.Summary = fmt.Sprintf("The off-site copy is %d transactions behind; the last copy was sent %s.", out.Behind, clock(st.LastSync))
	case st.LastSync.IsZero():
		out.Summary = "The off-site copy is being made for the first time."
	default:
		out.Summary = fmt.Sprintf("The off-site copy is up to date: the last copy was sent %s.", clock(st.LastSync))
	}
	return out
}

// clock writes a moment as the owner reads it in the summary.
func clock(t time.Time) string {
	return "at " + t.UTC().Format("15:04:05") + " UTC"
}
