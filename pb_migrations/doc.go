// Package pb_migrations is the history of Portico's schema: one Go file per
// change, each creating or altering collections, fields, indexes and API
// rules in plain code, registered with PocketBase's migrations and run in
// file-name order by every command on a data dir.
//
// # Numbering
//
// Files are named 1764_0000NN_what_changed.go. The numbers come in blocks
// of ten, one block per capability, so work on two capabilities at once
// never picks the same number:
//
//	1764_000001-000004  clients, sign-in tokens, the mail outbox, the practice
//	1764_00001x         clinicians and appointments
//	1764_00002x         intake forms, assignments and responses
//	1764_00003x         security review fixes (issue 11)
//	1764_00004x         staff accounts and roles (issue 12)
//	1764_00005x         audit trail (issue 13)
//	1764_00006x         video sessions (issue 14)
//	1764_00007x         messages and documents (issue 15)
//	1764_00008x         backups (issue 16)
//	1764_00009x         performance (issue 17)
//	1764_0001xx         appointment actions (issue 18)
//
// A capability that outgrows its block takes the next free one and says so
// here.
//
// # Landed migrations never change
//
// A practice's data dir records which migrations it has run; a migration
// edited after it ran somewhere is never run again there, so the two
// databases would quietly differ. checksums.txt holds the SHA-256 of every
// landed file (the format of sha256sum, so `sha256sum -c checksums.txt` in this directory
// checks it too), and TestLandedMigrationsAreUnchanged fails when a listed
// file changed or disappeared, or a migration is missing from the list.
// To change the schema, add a new migration and its line:
//
//	sha256sum 1764_0000NN_what_changed.go >> pb_migrations/checksums.txt
package pb_migrations
