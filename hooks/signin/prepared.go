package signin

import (
	"maps"
	"sync"

	"github.com/pocketbase/dbx"
)

// maxStatements bounds how many different statements are kept: an auth
// rule with parameters gets fresh parameter names on every sign-in, and
// such statements are prepared for one use only.
const maxStatements = 64

// idlePrepared is how many prepared copies of one statement are kept per
// database: one per reader connection is enough at any concurrency.
const idlePrepared = 16

// prepared keeps sign-in's statements prepared, so that SQLite parses and
// plans each once per connection rather than once per sign-in (a tenth
// of a redeem's processor time). A dbx query binds its parameters into
// itself, so each copy serves one caller at a time, and binds a copy of
// the caller's: dbx keeps the first map it is given and writes later
// callers' values into it, so a caller that went on using its map (a
// wrong code's count uses the lookup's) would have had another request's
// address in it.
type prepared struct {
	mu   sync.Mutex
	idle map[preparedKey]chan *dbx.Query
}

type preparedKey struct {
	db  dbx.Builder // a new database (after a restore) prepares anew
	sql string
}

// run binds params to a prepared copy of sql on db, calls use with it,
// and keeps the copy for the next caller.
func (p *prepared) run(db dbx.Builder, sql string, params dbx.Params, use func(*dbx.Query) error) error {
	key := preparedKey{db, sql}
	p.mu.Lock()
	if p.idle == nil {
		p.idle = map[preparedKey]chan *dbx.Query{}
	}
	idle, ok := p.idle[key]
	if !ok && len(p.idle) < maxStatements {
		idle = make(chan *dbx.Query, idlePrepared)
		p.idle[key] = idle
	}
	p.mu.Unlock()

	var query *dbx.Query
	select {
	case query = <-idle:
	default:
		query = db.NewQuery(sql).Prepare()
		if query.LastError != nil {
			return query.LastError
		}
	}
	err := use(query.Bind(maps.Clone(params)))
	select {
	case idle <- query:
	default:
		_ = query.Close()
	}
	return err
}
