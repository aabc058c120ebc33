package sandbox

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The Member API's notification endpoints (/notifications…,
// /notification_preferences…, /space_notification_details): each member's
// in-app notifications, the new-notification count, and notification
// settings per medium and per space. Notifications are made by the seed and
// by writes (a comment or reply on someone's post notifies the post's
// author, a reply also the parent comment's author); each one, and each
// change of the count, is published on the member's NotificationChannel
// stream.

// notificationState is the notification domain's state, behind its own
// lock. Lock order: notificationState.mu may be held while taking the
// store's lock, never the other way round.
type notificationState struct {
	mu sync.Mutex
	// byMember lists each member's notifications, oldest first.
	byMember map[int64][]*notification
	// countedUpTo is, per member, the newest notification id the last
	// reset of the new-notification count covered.
	countedUpTo map[int64]int64
	// kinds maps member → medium → preference type → enabled, for the
	// settings a member changed (the rest are defaultPreference).
	kinds map[int64]map[string]map[string]bool
	// spaceChoices maps member → medium → space member id → choice, for
	// the spaces a member changed (the rest are "all").
	spaceChoices map[int64]map[string]map[int64]string
	// unreadSince is when content counts as unread for
	// /space_notification_details: posts by others created after it.
	unreadSince time.Time
	nextID      int64
}

// notification is one in-app notification, with what Circle shows of its
// actor and object captured when it was made.
type notification struct {
	id, memberID int64
	action       string
	// notifiableType is Post, Event or Comment; notifiableID that
	// object's id; postID and parentCommentID complete a comment's.
	notifiableType                        string
	notifiableID, postID, parentCommentID int64
	spaceID                               int64
	spaceTitle, title, displayAction      string
	actorName                             string
	actorImage                            *string
	url                                   string
	createdAt, readAt                     time.Time
	archived                              bool
}

const firstNotificationID = 70001 // notifications: 70001…

func newNotificationState(start time.Time) *notificationState {
	return &notificationState{
		byMember:     map[int64][]*notification{},
		countedUpTo:  map[int64]int64{},
		kinds:        map[int64]map[string]map[string]bool{},
		spaceChoices: map[int64]map[string]map[int64]string{},
		unreadSince:  start.Add(-7 * 24 * time.Hour),
		nextID:       firstNotificationID,
	}
}

// Messages of the notification endpoints. Circle's document shows the
// success message of the preference updates; the failures follow the
// wording of its other messages.
const (
	msgPreferenceChanged = "Notification preference changed successfully"
	msgInvalidPreference = "Notification preference type is invalid."
	msgInvalidChoice     = "Notification preference choice is invalid."
)

// --- wire types: Circle's JSON shapes, as its OpenAPI examples show them ---

// liveTime writes a time as Circle does, with milliseconds.
func liveTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

// liveTimeOrNull is liveTime, or null for the zero time.
func liveTimeOrNull(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := liveTime(t)
	return &s
}

// livePage is Circle's list envelope.
type livePage[T any] struct {
	Page        int  `json:"page"`
	PerPage     int  `json:"per_page"`
	HasNextPage bool `json:"has_next_page"`
	Count       int  `json:"count"`
	PageCount   int  `json:"page_count"`
	Records     []T  `json:"records"`
}

// livePageOf cuts one page out of items (already rendered).
func livePageOf[T any](items []T, pp pageParams) livePage[T] {
	start := len(items)
	if pp.page-1 <= len(items)/pp.perPage {
		start = min((pp.page-1)*pp.perPage, len(items))
	}
	end := min(start+pp.perPage, len(items))
	return livePage[T]{
		Page:        pp.page,
		PerPage:     pp.perPage,
		HasNextPage: end < len(items),
		Count:       len(items),
		PageCount:   max((len(items)+pp.perPage-1)/pp.perPage, 1),
		Records:     slices.Clone(items[start:end]),
	}
}

type wireNotification struct {
	ID                        int64    `json:"id"`
	CreatedAt                 string   `json:"created_at"`
	ReadAt                    *string  `json:"read_at"`
	Action                    string   `json:"action"`
	NotifiableID              int64    `json:"notifiable_id"`
	SpaceTitle                string   `json:"space_title"`
	DisplayAction             string   `json:"display_action"`
	SpaceID                   int64    `json:"space_id"`
	NotificationTextStructure []string `json:"notification_text_structure"`
	ActorName                 string   `json:"actor_name"`
	NotifiableTitle           string   `json:"notifiable_title"`
	ActorImage                *string  `json:"actor_image"`
	SecondActorImage          *string  `json:"second_actor_image"`
	SecondActorName           *string  `json:"second_actor_name"`
	NotifiableType            string   `json:"notifiable_type"`
	ActionWebURL              string   `json:"action_web_url"`
	// Notifiable is a wirePostNotifiable or a wireCommentNotifiable.
	Notifiable any `json:"notifiable"`
}

type wirePostNotifiable struct {
	ID          int64 `json:"id"`
	CommunityID int64 `json:"community_id"`
	SpaceID     int64 `json:"space_id"`
}

type wireCommentNotifiable struct {
	ID              int64  `json:"id"`
	PostID          int64  `json:"post_id"`
	ParentCommentID *int64 `json:"parent_comment_id"`
	CommunityID     int64  `json:"community_id"`
	SpaceID         int64  `json:"space_id"`
}

type wireNotificationCounts struct {
	NewNotificationsCount int `json:"new_notifications_count"`
	NewMentionsCount      int `json:"new_mentions_count"`
	NewInboxCount         int `json:"new_inbox_count"`
}

// wireCount is the data of updateNewNotificationCount and
// resetNewNotificationCount, and the answer of a reset.
type wireCount struct {
	NewNotificationsCount int `json:"new_notifications_count"`
}

type wirePreferenceKind struct {
	Type    string `json:"type"`
	Name    string `json:"name"`
	Enabled bool   `json:"enabled"`
}

type wireSpacePreference struct {
	ID          int64  `json:"id"`
	SpaceID     int64  `json:"space_id"`
	SpaceName   string `json:"space_name"`
	Choice      string `json:"choice"`
	IsChatSpace bool   `json:"is_chat_space"`
}

type wireMediumPreferences struct {
	NotificationPreferences []wirePreferenceKind  `json:"notification_preferences"`
	SpacePreferences        []wireSpacePreference `json:"space_preferences"`
}

type wireSpaceMemberPreferences struct {
	InApp string `json:"in_app"`
	Push  string `json:"push"`
}

type wireSpaceNotificationDetail struct {
	ID                       int64 `json:"id"`
	UnreadContentCount       int   `json:"unread_content_count"`
	UnreadNotificationsCount int   `json:"unread_notifications_count"`
}

// emptyObject is the {} some writes answer with.
type emptyObject struct{}

func (n *notification) wire() wireNotification {
	w := wireNotification{
		ID:                        n.id,
		CreatedAt:                 liveTime(n.createdAt),
		ReadAt:                    liveTimeOrNull(n.readAt),
		Action:                    n.action,
		NotifiableID:              n.notifiableID,
		SpaceTitle:                n.spaceTitle,
		DisplayAction:             n.displayAction,
		SpaceID:                   n.spaceID,
		NotificationTextStructure: []string{"actor_name", "display_action", "notifiable_title"},
		ActorName:                 n.actorName,
		NotifiableTitle:           n.title,
		ActorImage:                cloneStr(n.actorImage),
		NotifiableType:            n.notifiableType,
		ActionWebURL:              n.url,
	}
	if n.notifiableType == "Comment" {
		c := wireCommentNotifiable{ID: n.notifiableID, PostID: n.postID, CommunityID: communityID, SpaceID: n.spaceID}
		if n.parentCommentID != 0 {
			p := n.parentCommentID
			c.ParentCommentID = &p
		}
		w.Notifiable = c
	} else {
		w.Notifiable = wirePostNotifiable{ID: n.notifiableID, CommunityID: communityID, SpaceID: n.spaceID}
	}
	return w
}

// --- making notifications ---

// notificationDraft is a notification to make: who gets it, who caused it
// and what it is about.
type notificationDraft struct {
	memberID, actorID                   int64
	action, notifiableType, verb        string
	notifiableID, postID, parentComment int64
	at                                  time.Time
	commentAnchor                       bool // the url points at the comment
}

// addLocked stores a notification (its actor, post and space looked up in st)
// and returns it with the member's new count; ok is false when the member
// or the post is gone.
func (ns *notificationState) addLocked(st *store, d notificationDraft) (n *notification, newCount int, ok bool) {
	st.mu.RLock()
	actor, okActor := st.members[d.actorID]
	p, okPost := st.posts[d.postID]
	_, okMember := st.members[d.memberID]
	if !okActor || !okPost || !okMember {
		st.mu.RUnlock()
		return nil, 0, false
	}
	sp := st.spaces[p.spaceID]
	url := communityURL + "/c/" + sp.slug + "/" + p.slug
	if d.commentAnchor {
		url += "#comment_wrapper_" + strconv.FormatInt(d.notifiableID, 10)
	}
	n = &notification{
		id: ns.nextID, memberID: d.memberID, action: d.action,
		notifiableType: d.notifiableType, notifiableID: d.notifiableID, postID: d.postID, parentCommentID: d.parentComment,
		spaceID: sp.id, spaceTitle: sp.name, title: p.title, displayAction: d.verb,
		actorName: actor.name, actorImage: cloneStr(actor.avatarURL), url: url, createdAt: d.at,
	}
	st.mu.RUnlock()
	ns.nextID++
	ns.byMember[d.memberID] = append(ns.byMember[d.memberID], n)
	return n, ns.newCountLocked(d.memberID).NewNotificationsCount, true
}

// newCountLocked counts a member's notifications that arrived since the
// last reset (the badge), their mentions, and the unread ones among them.
func (ns *notificationState) newCountLocked(memberID int64) wireNotificationCounts {
	var c wireNotificationCounts
	for _, n := range ns.byMember[memberID] {
		if n.archived || n.id <= ns.countedUpTo[memberID] {
			continue
		}
		c.NewNotificationsCount++
		if n.action == "mention" {
			c.NewMentionsCount++
		}
		if n.readAt.IsZero() {
			c.NewInboxCount++
		}
	}
	return c
}

// notify makes the notifications of d (skipping a member notified of their
// own doing) and publishes each with the member's new count.
func (s *Sandbox) notify(drafts ...notificationDraft) {
	ns := s.notifications
	ns.mu.Lock()
	var events []liveEvent
	for _, d := range drafts {
		if d.memberID == d.actorID {
			continue
		}
		n, count, ok := ns.addLocked(s.store, d)
		if !ok {
			continue
		}
		stream := notificationStream(d.memberID)
		events = append(events,
			liveEvent{Stream: stream, Event: eventNewNotification, Data: n.wire()},
			liveEvent{Stream: stream, Event: eventUpdateNotificationCount, Data: wireCount{NewNotificationsCount: count}},
		)
	}
	ns.mu.Unlock()
	for _, e := range events {
		s.live.publish(e)
	}
}

// notifyComment notifies the author of the post a new comment or reply is
// on, and for a reply the author of the comment replied to.
func (s *Sandbox) notifyComment(viewer, commentID int64, now time.Time) {
	st := s.store
	st.mu.RLock()
	c, ok := st.comments[commentID]
	if !ok {
		st.mu.RUnlock()
		return
	}
	postAuthor := st.posts[c.postID].authorID
	var parentAuthor int64
	if c.parentID != 0 {
		parentAuthor = st.comments[c.parentID].authorID
	}
	postID, parentID := c.postID, c.parentID
	st.mu.RUnlock()

	drafts := []notificationDraft{{
		memberID: postAuthor, actorID: viewer, action: "add", notifiableType: "Comment", verb: "commented on",
		notifiableID: commentID, postID: postID, parentComment: parentID, at: now, commentAnchor: true,
	}}
	if parentID != 0 && parentAuthor != postAuthor {
		drafts = append(drafts, notificationDraft{
			memberID: parentAuthor, actorID: viewer, action: "add", notifiableType: "Comment", verb: "replied to your comment on",
			notifiableID: commentID, postID: postID, parentComment: parentID, at: now, commentAnchor: true,
		})
	}
	s.notify(drafts...)
}

// --- reads and writes ---

// ownNotificationLocked finds one of viewer's notifications by id.
func (ns *notificationState) ownNotificationLocked(viewer int64, idRef string) (*notification, error) {
	id, ok := parseID(idRef)
	if ok {
		for _, n := range ns.byMember[viewer] {
			if n.id == id && !n.archived {
				return n, nil
			}
		}
	}
	return nil, notFound("notification")
}

func (s *Sandbox) listNotifications(w http.ResponseWriter, r *http.Request, viewer int64) {
	q := r.URL.Query()
	status := q.Get("status")
	ns := s.notifications
	ns.mu.Lock()
	var out []wireNotification
	for _, n := range ns.byMember[viewer] {
		read := !n.readAt.IsZero()
		if n.archived || (status == "read" && !read) || (status == "unread" && read) {
			continue
		}
		out = append(out, n.wire())
	}
	ns.mu.Unlock()
	if q.Get("sort") != "oldest" {
		slices.Reverse(out)
	}
	writeJSON(w, http.StatusOK, livePageOf(out, pageFrom(q, 20)))
}

func (s *Sandbox) newNotificationsCount(w http.ResponseWriter, _ *http.Request, viewer int64) {
	ns := s.notifications
	ns.mu.Lock()
	c := ns.newCountLocked(viewer)
	ns.mu.Unlock()
	writeJSON(w, http.StatusOK, c)
}

func (s *Sandbox) resetNewNotificationsCount(w http.ResponseWriter, _ *http.Request, viewer int64) {
	ns := s.notifications
	ns.mu.Lock()
	if list := ns.byMember[viewer]; len(list) > 0 {
		ns.countedUpTo[viewer] = list[len(list)-1].id
	}
	ns.mu.Unlock()
	s.live.publish(liveEvent{Stream: notificationStream(viewer), Event: eventResetNotificationCount, Data: wireCount{}})
	writeJSON(w, http.StatusOK, wireCount{})
}

// changeNotification applies change to one of viewer's notifications and
// answers with it as change leaves it.
func (s *Sandbox) changeNotification(w http.ResponseWriter, r *http.Request, viewer int64, change func(ns *notificationState, n *notification)) {
	ns := s.notifications
	ns.mu.Lock()
	n, err := ns.ownNotificationLocked(viewer, r.PathValue("id"))
	var out wireNotification
	if err == nil {
		out = n.wire()
		change(ns, n)
		if !n.archived {
			out = n.wire()
		}
	}
	ns.mu.Unlock()
	answer(w, out, err)
}

func (s *Sandbox) markNotificationRead(w http.ResponseWriter, r *http.Request, viewer int64) {
	s.changeNotification(w, r, viewer, func(_ *notificationState, n *notification) {
		if n.readAt.IsZero() {
			n.readAt = s.now()
		}
	})
}

func (s *Sandbox) archiveNotification(w http.ResponseWriter, r *http.Request, viewer int64) {
	s.changeNotification(w, r, viewer, func(_ *notificationState, n *notification) {
		n.archived = true
	})
}

func (s *Sandbox) deleteNotification(w http.ResponseWriter, r *http.Request, viewer int64) {
	s.changeNotification(w, r, viewer, func(ns *notificationState, n *notification) {
		ns.byMember[viewer] = slices.DeleteFunc(ns.byMember[viewer], func(m *notification) bool { return m == n })
		n.archived = true // its answer is the notification as it was
	})
}

func (s *Sandbox) markAllNotificationsRead(w http.ResponseWriter, _ *http.Request, viewer int64) {
	ns := s.notifications
	ns.mu.Lock()
	now := s.now()
	for _, n := range ns.byMember[viewer] {
		if n.readAt.IsZero() {
			n.readAt = now
		}
	}
	ns.mu.Unlock()
	writeJSON(w, http.StatusOK, emptyObject{})
}

// --- preferences ---

// preferenceKinds are the kinds of notification a member can switch per
// medium, in Circle's order, with the default setting. updatable marks the
// kinds PUT /notification_preferences/{medium} takes.
var preferenceKinds = []preferenceKind{
	{"post_comment", "Comments on my posts", true},
	{"comment_reply", "Replies to my comments", true},
	{"mention", "Mentions", true},
	{"direct_messages", "Direct messages", true},
	{"post_like", "Likes on my posts", true},
	{"comment_like", "Likes on my comments", true},
	{"live", "Live streams/rooms", false},
	{"new_course_content", "New course content", true},
	{"poll", "Polls", false},
}

// preferenceKind is a kind of notification a member can switch per medium.
type preferenceKind struct {
	kind, name string
	updatable  bool
}

// mediumFrom reads a medium path parameter; "push" and "mobile" are the
// same settings (the mobile app's), as in Circle.
func mediumFrom(v string) (string, bool) {
	switch v {
	case "in_app":
		return "in_app", true
	case "push", "mobile":
		return "push", true
	}
	return "", false
}

var spaceChoices = map[string]bool{"all": true, "never": true, "mention": true}

// defaultPreference is a kind's setting until the member changes it:
// everything on in the app, likes off on mobile.
func defaultPreference(medium, kind string) bool {
	return medium == "in_app" || !strings.HasSuffix(kind, "_like")
}

func (ns *notificationState) kindLocked(viewer int64, medium, kind string) bool {
	if v, ok := ns.kinds[viewer][medium][kind]; ok {
		return v
	}
	return defaultPreference(medium, kind)
}

func (ns *notificationState) choiceLocked(viewer int64, medium string, spaceMemberID int64) string {
	if c, ok := ns.spaceChoices[viewer][medium][spaceMemberID]; ok {
		return c
	}
	return "all"
}

func (ns *notificationState) setChoiceLocked(viewer int64, medium string, spaceMemberID int64, choice string) {
	if ns.spaceChoices[viewer] == nil {
		ns.spaceChoices[viewer] = map[string]map[int64]string{}
	}
	if ns.spaceChoices[viewer][medium] == nil {
		ns.spaceChoices[viewer][medium] = map[int64]string{}
	}
	ns.spaceChoices[viewer][medium][spaceMemberID] = choice
}

// viewerSpaceMembers lists viewer's space memberships: space member id →
// space, in the store's space order.
func (st *store) viewerSpaceMembers(viewer int64) []struct {
	id    int64
	space *space
} {
	st.mu.RLock()
	defer st.mu.RUnlock()
	var out []struct {
		id    int64
		space *space
	}
	for _, sid := range st.spaceOrder {
		sp := st.spaces[sid]
		if smID, ok := sp.members[viewer]; ok {
			out = append(out, struct {
				id    int64
				space *space
			}{smID, sp})
		}
	}
	return out
}

func (s *Sandbox) notificationPreferences(w http.ResponseWriter, r *http.Request, viewer int64) {
	medium, ok := mediumFrom(r.PathValue("medium"))
	if !ok {
		writeError(w, notFound("notification_preference"))
		return
	}
	memberships := s.store.viewerSpaceMembers(viewer)
	ns := s.notifications
	ns.mu.Lock()
	out := wireMediumPreferences{NotificationPreferences: []wirePreferenceKind{}, SpacePreferences: []wireSpacePreference{}}
	for _, k := range preferenceKinds {
		out.NotificationPreferences = append(out.NotificationPreferences, wirePreferenceKind{Type: k.kind, Name: k.name, Enabled: ns.kindLocked(viewer, medium, k.kind)})
	}
	for _, m := range memberships {
		out.SpacePreferences = append(out.SpacePreferences, wireSpacePreference{
			ID: m.id, SpaceID: m.space.id, SpaceName: m.space.name, Choice: ns.choiceLocked(viewer, medium, m.id),
		})
	}
	ns.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func (s *Sandbox) updateNotificationPreference(w http.ResponseWriter, r *http.Request, viewer int64) {
	medium, ok := mediumFrom(r.PathValue("medium"))
	if !ok {
		writeError(w, notFound("notification_preference"))
		return
	}
	q := r.URL.Query()
	kind := q.Get("type")
	enabled, err := strconv.ParseBool(q.Get("enabled"))
	valid := slices.ContainsFunc(preferenceKinds, func(k preferenceKind) bool { return k.kind == kind && k.updatable })
	if !valid || err != nil {
		field := "type"
		if valid {
			field = "enabled"
		}
		writeError(w, invalid(msgInvalidPreference, map[string][]string{field: {"is invalid"}}))
		return
	}
	ns := s.notifications
	ns.mu.Lock()
	if ns.kinds[viewer] == nil {
		ns.kinds[viewer] = map[string]map[string]bool{}
	}
	if ns.kinds[viewer][medium] == nil {
		ns.kinds[viewer][medium] = map[string]bool{}
	}
	ns.kinds[viewer][medium][kind] = enabled
	ns.mu.Unlock()
	writeJSON(w, http.StatusOK, done{Success: true, Message: msgPreferenceChanged})
}

func (s *Sandbox) spaceMemberPreferences(w http.ResponseWriter, r *http.Request, viewer int64) {
	byID(w, r, "id", "space_member", func(spaceMemberID int64) (any, error) {
		if !slices.ContainsFunc(s.store.viewerSpaceMembers(viewer), func(m struct {
			id    int64
			space *space
		}) bool {
			return m.id == spaceMemberID
		}) {
			return nil, notFound("space_member")
		}
		ns := s.notifications
		ns.mu.Lock()
		defer ns.mu.Unlock()
		return wireSpaceMemberPreferences{InApp: ns.choiceLocked(viewer, "in_app", spaceMemberID), Push: ns.choiceLocked(viewer, "push", spaceMemberID)}, nil
	})
}

// updateSpacePreferences is PUT /notification_preferences/{medium}/spaces
// (every space of viewer) and …/spaces/{id} (one space membership).
func (s *Sandbox) updateSpacePreferences(w http.ResponseWriter, r *http.Request, viewer int64) {
	medium, ok := mediumFrom(r.PathValue("medium"))
	if !ok {
		writeError(w, notFound("notification_preference"))
		return
	}
	choice := r.URL.Query().Get("choice")
	if !spaceChoices[choice] {
		writeError(w, invalid(msgInvalidChoice, map[string][]string{"choice": {"is invalid"}}))
		return
	}
	memberships := s.store.viewerSpaceMembers(viewer)
	targets := make([]int64, 0, len(memberships))
	if ref := r.PathValue("id"); ref != "" {
		id, ok := parseID(ref)
		if !ok || !slices.ContainsFunc(memberships, func(m struct {
			id    int64
			space *space
		}) bool {
			return m.id == id
		}) {
			writeError(w, notFound("space_member"))
			return
		}
		targets = append(targets, id)
	} else {
		for _, m := range memberships {
			targets = append(targets, m.id)
		}
	}
	ns := s.notifications
	ns.mu.Lock()
	for _, id := range targets {
		ns.setChoiceLocked(viewer, medium, id, choice)
	}
	ns.mu.Unlock()
	writeJSON(w, http.StatusOK, done{Success: true, Message: msgPreferenceChanged})
}

// spaceNotificationDetails is GET /space_notification_details: per space
// viewer can see (all of them, or those of space_ids), the posts by others
// since unreadSince and viewer's unread notifications about the space.
func (s *Sandbox) spaceNotificationDetails(w http.ResponseWriter, r *http.Request, viewer int64) {
	var only map[int64]bool
	if raw := r.URL.Query().Get("space_ids"); strings.TrimSpace(raw) != "" {
		only = map[int64]bool{}
		for part := range strings.SplitSeq(raw, ",") {
			if id, ok := parseID(strings.TrimSpace(part)); ok {
				only[id] = true
			}
		}
	}
	ns := s.notifications
	ns.mu.Lock()
	unreadNotes := map[int64]int{}
	for _, n := range ns.byMember[viewer] {
		if !n.archived && n.readAt.IsZero() {
			unreadNotes[n.spaceID]++
		}
	}
	since := ns.unreadSince
	ns.mu.Unlock()

	st := s.store
	st.mu.RLock()
	defer st.mu.RUnlock()
	out := []wireSpaceNotificationDetail{}
	for _, sid := range st.spaceOrder {
		sp := st.spaces[sid]
		if !st.canSeeLocked(sp, viewer) || (only != nil && !only[sid]) {
			continue
		}
		d := wireSpaceNotificationDetail{ID: sid, UnreadNotificationsCount: unreadNotes[sid]}
		for _, pid := range st.postOrder {
			if p := st.posts[pid]; p.spaceID == sid && p.authorID != viewer && p.createdAt.After(since) {
				d.UnreadContentCount++
			}
		}
		out = append(out, d)
	}
	writeJSON(w, http.StatusOK, out)
}

// notificationRoutes registers the notification endpoints.
func (s *Sandbox) notificationRoutes(member func(method, path string, h memberHandler)) {
	get, post, put, del := http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete
	member(get, "/notifications", s.listNotifications)
	member(get, "/notifications/new_notifications_count", s.newNotificationsCount)
	member(post, "/notifications/reset_new_notifications_count", s.resetNewNotificationsCount)
	member(post, "/notifications/mark_all_as_read", s.markAllNotificationsRead)
	member(post, "/notifications/{id}/mark_as_read", s.markNotificationRead)
	member(post, "/notifications/{id}/archive", s.archiveNotification)
	member(del, "/notifications/{id}", s.deleteNotification)
	member(get, "/notification_preferences/{medium}", s.notificationPreferences)
	member(put, "/notification_preferences/{medium}", s.updateNotificationPreference)
	// GET …/space_members/{id} and PUT …/{medium}/spaces share one
	// pattern: ServeMux cannot tell "space_members/{id}" from
	// "{medium}/spaces" apart (neither is more specific).
	member(get, "/notification_preferences/{medium}/{id}", func(w http.ResponseWriter, r *http.Request, viewer int64) {
		if r.PathValue("medium") != "space_members" {
			writeError(w, notFound("space_member"))
			return
		}
		s.spaceMemberPreferences(w, r, viewer)
	})
	member(put, "/notification_preferences/{medium}/{id}", func(w http.ResponseWriter, r *http.Request, viewer int64) {
		if r.PathValue("id") != "spaces" {
			noRoute(w, r)
			return
		}
		r.SetPathValue("id", "")
		s.updateSpacePreferences(w, r, viewer)
	})
	member(put, "/notification_preferences/{medium}/spaces/{id}", s.updateSpacePreferences)
	member(get, "/space_notification_details", s.spaceNotificationDetails)
}
