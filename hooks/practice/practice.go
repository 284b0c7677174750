// Package practice reads the practice's settings once and keeps them until
// the practice record changes, and holds the wording helpers that write
// times and durations the way the practice's clients read them.
package practice

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // a static binary still knows every client's time zone

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"portico/hooks/schema"
)

// Practice is what the portal and the mail say about the practice.
type Practice struct {
	Name              string
	Address           string
	Phone             string
	ContactEmail      string
	NotificationEmail string
	ReminderLeads     []time.Duration
	JoinOpensBefore   time.Duration
	TimeZone          *time.Location // where clinicians book appointments
	// StaffIdle and StaffSessionLimit end a staff session: after this long
	// without a request, and this long after signing in.
	StaffIdle         time.Duration
	StaffSessionLimit time.Duration
	// MessagesNotice is the practice's "not for emergencies" text above
	// the message box; "" for Portico's own words.
	MessagesNotice string
	// CancellationPolicy is how long before the start a client may cancel
	// without it counting as late; 0 means no policy.
	CancellationPolicy time.Duration
	ClientActionsOff   []string // "confirm", "cancel", "reschedule": what clients may not do
}

// Settings is the practice record, read once and refreshed by a hook
// whenever it is saved or deleted.
type Settings struct {
	app core.App

	mu     sync.RWMutex
	cached *Practice
}

// New returns the settings of app's practice and keeps them fresh.
func New(app core.App) *Settings {
	s := &Settings{app: app}
	forget := func(e *core.RecordEvent) error {
		s.forget()
		return e.Next()
	}
	app.OnRecordAfterCreateSuccess(schema.Practice).BindFunc(forget)
	app.OnRecordAfterUpdateSuccess(schema.Practice).BindFunc(forget)
	app.OnRecordAfterDeleteSuccess(schema.Practice).BindFunc(forget)

	app.OnRecordValidate(schema.Practice).BindFunc(func(e *core.RecordEvent) error {
		problems := validation.Errors{}
		// Booking reads the practice's time zone: refuse one Go does not know.
		if _, err := time.LoadLocation(e.Record.GetString("timezone")); err != nil {
			problems["timezone"] = ErrUnknownZone
		}
		// A wrong list would silently turn reminders off or back to the defaults.
		if err := checkLeadHours(e.Record); err != nil {
			problems["reminder_lead_hours"] = err
		}
		if e.Record.IsNew() {
			existing, err := e.App.CountRecords(schema.Practice)
			if err != nil {
				return err
			}
			if existing > 0 {
				problems["id"] = errSecondPractice
			}
		}
		if len(problems) > 0 {
			return problems
		}
		return e.Next()
	})
	return s
}

// MaxLeadHours is the earliest a reminder goes out: 30 days before.
const MaxLeadHours = 30 * 24

// ErrLeadHours is the field error for reminder lead hours that are not a
// list of positive numbers of hours up to MaxLeadHours.
var ErrLeadHours = validation.NewError("validation_lead_hours",
	fmt.Sprintf("Write the hours before each appointment as a list of numbers from above 0 to %d (30 days), such as [48, 2].", MaxLeadHours))

var errSecondPractice = validation.NewError("validation_practice_single",
	"The practice has one settings record: edit it instead of adding another.")

// checkLeadHours accepts no value (the defaults) or a non-empty list of
// positive hours up to MaxLeadHours.
func checkLeadHours(record *core.Record) error {
	raw := strings.TrimSpace(record.GetString("reminder_lead_hours"))
	if raw == "" || raw == "null" {
		return nil
	}
	var hours []float64
	if err := json.Unmarshal([]byte(raw), &hours); err != nil || len(hours) == 0 {
		return ErrLeadHours
	}
	for _, h := range hours {
		if h <= 0 || h > MaxLeadHours {
			return ErrLeadHours
		}
	}
	return nil
}

// ErrUnknownZone is the field error for a time zone Go does not know.
var ErrUnknownZone = validation.NewError("validation_time_zone",
	"Not a time zone we know: use a name such as America/New_York or Europe/London.")

func (s *Settings) forget() {
	s.mu.Lock()
	s.cached = nil
	s.mu.Unlock()
}

// Get returns the practice's settings: its name from the dashboard's
// application settings, the rest from the single practice record, or
// defaults while there is none. A database failure is an error, never
// the defaults: reminders at the wrong times are worse than none.
func (s *Settings) Get() (Practice, error) {
	s.mu.RLock()
	cached := s.cached
	s.mu.RUnlock()
	if cached == nil {
		loaded, err := s.load()
		if err != nil {
			return Practice{}, err
		}
		s.mu.Lock()
		s.cached = &loaded
		s.mu.Unlock()
		cached = &loaded
	}
	practice := *cached
	practice.Name = s.app.Settings().Meta.AppName
	return practice, nil
}

func (s *Settings) load() (Practice, error) {
	practice := Practice{
		ReminderLeads:     []time.Duration{48 * time.Hour, 2 * time.Hour},
		JoinOpensBefore:   15 * time.Minute,
		TimeZone:          time.UTC,
		StaffIdle:         15 * time.Minute,
		StaffSessionLimit: 12 * time.Hour,
	}
	record, err := s.app.FindFirstRecordByFilter(schema.Practice, "id != ''")
	if errors.Is(err, sql.ErrNoRows) {
		return practice, nil
	}
	if err != nil {
		return practice, fmt.Errorf("reading the practice record: %w", err)
	}
	practice.Address = record.GetString("address")
	practice.Phone = record.GetString("phone")
	practice.ContactEmail = record.GetString("contact_email")
	practice.NotificationEmail = record.GetString("notification_email")
	var hours []float64
	if err := record.UnmarshalJSONField("reminder_lead_hours", &hours); err == nil && len(hours) > 0 {
		practice.ReminderLeads = practice.ReminderLeads[:0]
		for _, h := range hours {
			if h > 0 {
				practice.ReminderLeads = append(practice.ReminderLeads, time.Duration(h*float64(time.Hour)))
			}
		}
	}
	practice.JoinOpensBefore = time.Duration(record.GetInt("join_opens_minutes")) * time.Minute
	practice.TimeZone = ZoneLocation(record.GetString("timezone"))
	if minutes := record.GetInt("staff_idle_minutes"); minutes > 0 {
		practice.StaffIdle = time.Duration(minutes) * time.Minute
	}
	if hours := record.GetInt("staff_session_hours"); hours > 0 {
		practice.StaffSessionLimit = time.Duration(hours) * time.Hour
	}
	practice.MessagesNotice = strings.TrimSpace(record.GetString("messages_notice"))
	practice.CancellationPolicy = time.Duration(record.GetInt("cancellation_policy_hours")) * time.Hour
	practice.ClientActionsOff = record.GetStringSlice("client_actions_off")
	return practice, nil
}
