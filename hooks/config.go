package hooks

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"portico/hooks/backup"
	"portico/hooks/outbox"
	"portico/hooks/signin"
	"portico/hooks/video"
)

// Config holds what an operator sets at deploy time. What a clinician
// changes lives in the dashboard settings instead.
type Config struct {
	// Now is the clock every capability reads; tests travel in time with it.
	Now func() time.Time

	// SMTPURL overrides the dashboard's mail settings when set
	// (smtp://, smtps://, smtp+starttls://; ?from= sets the sender).
	SMTPURL string

	// SignInTTL and InviteTTL are how long emailed links and codes live.
	SignInTTL time.Duration
	InviteTTL time.Duration

	// LinksPerAddress and LinksPerIP cap sign-in mail requests per
	// RateWindow, so codes cannot be farmed and inboxes cannot be flooded.
	LinksPerAddress int
	LinksPerIP      int
	RateWindow      time.Duration

	// SessionLifetime is how long a client's portal session lasts after
	// its sign-in, however active: refreshing stops there.
	SessionLifetime time.Duration

	// FailedCodeFloor is the least time a login-code answer that signs no
	// one in takes, so that its time cannot tell a client's address from
	// a stranger's; 0 answers at once.
	FailedCodeFloor time.Duration

	// Retention is how long used and expired login tokens and delivered
	// or given-up mail are kept before the retention job deletes them.
	Retention time.Duration

	// MailRetryBase is the first retry delay of a message the mail server
	// did not take; each further attempt doubles it.
	MailRetryBase time.Duration

	// Video is how telehealth calls held on Portico run: the TURN relay's ports and address.
	Video video.Config
	// AuditRetentionDays is how long audit entries are kept before the
	// nightly prune removes them (leaving a checkpoint); six years by
	// default, HIPAA's retention for documentation.
	AuditRetentionDays int
	// Backup is where and how the data is replicated off the machine.
	Backup backup.Config
}

// DefaultConfig is what Portico runs with when the environment says nothing.
func DefaultConfig() Config {
	return Config{
		Now:             time.Now,
		SignInTTL:       15 * time.Minute,
		InviteTTL:       7 * 24 * time.Hour,
		LinksPerAddress: 5,
		LinksPerIP:      30,
		RateWindow:      15 * time.Minute,
		SessionLifetime: 12 * time.Hour,
		FailedCodeFloor: signin.FailedCodeFloor,
		Retention:       30 * 24 * time.Hour,
		MailRetryBase:   30 * time.Second,
		Video:           video.DefaultConfig(),

		AuditRetentionDays: 6 * 365,
	}
}

// ConfigFromEnv reads the PORTICO_* environment variables over the defaults.
func ConfigFromEnv() (Config, error) {
	config := DefaultConfig()
	config.SMTPURL = os.Getenv("PORTICO_SMTP_URL")
	if config.SMTPURL != "" {
		// A mistake here would otherwise surface only as mail that never leaves.
		if _, err := outbox.ParseSMTPURL(config.SMTPURL); err != nil {
			return config, err
		}
	}
	var err error
	if config.Backup, err = backup.ConfigFromEnv(); err != nil {
		return config, err
	}

	durations := map[string]*time.Duration{
		"PORTICO_SIGNIN_TTL":       &config.SignInTTL,
		"PORTICO_INVITE_TTL":       &config.InviteTTL,
		"PORTICO_RATE_WINDOW":      &config.RateWindow,
		"PORTICO_SESSION_LIFETIME": &config.SessionLifetime,
		"PORTICO_RETENTION":        &config.Retention,
	}
	for name, target := range durations {
		if raw := os.Getenv(name); raw != "" {
			value, err := time.ParseDuration(raw)
			if err != nil || value <= 0 {
				return config, fmt.Errorf("%s=%q: want a positive duration such as 15m or 168h", name, raw)
			}
			*target = value
		}
	}

	counts := map[string]*int{
		"PORTICO_LINKS_PER_ADDRESS":    &config.LinksPerAddress,
		"PORTICO_LINKS_PER_IP":         &config.LinksPerIP,
		"PORTICO_AUDIT_RETENTION_DAYS": &config.AuditRetentionDays,
	}
	for name, target := range counts {
		if raw := os.Getenv(name); raw != "" {
			value, err := strconv.Atoi(raw)
			if err != nil || value <= 0 {
				return config, fmt.Errorf("%s=%q: want a positive whole number", name, raw)
			}
			*target = value
		}
	}

	return config, video.ConfigFromEnv(&config.Video)
}
