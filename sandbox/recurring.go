package sandbox

import (
	"fmt"
	"net/http"
	"slices"
	"time"
)

// Recurring events: the dates of a series (GET /spaces/{space_id}/events/
// {event_id}/recurring_events) and a member's RSVPs to them (PUT …/rsvp).
// The sandbox keeps a series' dates inside its event (event.series).

// msgOccurrenceInvalid refuses event ids that are not dates of the series;
// the document shows no failure.
const msgOccurrenceInvalid = "Event ids is invalid"

// wireOccurrence is Circle's recurring_event record.
type wireOccurrence struct {
	ID                   int64    `json:"id"`
	Name                 string   `json:"name"`
	StartsAt             wireTime `json:"starts_at"`
	EndsAt               wireTime `json:"ends_at"`
	StartDate            string   `json:"start_date"`
	TimeZoneAbbreviation string   `json:"time_zone_abbreviations"`
	TimeZone             string   `json:"time_zone"`
	RsvpedEvent          bool     `json:"rsvped_event"`
	RsvpCount            int      `json:"rsvp_count"`
	RsvpLimit            *int     `json:"rsvp_limit"`
}

// wireOccurrencePage is the recurring_events list, which Circle sends with
// an empty "meta" object.
type wireOccurrencePage struct {
	wirePage[wireOccurrence]
	Meta map[string]any `json:"meta"`
}

// seriesLocked finds the series of an event viewer can see in a space.
func (st *store) seriesLocked(viewer, spaceID, eventID int64) (*post, error) {
	p, ok := st.visiblePostLocked(eventID, viewer)
	if !ok || p.spaceID != spaceID || p.event == nil {
		return nil, notFound("event")
	}
	if p.event.series == nil {
		return nil, notFound("recurring_event")
	}
	return p, nil
}

// occurrences is GET /spaces/{space_id}/events/{event_id}/recurring_events,
// soonest first.
func (st *store) occurrences(viewer, spaceID, eventID int64, pp pageParams) (wireOccurrencePage, error) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	p, err := st.seriesLocked(viewer, spaceID, eventID)
	if err != nil {
		return wireOccurrencePage{}, err
	}
	page := pageOf(p.event.series.occurrences, pp, func(o occurrence) wireOccurrence {
		out := wireOccurrence{
			ID: o.id, Name: p.title, StartsAt: wireTime(o.startsAt), EndsAt: wireTime(o.endsAt),
			StartDate: o.startsAt.UTC().Format("Mon, Jan _2 2006"), TimeZoneAbbreviation: "UTC", TimeZone: "Etc/UTC",
			RsvpedEvent: o.rsvps[viewer], RsvpCount: len(o.rsvps),
		}
		if o.rsvpLimit != nil {
			limit := *o.rsvpLimit
			out.RsvpLimit = &limit
		}
		return out
	})
	return wireOccurrencePage{wirePage: page, Meta: map[string]any{}}, nil
}

// rsvpOccurrences is PUT …/recurring_events/rsvp: viewer is going to
// exactly the dates named (an empty list withdraws every RSVP of the
// series). A date at its RSVP limit that viewer was not going to is
// refused, and then nothing changes.
func (st *store) rsvpOccurrences(viewer, spaceID, eventID int64, ids []int64) (string, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	p, err := st.seriesLocked(viewer, spaceID, eventID)
	if err != nil {
		return "", err
	}
	occ := p.event.series.occurrences
	for _, id := range ids {
		i := slices.IndexFunc(occ, func(o occurrence) bool { return o.id == id })
		if i < 0 {
			return "", invalid(msgOccurrenceInvalid, map[string][]string{"event_ids": {"is invalid"}})
		}
		if o := occ[i]; !o.rsvps[viewer] && o.rsvpLimit != nil && len(o.rsvps) >= *o.rsvpLimit {
			return "", &apiError{status: http.StatusUnprocessableEntity, message: msgEventFull}
		}
	}
	going := 0
	for i := range occ {
		if slices.Contains(ids, occ[i].id) {
			occ[i].rsvps[viewer] = true
			going++
		} else {
			delete(occ[i].rsvps, viewer)
		}
	}
	return fmt.Sprintf("You’ve RSVP’d to %d events. We’ll send you a reminder before an event starts.", going), nil
}

// addSeries makes an event post the first date of a weekly series of n
// dates (the seed's recurring event).
func (st *store) addSeries(postID int64, n int) {
	st.mu.Lock()
	defer st.mu.Unlock()
	ev := st.posts[postID].event
	se := &series{frequency: "weekly"}
	for k := range n {
		o := occurrence{id: st.nextOccurrence, startsAt: ev.startsAt.AddDate(0, 0, 7*k), endsAt: ev.endsAt.AddDate(0, 0, 7*k), rsvps: map[int64]bool{}, rsvpLimit: ev.rsvpLimit}
		st.nextOccurrence++
		se.occurrences = append(se.occurrences, o)
	}
	ev.series = se
}

func (s *Sandbox) recurringEvents(w http.ResponseWriter, r *http.Request, viewer int64) {
	s.seriesCall(w, r, func(spaceID, eventID int64) (any, error) {
		return s.store.occurrences(viewer, spaceID, eventID, pageFrom(r.URL.Query(), defaultPerPage))
	})
}

func (s *Sandbox) rsvpRecurring(w http.ResponseWriter, r *http.Request, viewer int64) {
	var body struct {
		EventIDs *[]int64 `json:"event_ids"`
	}
	if err := decodeBody(w, r, &body); err != nil {
		writeError(w, err)
		return
	}
	s.seriesCall(w, r, func(spaceID, eventID int64) (any, error) {
		if body.EventIDs == nil {
			return nil, invalid(msgOccurrenceInvalid, map[string][]string{"event_ids": {"can't be blank"}})
		}
		msg, err := s.store.rsvpOccurrences(viewer, spaceID, eventID, *body.EventIDs)
		return map[string]string{"message": msg}, err
	})
}

// seriesCall reads the space_id and event_id of a series endpoint.
func (s *Sandbox) seriesCall(w http.ResponseWriter, r *http.Request, fn func(spaceID, eventID int64) (any, error)) {
	spaceID, err := pathID(r, "space_id", "space")
	if err != nil {
		writeError(w, err)
		return
	}
	byID(w, r, "event_id", "event", func(eventID int64) (any, error) { return fn(spaceID, eventID) })
}

// seriesEnds is when the last date of a series ends, for its event's
// recurring_setting_attributes.
func seriesEnds(se *series) time.Time {
	if len(se.occurrences) == 0 {
		return time.Time{}
	}
	return se.occurrences[len(se.occurrences)-1].endsAt
}
