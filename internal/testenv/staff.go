package testenv

import (
	"fmt"
	"net/http"
	"regexp"
	"sync/atomic"

	"github.com/pocketbase/pocketbase/core"
)

// StaffPassword is the password every staff member made by NewStaff has.
const StaffPassword = "correct horse battery"

// Staff is a staff member a test made, with what it takes to sign in.
type Staff struct {
	*core.Record
	Email    string
	Password string
}

var staffSerial atomic.Int64

// NewStaff adds a staff member with role ("owner", "clinician",
// "front_desk") who has already set StaffPassword, as after an invite.
// clinician, for role "clinician", is the clinicians record they are.
func (env *Env) NewStaff(role string, clinician *core.Record) Staff {
	env.T.Helper()
	collection, err := env.App.FindCollectionByNameOrId("staff")
	if err != nil {
		env.T.Fatal(err)
	}
	n := staffSerial.Add(1)
	member := core.NewRecord(collection)
	member.SetEmail(fmt.Sprintf("%s%d@harbor.test", role, n))
	member.Set("name", fmt.Sprintf("Test %s %d", role, n))
	member.Set("role", role)
	if clinician != nil {
		member.Set("clinician", clinician.Id)
	}
	member.SetPassword(StaffPassword)
	member.SetVerified(true)
	if err := env.App.Save(member); err != nil {
		env.T.Fatalf("creating a %s: %v", role, err)
	}
	return Staff{Record: member, Email: member.Email(), Password: StaffPassword}
}

// SignIn signs member in as the workspace does: password, then the code
// from the email PocketBase's MFA sends, and returns the session's token.
func (env *Env) SignIn(member Staff) string {
	env.T.Helper()
	return env.SignInTo("staff", member.Email, member.Password)
}

// SignInTo signs in to an auth collection with a second factor (staff,
// or the dashboard's _superusers): password, then the emailed code.
func (env *Env) SignInTo(collection, email, password string) string {
	env.T.Helper()
	api := "/api/collections/" + collection
	r := env.Post(api+"/auth-with-password", map[string]string{"identity": email, "password": password})
	mfaId, _ := r.JSON["mfaId"].(string)
	if r.Status != http.StatusUnauthorized || mfaId == "" {
		env.T.Fatalf("password sign-in for %s: %s; want 401 asking for the emailed code", email, r)
	}
	r = env.Post(api+"/request-otp", map[string]string{"email": email})
	otpId, _ := r.JSON["otpId"].(string)
	if r.Status != http.StatusOK || otpId == "" {
		env.T.Fatalf("asking for the sign-in code for %s: %s", email, r)
	}
	code := env.Mail.Next(email, Wait).StaffCode()
	if code == "" {
		env.T.Fatalf("the sign-in code mail to %s holds no 6-digit code", email)
	}
	r = env.Post(api+"/auth-with-otp", map[string]string{"otpId": otpId, "password": code, "mfaId": mfaId})
	token, _ := r.JSON["token"].(string)
	if r.Status != http.StatusOK || token == "" {
		env.T.Fatalf("finishing sign-in with the emailed code for %s: %s", email, r)
	}
	return token
}

// StaffSession adds a staff member with role and signs them in.
func (env *Env) StaffSession(role string, clinician *core.Record) (Staff, string) {
	env.T.Helper()
	member := env.NewStaff(role, clinician)
	return member, env.SignIn(member)
}

var (
	staffCodePattern   = regexp.MustCompile(`>(\d{6})</p>`)
	staffInvitePattern = regexp.MustCompile(`https?://[^\s"<>]+/staff/set-password\.html#([A-Za-z0-9_-]{43})`)
)

// StaffCode is the 6-digit code in a staff (or dashboard) sign-in code email.
func (m Mail) StaffCode() string {
	match := staffCodePattern.FindStringSubmatch(m.HTML)
	if match == nil {
		return ""
	}
	return match[1]
}

// StaffInviteLink is the set-password link in a staff invite, and its token.
func (m Mail) StaffInviteLink() (link, token string) {
	match := staffInvitePattern.FindStringSubmatch(m.Text)
	if match == nil {
		return "", ""
	}
	return match[0], match[1]
}
