package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// The dashboard's superusers sign in with their password and a code
// PocketBase emails (its MFA with OTP), and PocketBase's rate limiter is
// on for their sign-in and code mail: before, 80 wrong passwords in a row
// from one address got no 429, and a guessed password alone opened every
// client's records.
func init() {
	m.Register(func(app core.App) error {
		superusers, err := app.FindCollectionByNameOrId(core.CollectionNameSuperusers)
		if err != nil {
			return err
		}
		superusers.OTP = core.OTPConfig{
			Enabled:  true,
			Length:   6,
			Duration: 10 * 60,
			EmailTemplate: core.EmailTemplate{
				Subject: "Your dashboard sign-in code for " + core.EmailPlaceholderAppName,
				Body: `<p>Hello,</p>
<p>Here is the code to finish signing in to the ` + core.EmailPlaceholderAppName + ` dashboard:</p>
<p style="font-size:30px;letter-spacing:6px;font-weight:bold;">` + core.EmailPlaceholderOTP + `</p>
<p>It works for 10 minutes. If you did not just type your password, someone else knows it: change it.</p>`,
			},
		}
		// Every superuser, every time.
		superusers.MFA = core.MFAConfig{Enabled: true, Duration: 10 * 60}
		if err := app.Save(superusers); err != nil {
			return err
		}

		settings := app.Settings()
		if !settings.RateLimits.Enabled {
			// PocketBase's stored defaults were never in force; the
			// general /api/ ones would throttle the portal itself, which
			// has limits of its own.
			settings.RateLimits.Rules = nil
		}
		settings.RateLimits.Enabled = true
		for _, rule := range []core.RateLimitRule{
			{Label: core.CollectionNameSuperusers + ":auth", MaxRequests: 10, Duration: 5 * 60},
			{Label: core.CollectionNameSuperusers + ":requestOTP", MaxRequests: 5, Duration: 5 * 60},
		} {
			if _, exists := settings.RateLimits.FindRateLimitRule([]string{rule.Label}); !exists {
				settings.RateLimits.Rules = append(settings.RateLimits.Rules, rule)
			}
		}
		return app.Save(settings)
	}, func(app core.App) error {
		superusers, err := app.FindCollectionByNameOrId(core.CollectionNameSuperusers)
		if err != nil {
			return err
		}
		superusers.MFA.Enabled = false
		superusers.OTP.Enabled = false
		return app.Save(superusers)
	})
}
