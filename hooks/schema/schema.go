// Package schema names what Portico's migrations create (collections,
// statuses, kinds) so that no capability spells a collection or a status
// from memory, and wraps the records several capabilities read. A test
// checks the names against a migrated database.
package schema

import (
	"crypto/hmac"
	"crypto/sha256"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Collections.
const (
	Clients           = "clients"
	LoginTokens       = "login_tokens"
	MailOutbox        = "mail_outbox"
	Practice          = "practice"
	Clinicians        = "clinicians"
	Appointments      = "appointments"
	IntakeForms       = "intake_forms"
	IntakeAssignments = "intake_assignments"
	IntakeResponses   = "intake_responses"
	Staff             = "staff"
	StaffSessions     = "staff_sessions"
	MessageThreads    = "message_threads"
	Messages          = "messages"
	// Documents are files shared with a client or uploaded by one.
	Documents = "documents"
	// SignInRequests are the sign-in link requests answered 202, kept
	// until processed and then for the retention period.
	SignInRequests = "signin_requests"
	// CodeTries count wrong sign-in codes per address, any address.
	CodeTries = "code_tries"
	// AppointmentRequests are clients' requests for another time.
	AppointmentRequests = "appointment_requests"
)

// Message thread kinds and the sides of a thread, as the select fields name them.
const (
	ThreadClinical = "clinical"
	ThreadAdmin    = "admin"

	SideClient   = "client"
	SidePractice = "practice"
)

// What a document the practice shares asks of the client.
const (
	AsksRead        = "read"
	AsksAcknowledge = "acknowledge"
	AsksSign        = "sign"
)

// What a client may do with an appointment, as action links, routes and
// practice › client_actions_off name it.
const (
	ActionConfirm    = "confirm"
	ActionCancel     = "cancel"
	ActionReschedule = "reschedule"
)

// CancelledByClient is appointments › cancelled_by when the client cancelled.
const CancelledByClient = "client"

// Statuses of a request for another time.
const (
	RequestOpen        = "open"
	RequestRescheduled = "rescheduled" // staff moved the appointment
	RequestDeclined    = "declined"    // staff answered with a line
	RequestWithdrawn   = "withdrawn"   // the appointment was cancelled
)

// Appointment kinds and statuses, as the dashboard's select fields name them.
const (
	KindTelehealth = "telehealth"
	KindInPerson   = "in person"

	StatusScheduled = "scheduled"
	StatusCancelled = "cancelled"
	StatusCompleted = "completed"
	StatusNoShow    = "no_show"
)

// Intake assignment statuses, as the dashboard shows them.
const (
	PacketAssigned   = "assigned"
	PacketInProgress = "in_progress"
	PacketSubmitted  = "submitted"
)

// Login token purposes, the select field of login_tokens.
const (
	PurposeSignIn = "sign_in"
	PurposeInvite = "invite"
	// PurposeIntake is the link in the mail about a newly assigned form.
	PurposeIntake = "intake"
	// PurposeStaffInvite is the link that lets a new staff member set a password.
	PurposeStaffInvite = "staff_invite"
	// PurposeMessage is the link in a new-message notice.
	PurposeMessage = "message"
	// PurposeDocument is the link in the mail about a shared document.
	PurposeDocument = "document"
)

// LoginTokenAuth is the auth method of a client's sign-in with a login
// token's link or code, as PocketBase's auth hooks see it. Its audit
// entry is appended by the statement that spends the token (migration
// 1764_000051), not by an auth hook.
const LoginTokenAuth = "portico"

// DateTime is t as PocketBase stores dates, so SQL compares them as text.
func DateTime(t time.Time) types.DateTime {
	d, _ := types.ParseDateTime(t) // a time.Time always parses
	return d
}

// ClientSecretMAC is an HMAC-SHA256 of data under a key derived, one per
// purpose, from the clients collection's auth token secret: rotating that
// secret in the dashboard voids every code and join link derived from it.
func ClientSecretMAC(clients *core.Collection, purpose, data string) []byte {
	key := hmac.New(sha256.New, []byte(clients.AuthToken.Secret))
	key.Write([]byte(purpose))
	mac := hmac.New(sha256.New, key.Sum(nil))
	mac.Write([]byte(data))
	return mac.Sum(nil)
}
