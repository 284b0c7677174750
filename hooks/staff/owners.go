package staff

import (
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"

	"portico/hooks/schema"
)

// registerOwners keeps at least one owner who can sign in: a practice
// whose last owner demoted or deleted themselves could invite nobody.
func (s *Staff) registerOwners() {
	s.app.OnRecordUpdate(schema.Staff).BindFunc(func(e *core.RecordEvent) error {
		if e.Record.Original().GetString("role") == RoleOwner && e.Record.GetString("role") != RoleOwner {
			if err := keepAnOwner(e.App, e.Record.Id); err != nil {
				return err
			}
		}
		return e.Next()
	})
	s.app.OnRecordDelete(schema.Staff).BindFunc(func(e *core.RecordEvent) error {
		if e.Record.GetString("role") == RoleOwner {
			if err := keepAnOwner(e.App, e.Record.Id); err != nil {
				return err
			}
		}
		return e.Next()
	})
}

func keepAnOwner(app core.App, leaving string) error {
	others, err := app.CountRecords(schema.Staff, dbx.HashExp{"role": RoleOwner}, dbx.Not(dbx.HashExp{"id": leaving}))
	if err != nil {
		return err
	}
	if others == 0 {
		return router.NewBadRequestError("The practice needs at least one owner: make someone else owner first.", nil)
	}
	return nil
}
