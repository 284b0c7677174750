package main

import (
	"fmt"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"golang.org/x/crypto/bcrypt"

	"portico/hooks"
	"portico/internal/testenv"
)

// otpCollection is the auth collection, created only inside the
// benchmark's data dir, that measures PocketBase's built-in email OTP.
const otpCollection = "otp_baseline"

// linksPerAddress replaces the per-address cap on sign-in mail: every
// round of the benchmark mails each client again within minutes.
const linksPerAddress = 1_000_000

// practice is a prepared data dir: Portico's schema, a clinician, the
// clients who sign in, the PocketBase OTP baseline's users, and the SMTP
// server their mail goes to.
type practice struct {
	env      *testenv.Env
	clients  []string // client addresses
	otpUsers []string // addresses in the OTP baseline collection
}

// preparePractice sets up a data dir with testenv. appURL is where the
// emailed links will point.
func preparePractice(tb *benchTB, clients, otpUsers int, appURL string) *practice {
	env := testenv.Start(tb, func(c *hooks.Config) {
		c.Now = time.Now
		c.LinksPerAddress = linksPerAddress
	})
	p := &practice{env: env}
	app := env.App

	settings := app.Settings()
	settings.Meta.AppURL = appURL
	// Each simulated client has an address of its own, as phones do; the
	// benchmark sends it the way a reverse proxy in front of Portico would.
	settings.TrustedProxy.Headers = []string{"X-Forwarded-For"}
	must(tb, app.Save(settings))

	superusers, err := app.FindCollectionByNameOrId(core.CollectionNameSuperusers)
	must(tb, err)
	clinician := core.NewRecord(superusers)
	clinician.SetEmail("clinician@harbor.test")
	clinician.SetPassword("bench-clinician-password")
	must(tb, app.Save(clinician))

	p.clients = p.addClients(tb, clients)
	p.otpUsers = p.addOTPUsers(tb, otpUsers)
	return p
}

// addClients adds clients who accepted their invite long ago: their
// invite is not part of what is measured, so portal access is switched
// on after creation, without the invite mail.
func (p *practice) addClients(tb *benchTB, n int) []string {
	app := p.env.App
	collection, err := app.FindCollectionByNameOrId("clients")
	must(tb, err)

	// Clients' passwords are random and never used (password sign-in is
	// off); hashing them at bcrypt's lowest cost keeps set-up to seconds.
	// The schema is put back as it was afterwards.
	restore := cheapPasswords(tb, app, collection)
	defer restore()

	emails := make([]string, n)
	err = app.RunInTransaction(func(tx core.App) error {
		for i := range emails {
			emails[i] = fmt.Sprintf("client%05d@example.test", i)
			client := core.NewRecord(collection)
			client.Set("name", fmt.Sprintf("Client %d", i))
			client.SetEmail(emails[i])
			client.Set("timezone", "America/New_York")
			if err := tx.Save(client); err != nil {
				return err
			}
		}
		_, err := tx.DB().NewQuery("UPDATE clients SET portal_access = 1").Execute()
		return err
	})
	must(tb, err)
	return emails
}

// addOTPUsers creates the PocketBase OTP baseline: an auth collection with
// email OTP on, as PocketBase's dashboard would set it up, and its users.
func (p *practice) addOTPUsers(tb *benchTB, n int) []string {
	app := p.env.App
	collection := core.NewAuthCollection(otpCollection)
	collection.OTP.Enabled = true
	must(tb, app.Save(collection))
	restore := cheapPasswords(tb, app, collection)
	defer restore()

	emails := make([]string, n)
	err := app.RunInTransaction(func(tx core.App) error {
		for i := range emails {
			emails[i] = fmt.Sprintf("otp%05d@example.test", i)
			user := core.NewRecord(collection)
			user.SetEmail(emails[i])
			user.SetRandomPassword()
			// Verified already, so signing in does not also rehash a password.
			user.SetVerified(true)
			if err := tx.Save(user); err != nil {
				return err
			}
		}
		return nil
	})
	must(tb, err)
	return emails
}

// cheapPasswords sets the collection's password hashing to bcrypt's
// lowest cost until the returned func restores it.
func cheapPasswords(tb *benchTB, app core.App, collection *core.Collection) func() {
	field, ok := collection.Fields.GetByName("password").(*core.PasswordField)
	if !ok {
		tb.Fatalf("%s has no password field", collection.Name)
	}
	cost := field.Cost
	field.Cost = bcrypt.MinCost
	must(tb, app.Save(collection))
	return func() {
		field.Cost = cost
		must(tb, app.Save(collection))
	}
}

func must(tb *benchTB, err error) {
	if err != nil {
		tb.Fatal(err)
	}
}
