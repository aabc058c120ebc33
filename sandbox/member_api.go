package sandbox

import (
	"net/http"
	"time"
)

// The Member API (/api/headless/v1/…): reads on behalf of the member whose
// access token the request carries.

// memberHandler serves a Member API request for the authenticated viewer.
type memberHandler func(w http.ResponseWriter, r *http.Request, viewer int64)

// memberOnly checks the request's member access token and answers 401 with
// Circle's message when it is missing, invalid, expired or revoked.
func (s *Sandbox) memberOnly(h memberHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, msg := s.verify(bearer(r))
		if msg != "" {
			writeError(w, &apiError{status: http.StatusUnauthorized, message: msg})
			return
		}
		h(w, r, tok.memberID)
	}
}

// answer writes v, or err in Circle's error shape.
func answer[T any](w http.ResponseWriter, v T, err error) {
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// byID serves an endpoint keyed by one numeric path parameter: it reads
// the parameter (a non-number is the record's 404) and answers fn's result
// with 200, or its error in Circle's shape.
func byID(w http.ResponseWriter, r *http.Request, param, what string, fn func(id int64) (any, error)) {
	id, err := pathID(r, param, what)
	if err != nil {
		writeError(w, err)
		return
	}
	v, err := fn(id)
	answer(w, v, err)
}

// pathID reads a numeric path parameter; anything else is a missing record.
func pathID(r *http.Request, name, what string) (int64, error) {
	id, ok := parseID(r.PathValue(name))
	if !ok {
		return 0, notFound(what)
	}
	return id, nil
}

func (s *Sandbox) currentMember(w http.ResponseWriter, _ *http.Request, viewer int64) {
	me, err := s.store.currentMember(viewer)
	answer(w, me, err)
}

func (s *Sandbox) spaces(w http.ResponseWriter, _ *http.Request, viewer int64) {
	writeJSON(w, http.StatusOK, s.store.spacesFor(viewer))
}

func (s *Sandbox) space(w http.ResponseWriter, r *http.Request, viewer int64) {
	byID(w, r, "id", "space", func(id int64) (any, error) {
		return s.store.space(viewer, id)
	})
}

func (s *Sandbox) spacePosts(w http.ResponseWriter, r *http.Request, viewer int64) {
	q := r.URL.Query()
	page, err := s.store.spacePosts(viewer, r.PathValue("space_id"), postQuery{
		sort:       sortFrom(q, postSorts),
		pastEvents: boolFrom(q, "past_events"),
		postIDs:    postIDsFrom(q),
		topics:     idsFrom(q, "topics"),
		drafts:     q.Get("status") == "draft",
		page:       pageFrom(q, defaultPerPage),
	}, s.now())
	answer(w, page, err)
}

func (s *Sandbox) post(w http.ResponseWriter, r *http.Request, viewer int64) {
	p, err := s.store.post(viewer, r.PathValue("space_id"), r.PathValue("id"))
	answer(w, p, err)
}

func (s *Sandbox) home(w http.ResponseWriter, r *http.Request, viewer int64) {
	q := r.URL.Query()
	writeJSON(w, http.StatusOK, s.store.home(viewer, postQuery{sort: sortFrom(q, postSorts), page: pageFrom(q, defaultPerPage)}))
}

func (s *Sandbox) events(w http.ResponseWriter, r *http.Request, viewer int64) {
	q := r.URL.Query()
	eq := eventQuery{page: pageFrom(q, defaultPerPage), drafts: q.Get("status") == "draft"}
	if past := boolFrom(q, "past_events"); past != nil {
		eq.past = *past
	}
	eq.from = dateFrom(q.Get("filter_date[start_date]"))
	eq.to = dateFrom(q.Get("filter_date[end_date]"))
	writeJSON(w, http.StatusOK, s.store.events(viewer, eq, s.now()))
}

// dateFrom reads a YYYY-MM-DD date as the start of that UTC day; nil when
// absent or malformed (Circle then does not filter).
func dateFrom(v string) *time.Time {
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return nil
	}
	return &d
}

func (s *Sandbox) postComments(w http.ResponseWriter, r *http.Request, viewer int64) {
	byID(w, r, "post_id", "post", func(postID int64) (any, error) {
		q := r.URL.Query()
		return s.store.postComments(viewer, postID, sortFrom(q, commentSorts), pageFrom(q, defaultCommentsPerPage))
	})
}

func (s *Sandbox) comment(w http.ResponseWriter, r *http.Request, viewer int64) {
	postID, err := pathID(r, "post_id", "post")
	if err != nil {
		writeError(w, err)
		return
	}
	byID(w, r, "id", "comment", func(commentID int64) (any, error) {
		return s.store.comment(viewer, postID, commentID)
	})
}

func (s *Sandbox) replies(w http.ResponseWriter, r *http.Request, viewer int64) {
	byID(w, r, "comment_id", "comment", func(commentID int64) (any, error) {
		q := r.URL.Query()
		return s.store.replies(viewer, commentID, sortFrom(q, commentSorts), pageFrom(q, defaultCommentsPerPage))
	})
}

func (s *Sandbox) postLikes(w http.ResponseWriter, r *http.Request, viewer int64) {
	byID(w, r, "post_id", "post", func(postID int64) (any, error) {
		return s.store.postLikes(viewer, postID, pageFrom(r.URL.Query(), defaultPerPage))
	})
}

func (s *Sandbox) eventAttendees(w http.ResponseWriter, r *http.Request, viewer int64) {
	byID(w, r, "event_id", "event", func(eventID int64) (any, error) {
		return s.store.eventAttendees(viewer, eventID, pageFrom(r.URL.Query(), defaultPerPage))
	})
}

func (s *Sandbox) members(w http.ResponseWriter, r *http.Request, viewer int64) {
	q := r.URL.Query()
	page, err := s.store.membersList(viewer, memberQuery{
		search:  q.Get("search_text"),
		spaceID: q.Get("space_id"),
		sort:    sortFrom(q, memberSorts),
		page:    pageFrom(q, defaultPerPage),
	})
	answer(w, page, err)
}

func (s *Sandbox) publicProfile(w http.ResponseWriter, r *http.Request, viewer int64) {
	byID(w, r, "community_member_id", "community_member", func(memberID int64) (any, error) {
		return s.store.profile(viewer, memberID)
	})
}

func (s *Sandbox) memberPosts(w http.ResponseWriter, r *http.Request, viewer int64) {
	byID(w, r, "community_member_id", "community_member", func(memberID int64) (any, error) {
		return s.store.memberPosts(viewer, memberID, pageFrom(r.URL.Query(), defaultPerPage))
	})
}

func (s *Sandbox) memberComments(w http.ResponseWriter, r *http.Request, viewer int64) {
	byID(w, r, "community_member_id", "community_member", func(memberID int64) (any, error) {
		return s.store.memberComments(viewer, memberID, pageFrom(r.URL.Query(), defaultPerPage))
	})
}
