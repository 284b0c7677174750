package actions

import (
	"slices"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"portico/hooks/practice"
	"portico/hooks/schema"
)

// What a client may do with an appointment.
const (
	Confirm    = schema.ActionConfirm
	Cancel     = schema.ActionCancel
	Reschedule = schema.ActionReschedule
)

// allActions in the order the mail and the pages offer them.
var allActions = []string{Confirm, Cancel, Reschedule}

// An appointment's state as its client reads it.
const (
	StateScheduled      = "scheduled"
	StateConfirmed      = "confirmed"
	StateRequested      = "time_change_requested"
	StateCancelledByYou = "cancelled_by_you"
	StateCancelled      = "cancelled" // by the practice
	StateStarted        = "started"   // started, over or completed: nothing to change any more
)

// State says where the appointment stands for its client; request is its
// newest request for another time, or nil.
func State(a *schema.Appointment, request *core.Record, now time.Time) string {
	switch {
	case a.Status() == schema.StatusCancelled && a.GetString("cancelled_by") == schema.CancelledByClient:
		return StateCancelledByYou
	case a.Status() == schema.StatusCancelled:
		return StateCancelled
	case a.Status() == schema.StatusCompleted || !now.Before(a.Starts()):
		return StateStarted
	case request != nil && request.GetString("status") == schema.RequestOpen:
		return StateRequested
	case !a.GetDateTime("confirmed").IsZero():
		return StateConfirmed
	default:
		return StateScheduled
	}
}

// Offered is what the client may do in state, of what the practice allows.
func Offered(state string, off []string) []string {
	offered := []string{}
	for _, action := range allActions {
		if slices.Contains(off, action) {
			continue
		}
		switch {
		case state == StateScheduled,
			state == StateConfirmed && action != Confirm,
			state == StateRequested && action != Reschedule:
			offered = append(offered, action)
		}
	}
	return offered
}

// LateFrom is the moment from which cancelling counts as late: the
// policy's whole days are counted on the practice's calendar, so a 24-hour
// policy for Monday 10:00 starts at Sunday 10:00 on the practice's clock,
// whether or not the clocks changed that night; the remaining hours are
// elapsed time. The zero time means there is no policy.
func LateFrom(starts time.Time, policy time.Duration, zone *time.Location) time.Time {
	if policy <= 0 {
		return time.Time{}
	}
	day := 24 * time.Hour
	return starts.In(zone).AddDate(0, 0, -int(policy/day)).Add(-(policy % day)).UTC()
}

// late reports whether cancelling a at now falls inside the practice's policy window.
func late(a *schema.Appointment, settings practice.Practice, now time.Time) bool {
	from := LateFrom(a.Starts(), settings.CancellationPolicy, settings.TimeZone)
	return !from.IsZero() && !now.Before(from)
}
