package actions

import (
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"portico/hooks/schema"
)

// The queries of the actions capability. They know nothing of HTTP.

// findByToken is the appointment whose action links carry token;
// sql.ErrNoRows when none does.
func findByToken(app core.App, token string) (*schema.Appointment, error) {
	record, err := actionToken.Find(app, token, "")
	if err != nil {
		return nil, err
	}
	return schema.LoadAppointment(app, record)
}

// findOwn is the client's appointment with id; another client's is as
// unknown as a made-up id (sql.ErrNoRows).
func findOwn(app core.App, clientId, id string) (*schema.Appointment, error) {
	record, err := app.FindFirstRecordByFilter(schema.Appointments, "id = {:id} && client = {:client}",
		dbx.Params{"id": id, "client": clientId})
	if err != nil {
		return nil, err
	}
	return schema.LoadAppointment(app, record)
}

// upcomingOf is the client's appointments that have not ended, scheduled
// or cancelled by the client, soonest first.
func upcomingOf(app core.App, clientId string, now time.Time) ([]*schema.Appointment, error) {
	records, err := app.FindRecordsByFilter(schema.Appointments,
		"client = {:client} && starts > {:since} && (status = 'scheduled' || (status = 'cancelled' && cancelled_by = 'client'))",
		"starts", 50, 0, dbx.Params{"client": clientId, "since": schema.DateTime(now.Add(-24 * time.Hour))})
	if err != nil {
		return nil, err
	}
	loaded, err := schema.LoadAppointments(app, records)
	if err != nil {
		return nil, err
	}
	var upcoming []*schema.Appointment
	for _, a := range loaded {
		if a.Ends().After(now) {
			upcoming = append(upcoming, a)
		}
	}
	return upcoming, nil
}

// newestRequests is each appointment's newest request for another time, by appointment id.
func newestRequests(app core.App, appointmentIds ...string) (map[string]*core.Record, error) {
	newest := map[string]*core.Record{}
	if len(appointmentIds) == 0 {
		return newest, nil
	}
	ids := make([]any, len(appointmentIds))
	for i, id := range appointmentIds {
		ids[i] = id
	}
	var records []*core.Record
	err := app.RecordQuery(schema.AppointmentRequests).AndWhere(dbx.In("appointment", ids...)).OrderBy("created DESC").All(&records)
	if err != nil {
		return nil, err
	}
	for _, record := range records {
		if _, seen := newest[record.GetString("appointment")]; !seen {
			newest[record.GetString("appointment")] = record
		}
	}
	return newest, nil
}

// confirm marks the appointment confirmed in one conditional UPDATE, so
// of any number of presses one confirms; it reports whether this one did.
// A plain UPDATE: a confirmation is no change the client is told of.
func confirm(app core.App, id string, now time.Time) (bool, error) {
	result, err := app.DB().NewQuery(
		"UPDATE appointments SET confirmed = {:now}, updated = {:now} " +
			"WHERE id = {:id} AND status = 'scheduled' AND confirmed = '' AND starts > {:now}",
	).Bind(dbx.Params{"id": id, "now": schema.DateTime(now)}).Execute()
	if err != nil {
		return false, err
	}
	changed, err := result.RowsAffected()
	return changed == 1, err
}

// saveRequest stores a new open request for another time.
func saveRequest(app core.App, a *schema.Appointment, times []time.Time, note string) (*core.Record, error) {
	collection, err := app.FindCachedCollectionByNameOrId(schema.AppointmentRequests)
	if err != nil {
		return nil, err
	}
	request := core.NewRecord(collection)
	request.Set("appointment", a.Id)
	request.Set("client", a.Client.Id)
	request.Set("preferred_times", times)
	request.Set("note", note)
	request.Set("status", schema.RequestOpen)
	return request, app.Save(request)
}

// settleOpenRequest closes the appointment's open request, if any, as
// status, with a plain UPDATE: the client hears of a move or a
// cancellation from its own notice.
func settleOpenRequest(app core.App, appointmentId, status string, now time.Time) error {
	_, err := app.DB().NewQuery(
		"UPDATE appointment_requests SET status = {:status}, answered = {:now}, updated = {:now} " +
			"WHERE appointment = {:id} AND status = 'open'",
	).Bind(dbx.Params{"id": appointmentId, "status": status, "now": schema.DateTime(now)}).Execute()
	return err
}
