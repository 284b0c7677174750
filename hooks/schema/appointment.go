package schema

import (
	"fmt"
	"time"

	"github.com/pocketbase/pocketbase/core"
)

// Appointment is an appointments record with the client and clinician it
// names, as mail, pages and the portal read it.
type Appointment struct {
	core.BaseRecordProxy
	Client    *core.Record
	Clinician *core.Record
}

// Starts is the appointment's start.
func (a *Appointment) Starts() time.Time { return a.GetDateTime("starts").Time() }

// Ends is the start plus the duration.
func (a *Appointment) Ends() time.Time {
	return a.Starts().Add(time.Duration(a.GetInt("duration_minutes")) * time.Minute)
}

// Status is scheduled, cancelled, completed or no_show.
func (a *Appointment) Status() string { return a.GetString("status") }

// Telehealth reports whether the session is by video.
func (a *Appointment) Telehealth() bool { return a.GetString("kind") == KindTelehealth }

// ClinicianName is the clinician's name with credentials, as mail signs it.
func (a *Appointment) ClinicianName() string {
	name := a.Clinician.GetString("name")
	if credentials := a.Clinician.GetString("credentials"); credentials != "" {
		name += ", " + credentials
	}
	return name
}

// Place is where an in-person appointment happens: its own location or
// the practice's address.
func (a *Appointment) Place(practiceAddress string) string {
	if location := a.GetString("location"); location != "" {
		return location
	}
	return practiceAddress
}

// ClientView is what a client may know of an appointment, as every portal
// route shows it: never the notes, the salts or the hashes.
type ClientView struct {
	Id              string    `json:"id"`
	Starts          time.Time `json:"starts"`
	Ends            time.Time `json:"ends"`
	DurationMinutes int       `json:"durationMinutes"`
	Kind            string    `json:"kind"`
	Clinician       string    `json:"clinician"`
	Place           string    `json:"place,omitzero"` // in person only
	TimeZone        string    `json:"timeZone"`
}

// ForClient is the appointment as its client may see it; practiceAddress
// is where an in-person visit without a location of its own happens.
func (a *Appointment) ForClient(practiceAddress string) ClientView {
	view := ClientView{
		Id:              a.Id,
		Starts:          a.Starts(),
		Ends:            a.Ends(),
		DurationMinutes: a.GetInt("duration_minutes"),
		Kind:            a.GetString("kind"),
		Clinician:       a.ClinicianName(),
		TimeZone:        a.GetString("timezone"),
	}
	if !a.Telehealth() {
		view.Place = a.Place(practiceAddress)
	}
	return view
}

// LoadAppointment reads the client and clinician of record.
func LoadAppointment(app core.App, record *core.Record) (*Appointment, error) {
	loaded, err := LoadAppointments(app, []*core.Record{record})
	if err != nil {
		return nil, err
	}
	return loaded[0], nil
}

// LoadAppointments reads the clients and clinicians of records in two queries.
func LoadAppointments(app core.App, records []*core.Record) ([]*Appointment, error) {
	people := map[string]map[string]*core.Record{}
	for collection, field := range map[string]string{Clients: "client", Clinicians: "clinician"} {
		ids := make([]string, 0, len(records))
		for _, record := range records {
			ids = append(ids, record.GetString(field))
		}
		found, err := app.FindRecordsByIds(collection, ids)
		if err != nil {
			return nil, err
		}
		people[collection] = map[string]*core.Record{}
		for _, person := range found {
			people[collection][person.Id] = person
		}
	}

	appointments := make([]*Appointment, 0, len(records))
	for _, record := range records {
		client, clinician := people[Clients][record.GetString("client")], people[Clinicians][record.GetString("clinician")]
		if client == nil || clinician == nil {
			return nil, fmt.Errorf("appointment %s: its client or clinician is missing", record.Id)
		}
		a := &Appointment{Client: client, Clinician: clinician}
		a.SetProxyRecord(record)
		appointments = append(appointments, a)
	}
	return appointments, nil
}
