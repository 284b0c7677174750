package practice

import (
	"fmt"
	"strings"
	"time"
)

// ZoneLocation is a time zone by its IANA name, or UTC for an empty or unknown one.
func ZoneLocation(name string) *time.Location {
	location, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC
	}
	return location
}

// LocalTime writes t as the client reads it: in their zone, with the
// zone's abbreviation and place, so "10:00 AM EDT (New York time)".
func LocalTime(t time.Time, zone string) string {
	location := ZoneLocation(zone)
	place := strings.ReplaceAll(location.String()[strings.LastIndex(location.String(), "/")+1:], "_", " ")
	return t.In(location).Format("Monday, 2 January 2006 at 3:04 PM MST") + " (" + place + " time)"
}

// HumanDuration writes a link lifetime the way a person would say it.
func HumanDuration(d time.Duration) string {
	switch {
	case d >= 48*time.Hour && d%(24*time.Hour) == 0:
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	case d >= 2*time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%d hours", d/time.Hour)
	default:
		return fmt.Sprintf("%d minutes", int(d.Minutes()))
	}
}

// ContactLine invites the client to call or write, with what the practice gave.
func (p Practice) ContactLine(lead string) string {
	var ways []string
	if p.Phone != "" {
		ways = append(ways, "call "+p.Phone)
	}
	if p.ContactEmail != "" {
		ways = append(ways, "write to "+p.ContactEmail)
	}
	if len(ways) == 0 {
		return lead + "."
	}
	return lead + ": " + strings.Join(ways, " or ") + "."
}
