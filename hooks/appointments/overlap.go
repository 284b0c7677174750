package appointments

import (
	"fmt"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"portico/hooks/practice"
	"portico/hooks/schema"
)

// longestAppointment bounds how far back an overlapping appointment can
// start (the collection's largest duration_minutes), so the check reads
// one index range instead of every appointment the clinician ever had.
const longestAppointment = 600 * time.Minute

// refuseOverlap refuses a scheduled appointment that overlaps another
// scheduled one of the same clinician or the same client, naming the
// other, whoever saves it: the workspace, the records API or the
// dashboard. Back-to-back appointments (one ends as the next starts) are
// fine; cancelled, completed and missed ones free their time. app is the
// transaction that holds the write lock and writes the row (see
// schema.WriteLocked), so no other booking can come between the check and the
// write.
func (a *Appointments) refuseOverlap(app core.App, record *core.Record) error {
	if record.GetString("status") != schema.StatusScheduled {
		return nil
	}
	starts := record.GetDateTime("starts").Time()
	ends := starts.Add(time.Duration(record.GetInt("duration_minutes")) * time.Minute)
	var others []*core.Record
	err := app.RecordQuery(schema.Appointments).
		AndWhere(dbx.NewExp("status = 'scheduled' AND id != {:id} AND (clinician = {:clinician} OR client = {:client})"+
			" AND starts < {:ends} AND starts > {:earliest}", dbx.Params{
			"id": record.Id, "clinician": record.GetString("clinician"), "client": record.GetString("client"),
			"ends": schema.DateTime(ends), "earliest": schema.DateTime(starts.Add(-longestAppointment)),
		})).
		OrderBy("starts").
		All(&others)
	if err != nil {
		return err
	}
	for _, other := range others {
		otherEnds := other.GetDateTime("starts").Time().Add(time.Duration(other.GetInt("duration_minutes")) * time.Minute)
		if !otherEnds.After(starts) {
			continue
		}
		loaded, err := schema.LoadAppointment(app, other)
		if err != nil {
			return err
		}
		settings, err := a.practice.Get()
		if err != nil {
			return err
		}
		return validation.Errors{"starts": validation.NewError("validation_overlap", overlapMessage(record, loaded, settings.TimeZone))}
	}
	return nil
}

// overlapMessage names the appointment in the way, in the practice's time
// zone: "Dr. Lee already has Ada Client on Tuesday 9 March, 10:00-10:50."
func overlapMessage(record *core.Record, other *schema.Appointment, zone *time.Location) string {
	when := practice.Span(other.Starts(), other.Ends(), zone)
	if other.GetString("clinician") == record.GetString("clinician") {
		return fmt.Sprintf("%s already has an appointment then: %s, %s. Choose another time.",
			other.Clinician.GetString("name"), other.Client.GetString("name"), when)
	}
	return fmt.Sprintf("%s already has an appointment then: with %s, %s. Choose another time.",
		other.Client.GetString("name"), other.Clinician.GetString("name"), when)
}
