package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// A client's sign-in by link or code is recorded in the audit trail by
// the statement that spends the token. The sign-in store spends a token
// in one conditional UPDATE (it records the IP and user agent on the
// token's row); this trigger appends the sign_in entry in that same
// statement, so the entry commits with the spending, in one commit, and
// a crash cannot keep one without the other. Before, the entry was a
// second commit after it, a third of a sign-in's work.
//
// The entry is chained as hooks/audit chains every entry (its appendSQL):
// numbered after the tip, linked to the tip's hash, hashed by
// portico_audit_hash, which Portico registers on its connections.
// portico_audit_recording() is 0 in a program that records nothing (the
// benchmark's build without the trail, its bare limit), so the trigger
// writes nothing there; a program without these functions (sqlite3 on the
// file) cannot spend a client's token at all, rather than spend it
// unrecorded.
func init() {
	m.Register(func(app core.App) error {
		_, err := app.DB().NewQuery(`CREATE TRIGGER login_tokens_audit_sign_in AFTER UPDATE OF used ON login_tokens
			WHEN NEW.used != '' AND OLD.used = '' AND NEW.client != '' AND portico_audit_recording()
			BEGIN
				INSERT INTO audit_log (id, seq, at, actor_type, actor_id, actor_name, role, action, client, shown,
					record_collection, record_id, fields, detail, ip, user_agent, prev_hash, hash)
				SELECT printf('e%014d', seq), seq, NEW.used, 'client', NEW.client, name, 'client', 'sign_in', NEW.client, '[]',
					'clients', NEW.client, '[]', 'portico', NEW.redeemed_ip, NEW.redeemed_ua, prev,
					portico_audit_hash(printf('e%014d', seq), seq, NEW.used, 'client', NEW.client, name, 'client', 'sign_in', NEW.client, '[]',
						'clients', NEW.client, '[]', 'portico', NEW.redeemed_ip, NEW.redeemed_ua, prev)
				FROM (SELECT COALESCE(tip.seq, 0) + 1 AS seq, COALESCE(tip.hash, '') AS prev,
						COALESCE((SELECT CASE WHEN name != '' THEN name ELSE email END FROM clients WHERE id = NEW.client), '') AS name
					FROM (SELECT 1) LEFT JOIN (SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1) AS tip ON 1);
			END`).Execute()
		return err
	}, func(app core.App) error {
		_, err := app.DB().NewQuery("DROP TRIGGER IF EXISTS login_tokens_audit_sign_in").Execute()
		return err
	})
}
