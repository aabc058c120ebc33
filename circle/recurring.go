package circle

import (
	"context"
	"net/http"
)

// Recurring events: the dates of an event's series and the member's RSVPs
// to them. Circle lists a series' dates as records of their own
// (recurring_event), not as posts, and takes the RSVPs to a series in one
// write naming every date the member is going to.

// RecurringEvent is one date of a recurring event's series, Circle's
// recurring_event: its own id (the one RSVPRecurringEvents takes), the
// series' name, when it happens and the member's RSVP to it.
type RecurringEvent struct {
	ID       int64     `json:"id"`
	Name     string    `json:"name"`
	StartsAt Timestamp `json:"starts_at"`
	EndsAt   Timestamp `json:"ends_at"`
	// StartDate is Circle's display form of the day ("Thu, May  9 2024").
	StartDate string `json:"start_date"`
	// TimeZoneAbbreviation is spelled time_zone_abbreviations by Circle.
	TimeZoneAbbreviation string `json:"time_zone_abbreviations"`
	TimeZone             string `json:"time_zone"`
	// RsvpedEvent is whether the fetching member is going to this date.
	RsvpedEvent bool `json:"rsvped_event"`
	RsvpCount   int  `json:"rsvp_count"`
	// RsvpLimit is nil when the date takes any number of RSVPs.
	RsvpLimit *int `json:"rsvp_limit"`
}

// RecurringEvents lists the dates of an event's series:
// GET /spaces/{space_id}/events/{event_id}/recurring_events.
func (m *MemberAPI) RecurringEvents(ctx context.Context, spaceID, eventID int64, p ListParams) (*Page[RecurringEvent], error) {
	var out Page[RecurringEvent]
	return &out, m.get(ctx, "/spaces/{space_id}/events/{event_id}/recurring_events", seriesPath(spaceID, eventID), p.query(), &out)
}

// recurringRSVP is the request body of the series' RSVP endpoint; its
// event_ids is required, and an empty list is a valid one.
type recurringRSVP struct {
	EventIDs []int64 `json:"event_ids"`
}

// RSVPRecurringEvents makes the member's RSVPs to an event's series
// exactly the dates named (the ids of RecurringEvents' records):
// PUT /spaces/{space_id}/events/{event_id}/recurring_events/rsvp. Circle
// answers with a confirmation message and nothing else, which is returned.
func (m *MemberAPI) RSVPRecurringEvents(ctx context.Context, spaceID, eventID int64, dates []int64) (string, error) {
	body := recurringRSVP{EventIDs: dates}
	if body.EventIDs == nil {
		body.EventIDs = []int64{}
	}
	var out struct {
		Message string `json:"message"`
	}
	if err := m.write(ctx, http.MethodPut, "/spaces/{space_id}/events/{event_id}/recurring_events/rsvp", seriesPath(spaceID, eventID)+"/rsvp", body, &out); err != nil {
		return "", err
	}
	return out.Message, nil
}

func seriesPath(spaceID, eventID int64) string {
	return "/spaces/" + id(spaceID) + "/events/" + id(eventID) + "/recurring_events"
}
