package letters

import (
	"errors"
	"net/http"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/mails"
	"github.com/pocketbase/pocketbase/tools/hook"

	"portico/hooks/schema"
)

// PocketBase's request-otp (the code staff and the dashboard's superusers
// get by mail, on its own or as the second factor after the password)
// saves the code, answers, and only then mails it from a goroutine: a
// restart or a crash right after the answer loses the mail, and the person
// waits for a code that never comes. Portico ends the route itself: the
// code and its mail in the outbox commit in one transaction before the
// answer, and the outbox sends what was committed, after a restart too.

// codeRequestPriority runs queueCode after every other handler of the
// request (the staff's caps on code mail among them): it answers, and
// PocketBase's own ending, which would mail the code a second time, never
// runs.
const codeRequestPriority = 1 << 20

// maxOpenCodes is PocketBase's cap on the codes one account can have
// open: past it, a request answers the newest again and mails nothing.
const maxOpenCodes = 9

// errNoAccount rolls back what queueCode did for an address that is no
// account's.
var errNoAccount = errors.New("no account has this address")

// queueCodesWithTheirMail binds queueCode to the request-otp of the two
// collections with emailed codes: staff, and the dashboard's _superusers.
// (The benchmark's baseline collection keeps PocketBase's own.)
func (l *Letters) queueCodesWithTheirMail() {
	l.App.OnRecordRequestOTPRequest(schema.Staff, core.CollectionNameSuperusers).Bind(&hook.Handler[*core.RecordCreateOTPRequestEvent]{
		Id:       "portico.queueCode",
		Func:     l.queueCode,
		Priority: codeRequestPriority,
	})
	// The code's mail carries the code: if Portico gives up on the mail,
	// the code goes too, as PocketBase deletes one it could not send.
	l.App.OnMailerRecordOTPSend(schema.Staff, core.CollectionNameSuperusers).BindFunc(func(e *core.MailerRecordEvent) error {
		otpId, _ := e.Meta["otpId"].(string)
		return l.queuePocketBaseMail(e.App, e.Message, otpId)
	})
	l.Outbox.OnGiveUp(voidCode)
}

// voidCode deletes the code with id, if there is one: ids of other tokens
// a mail carried match none.
func voidCode(app core.App, id string) error {
	_, err := app.DB().NewQuery("DELETE FROM " + core.CollectionNameOTPs + " WHERE id = {:id}").Bind(dbx.Params{"id": id}).Execute()
	return err
}

// queueCode is PocketBase's request-otp after its hooks, with the mail
// (in the collection's template, as PocketBase makes it) queued in the
// transaction that saves the code, before the answer.
// An address that is no account's does the same work in a transaction
// that is rolled back, and gets the same answer: an otpId, made as any
// otpId is, that no code was ever saved for.
func (l *Letters) queueCode(e *core.RecordCreateOTPRequestEvent) error {
	account := e.Record
	if account == nil {
		info, err := e.RequestInfo()
		if err != nil {
			return err
		}
		email, _ := info.Body["email"].(string)
		account = core.NewRecord(e.Collection)
		account.Id = core.GenerateDefaultRandomId()
		account.SetEmail(email)
	}

	var otp *core.OTP
	err := schema.WriteLocked(e.App, func(tx core.App) error {
		open, err := tx.FindAllOTPsByRecord(account)
		if err != nil {
			return err
		}
		if newest := reusable(tx, e.Collection, open); newest != nil {
			otp = newest
			tx.Logger().Warn("Too many OTP requests - reusing the last issued", "recordId", account.Id, "otpId", otp.Id)
			return nil
		}
		otp = core.NewOTP(tx)
		otp.SetCollectionRef(e.Collection.Id)
		otp.SetRecordRef(account.Id)
		otp.SetPassword(e.Password)
		// Where it goes, as PocketBase notes once it has sent it: the mail
		// commits with the code or neither does. Unvalidated, as the
		// stand-in account is not there to find; account was just found.
		otp.SetSentTo(account.Email())
		if err := tx.SaveNoValidate(otp); err != nil {
			return err
		}
		// PocketBase makes the mail; the hook above queues it in tx.
		if err := mails.SendRecordOTP(tx, account, otp.Id, e.Password); err != nil {
			return err
		}
		if e.Record == nil {
			return errNoAccount
		}
		return nil
	})
	if err != nil && !errors.Is(err, errNoAccount) {
		return err
	}
	return e.JSON(http.StatusOK, map[string]string{"otpId": otp.Id})
}

// reusable is the newest of open once more than maxOpenCodes of them are
// unexpired, as PocketBase decides (never in dev mode), or nil.
func reusable(app core.App, collection *core.Collection, open []*core.OTP) *core.OTP {
	if app.IsDev() {
		return nil
	}
	unexpired := 0
	for _, otp := range open {
		if !otp.HasExpired(collection.OTP.DurationTime()) {
			unexpired++
		}
		if unexpired > maxOpenCodes {
			return open[0] // newest first
		}
	}
	return nil
}
