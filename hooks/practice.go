package hooks

import (
	"time"
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
}

// Practice reads the practice's settings: its name from the dashboard's
// application settings, the rest from the single practice record.
func (p *Portal) Practice() Practice {
	practice := Practice{
		Name:            p.App.Settings().Meta.AppName,
		ReminderLeads:   []time.Duration{48 * time.Hour, 2 * time.Hour},
		JoinOpensBefore: 15 * time.Minute,
		TimeZone:        time.UTC,
	}
	records, err := p.App.FindRecordsByFilter("practice", "id != ''", "", 1, 0)
	if err != nil || len(records) == 0 {
		return practice
	}
	record := records[0]
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
	practice.TimeZone = zoneLocation(record.GetString("timezone"))
	return practice
}
