package audit

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"

	"portico/hooks/schema"
)

// Actions an entry names.
const (
	ActionView          = "view"
	ActionList          = "list"
	ActionCreate        = "create"
	ActionUpdate        = "update"
	ActionDelete        = "delete"
	ActionSignIn        = "sign_in"
	ActionSignInFailed  = "sign_in_failed"
	ActionSettings      = "settings_update"
	ActionBackup        = "backup_create"
	ActionRestore       = "backup_restore"
	ActionExport        = "audit_export"
	ActionPrint         = "print"
	ActionPacketReopen  = "packet_reopened"
	ActionStaffUnlock   = "staff_unlocked"
	ActionStaffInvite   = "staff_invited"
	ActionInvite        = "client_invited"
	ActionSignOut       = "sign_out"
	ActionDraftSaved    = "draft_saved"
	ActionPacketSubmit  = "packet_submitted"
	ActionTrailViewed   = "audit_view"
	ActionTrailVerified = "audit_verify"
	ActionMessageSent   = "message_sent"
	ActionDownload      = "download"
	// Documents between a client and the practice (hooks/messages).
	ActionDocumentAdded        = "document_added"
	ActionDocumentAcknowledged = "document_acknowledged"
	ActionDocumentSigned       = "document_signed"
	// A client's answers to an appointment (hooks/actions), and the
	// practice's to a request for another time.
	ActionConfirmed       = "appointment_confirmed"
	ActionCancelled       = "appointment_cancelled"
	ActionTimeRequested   = "time_requested"
	ActionRequestDeclined = "request_declined"
)

var errAppendOnly = errors.New("the audit log is append-only: its entries are never created by hand, changed or removed")

// guardAppendOnly keeps the log's collection as it is. Its entries need
// no guard of their own: the collection is a view (migration
// 1764_000055), whose records PocketBase neither creates, changes,
// deletes nor truncates, for superusers and Go code alike, and Portico
// appends to Table in SQL. But changing the view (its query or rules),
// deleting it, or importing a set of collections that changes or drops
// it would hide entries from the dashboard: an edit by other means.
func (t *Trail) guardAppendOnly() {
	forbidCollection := func(e *core.CollectionRequestEvent) error {
		if e.Collection.Name == Collection {
			return e.ForbiddenError(errAppendOnly.Error(), nil)
		}
		return e.Next()
	}
	t.app.OnCollectionUpdateRequest().BindFunc(forbidCollection)
	t.app.OnCollectionDeleteRequest().BindFunc(forbidCollection)
	t.app.OnCollectionsImportRequest().BindFunc(func(e *core.CollectionsImportRequestEvent) error {
		if err := t.importKeepsTheLog(e.CollectionsData, e.DeleteMissing); err != nil {
			return e.ForbiddenError(err.Error(), nil)
		}
		return e.Next()
	})
}

// importKeepsTheLog says why an import of collections would change or
// drop the log's collection, or nil if it leaves it as it is.
func (t *Trail) importKeepsTheLog(collections []map[string]any, deleteMissing bool) error {
	current, err := t.app.FindCollectionByNameOrId(Collection)
	if err != nil {
		return err
	}
	for _, imported := range collections {
		if imported["name"] != Collection && imported["id"] != current.Id {
			continue
		}
		if imported["id"] != current.Id || imported["name"] != Collection || imported["type"] != core.CollectionTypeView ||
			imported["viewQuery"] != current.ViewQuery || imported["listRule"] != nil || imported["viewRule"] != nil {
			return errAppendOnly
		}
		return nil
	}
	if deleteMissing {
		return errAppendOnly
	}
	return nil
}

// isClient is true for a request by a client about their own data: the
// portal's own reads are not "who has seen my record".
func isClient(auth *core.Record) bool {
	return auth != nil && auth.Collection().Name == schema.Clients
}

// recordReads records every read of client data through the records API
// by someone other than the client (the dashboard, the staff workspace):
// one entry per record viewed, one per list with the clients it showed.
func (t *Trail) recordReads() {
	collections := slices.Sorted(maps.Keys(clientOf))
	t.app.OnRecordViewRequest(collections...).BindFunc(func(e *core.RecordRequestEvent) error {
		if e.Auth == nil || isClient(e.Auth) {
			return e.Next()
		}
		if err := t.append(e.App, request(e.RequestEvent, ActionView).about(e.Record)); err != nil {
			return e.InternalServerError("", err)
		}
		return e.Next()
	})
	t.app.OnRecordsListRequest(collections...).BindFunc(func(e *core.RecordsListRequestEvent) error {
		if e.Auth == nil || isClient(e.Auth) {
			return e.Next()
		}
		entry := request(e.RequestEvent, ActionList).listing(e.Records)
		entry.RecordCollection = e.Collection.Name
		if err := t.append(e.App, entry); err != nil {
			return e.InternalServerError("", err)
		}
		return e.Next()
	})
}

// recordDownloads records every download of a protected file of client
// data (a message's attachment) by someone other than the client. The
// file route reads its person from the short-lived file token in the
// address, not from the Authorization header.
func (t *Trail) recordDownloads() {
	t.app.OnFileDownloadRequest(slices.Sorted(maps.Keys(clientOf))...).BindFunc(func(e *core.FileDownloadRequestEvent) error {
		auth := e.Auth
		if e.FileField.Protected {
			auth, _ = e.App.FindAuthRecordByToken(e.Request.URL.Query().Get("token"), core.TokenTypeFile)
		}
		if auth == nil || isClient(auth) {
			return e.Next()
		}
		entry := requestBy(e.RequestEvent, actorOf(auth), ActionDownload).about(e.Record)
		entry.Detail = e.ServedName
		if err := t.append(e.App, entry); err != nil {
			return e.InternalServerError("", err)
		}
		return e.Next()
	})
}

// listing fills in the clients a list of records showed: every one in
// shown, and the client when there is only one.
func (entry Entry) listing(records []*core.Record) Entry {
	var shown []string
	for _, record := range records {
		if client := entry.about(record).Client; client != "" && !slices.Contains(shown, client) {
			shown = append(shown, client)
		}
	}
	entry = entry.showing(shown)
	entry.Detail = fmt.Sprintf("%d records", len(records))
	return entry
}

// recordChanges records each create, update and delete through the
// records API, with the names of the fields it set, never their values.
// The change and its entry share one transaction, and the response waits
// for its commit, so a change is never on file without its entry.
func (t *Trail) recordChanges() {
	collections := append(slices.Sorted(maps.Keys(clientOf)), accessCollections...)
	t.app.OnRecordCreateRequest(collections...).BindFunc(func(e *core.RecordRequestEvent) error {
		return t.recordChange(e, ActionCreate)
	})
	t.app.OnRecordUpdateRequest(collections...).BindFunc(func(e *core.RecordRequestEvent) error {
		return t.recordChange(e, ActionUpdate)
	})
	t.app.OnRecordDeleteRequest(collections...).BindFunc(func(e *core.RecordRequestEvent) error {
		return t.recordChange(e, ActionDelete)
	})

	t.app.OnSettingsUpdateRequest().BindFunc(func(e *core.SettingsUpdateRequestEvent) error {
		entry := request(e.RequestEvent, ActionSettings)
		entry.Fields = jsonList(changedSettings(e.OldSettings, e.NewSettings))
		if err := t.append(e.App, entry); err != nil {
			return e.InternalServerError("", err)
		}
		return e.Next()
	})
	t.app.OnBackupCreate().BindFunc(func(e *core.BackupEvent) error {
		return t.recordBackup(e, ActionBackup)
	})
	t.app.OnBackupRestore().BindFunc(func(e *core.BackupEvent) error {
		return t.recordBackup(e, ActionRestore)
	})
}

func (t *Trail) recordChange(e *core.RecordRequestEvent, action string) error {
	before := e.Record.Original()
	if action == ActionCreate {
		before = core.NewRecord(e.Collection)
	}
	fields := changedFields(before, e.Record)
	app := e.App
	defer func() { e.App = app }()
	return app.RunInTransaction(func(tx core.App) error {
		e.App = tx
		if err := e.Next(); err != nil {
			return err
		}
		entry := request(e.RequestEvent, action).about(e.Record)
		if action != ActionDelete {
			entry.Fields = jsonList(fields)
		}
		return t.append(tx, entry)
	})
}

// changedFields names the fields whose values differ between two states
// of a record; the automatic id and dates are not a person's change.
func changedFields(before, after *core.Record) []string {
	var changed []string
	for _, field := range after.Collection().Fields {
		if _, automatic := field.(*core.AutodateField); automatic || field.GetName() == core.FieldNameId {
			continue
		}
		name := field.GetName()
		if !reflect.DeepEqual(before.Get(name), after.Get(name)) {
			changed = append(changed, name)
		}
	}
	return changed
}

// changedSettings names the sections of the settings that changed.
func changedSettings(old, new *core.Settings) []string {
	sections := map[string][2]any{
		"meta": {old.Meta, new.Meta}, "smtp": {old.SMTP, new.SMTP}, "s3": {old.S3, new.S3},
		"backups": {old.Backups, new.Backups}, "batch": {old.Batch, new.Batch}, "rateLimits": {old.RateLimits, new.RateLimits},
		"trustedProxy": {old.TrustedProxy, new.TrustedProxy}, "logs": {old.Logs, new.Logs},
	}
	var changed []string
	for _, name := range slices.Sorted(maps.Keys(sections)) {
		if !reflect.DeepEqual(sections[name][0], sections[name][1]) {
			changed = append(changed, name)
		}
	}
	return changed
}

// recordBackup records a backup or restore once it has worked. PocketBase
// runs them on behalf of a superuser's request or its cron, neither of
// which reaches the event, so the actor is the system and the detail the
// backup's name.
func (t *Trail) recordBackup(e *core.BackupEvent, action string) error {
	if err := e.Next(); err != nil {
		return err
	}
	return t.append(e.App, Entry{ActorType: ActorSystem, Action: action, Detail: e.Name})
}

// recordSignIns records each completed sign-in of staff (after their
// second factor) and superusers, and each wrong password, with its
// reason; a client's, by link or code, is appended by the statement that
// spends the token (migration 1764_000051). Wrong codes are refused before any hook, so
// the route middleware records those.
func (t *Trail) recordSignIns() {
	t.app.OnRecordAuthRequest().BindFunc(func(e *core.RecordAuthRequestEvent) error {
		switch {
		case e.AuthMethod == "":
			return e.Next() // a token refresh, not a sign-in
		case e.AuthMethod == schema.LoginTokenAuth && isClient(e.Record):
			return e.Next() // recorded by the statement that spent the token
		}
		return t.beforeSend(e.RequestEvent, e.Next, func(_ *heldResponse, err error) (Entry, bool) {
			if err != nil {
				return Entry{}, false // a first factor awaiting its code, or refused
			}
			entry := requestBy(e.RequestEvent, actorOf(e.Record), ActionSignIn).about(e.Record)
			entry.Detail = e.AuthMethod
			return entry, true
		})
	})
	// Before every other password hook, so that a refusal by one of them
	// (the staff lockout, its rate limit) is recorded too.
	t.app.OnRecordAuthWithPasswordRequest().Bind(&hook.Handler[*core.RecordAuthWithPasswordRequestEvent]{
		Id:       "portico.audit.password",
		Priority: -1,
		Func:     t.recordPasswordFailure,
	})
}

func (t *Trail) recordPasswordFailure(e *core.RecordAuthWithPasswordRequestEvent) error {
	err := e.Next()
	if err == nil || errors.Is(err, apis.ErrMFA) {
		return err
	}
	who := actor{kind: actorKind(e.Collection)}
	reason := "unknown account"
	if e.Record != nil {
		who = actorOf(e.Record)
		switch {
		case apis.ToApiError(err).Status == http.StatusTooManyRequests:
			reason = "too many tries"
		case !e.Record.GetDateTime("locked").IsZero():
			reason = "locked"
		case !e.Record.ValidatePassword(e.Password):
			reason = "wrong password"
		default:
			reason = "refused"
		}
	}
	entry := requestBy(e.RequestEvent, who, ActionSignInFailed)
	if e.Record != nil {
		entry = entry.about(e.Record)
	}
	entry.Detail = reason
	if appendErr := t.append(e.App, entry); appendErr != nil {
		return errors.Join(err, appendErr)
	}
	return err
}

// actorKind is the kind of person an auth collection's members are.
func actorKind(collection *core.Collection) string {
	switch collection.Name {
	case core.CollectionNameSuperusers:
		return ActorSuperuser
	case schema.Clients:
		return ActorClient
	}
	return ActorStaff
}
