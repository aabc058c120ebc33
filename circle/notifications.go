package circle

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// The Member API's notification endpoints (tags Notifications and
// Notification Preferences of Circle's OpenAPI document, and
// /space_notification_details): the member's in-app notifications, the
// new-notifications count, and the notification settings per medium and
// per space.

// Notification is one in-app notification of the member (Circle's
// "notification" schema). The text a client shows is built from
// NotificationTextStructure: the names of this record's fields to join, in
// order (["actor_name", "display_action", "notifiable_title"]).
type Notification struct {
	ID        int64     `json:"id"`
	CreatedAt Timestamp `json:"created_at"`
	// ReadAt is zero while the notification is unread.
	ReadAt Timestamp `json:"read_at"`
	// Action is Circle's verb: add, comment, mention, like, …
	Action       string `json:"action"`
	NotifiableID int64  `json:"notifiable_id"`
	// NotifiableType is the kind of object the notification is about:
	// Post, Comment, Event, …
	NotifiableType string `json:"notifiable_type"`
	// NotifiableTitle is that object's title (a comment's post title).
	NotifiableTitle string `json:"notifiable_title"`
	// DisplayAction is the verb as Circle words it ("posted"); Circle
	// sometimes leaves a "Translation missing: …" placeholder here.
	DisplayAction             string   `json:"display_action"`
	NotificationTextStructure []string `json:"notification_text_structure"`
	SpaceID                   int64    `json:"space_id"`
	SpaceTitle                string   `json:"space_title"`
	ActorName                 string   `json:"actor_name"`
	ActorImage                *string  `json:"actor_image"`
	SecondActorName           *string  `json:"second_actor_name,omitempty"`
	SecondActorImage          *string  `json:"second_actor_image,omitempty"`
	// ActionWebURL links to the object in Circle's web app.
	ActionWebURL string     `json:"action_web_url"`
	Notifiable   Notifiable `json:"notifiable"`
}

// Notifiable is the short form of the object a notification is about. A
// post or event carries its own id and space; a comment also names its post
// (PostID) and, for a reply, its parent comment.
type Notifiable struct {
	ID              int64  `json:"id"`
	CommunityID     int64  `json:"community_id,omitempty"`
	SpaceID         int64  `json:"space_id,omitempty"`
	PostID          int64  `json:"post_id,omitempty"`
	ParentCommentID *int64 `json:"parent_comment_id,omitempty"`
}

// Notifiable types as Circle names them in notifiable_type.
const (
	NotifiablePost    = "Post"
	NotifiableEvent   = "Event"
	NotifiableComment = "Comment"
)

// PostKey returns the space and post a notification is about, when it is
// about a post, an event (an event post) or a comment on one; ok is false
// for anything else or when Circle sent no ids.
func (n *Notification) PostKey() (spaceID, postID int64, ok bool) {
	spaceID = n.Notifiable.SpaceID
	if spaceID == 0 {
		spaceID = n.SpaceID
	}
	switch n.NotifiableType {
	case NotifiablePost, NotifiableEvent:
		postID = n.Notifiable.ID
		if postID == 0 {
			postID = n.NotifiableID
		}
	case NotifiableComment:
		postID = n.Notifiable.PostID
	}
	return spaceID, postID, spaceID > 0 && postID > 0
}

// NotificationCounts is GET /notifications/new_notifications_count:
// notifications (and mentions, and inbox items) that arrived since the
// member last reset the count.
type NotificationCounts struct {
	NewNotificationsCount int `json:"new_notifications_count"`
	NewMentionsCount      int `json:"new_mentions_count"`
	NewInboxCount         int `json:"new_inbox_count"`
}

// Notification list filters and orders (GET /notifications's status and
// sort parameters).
const (
	NotificationStatusAll    = "all"
	NotificationStatusRead   = "read"
	NotificationStatusUnread = "unread"
	NotificationSortLatest   = "latest"
	NotificationSortOldest   = "oldest"
)

// Notifications lists the member's notifications: GET /notifications.
// status is "all", "read" or "unread" ("" sends none, Circle's default
// being all); p.Sort is "latest" or "oldest".
func (m *MemberAPI) Notifications(ctx context.Context, p ListParams, status string) (*Page[Notification], error) {
	q := p.query()
	if status != "" {
		q.Set("status", status)
	}
	var out Page[Notification]
	return &out, m.get(ctx, "/notifications", "/notifications", q, &out)
}

// NewNotificationsCount returns the member's new-notification counts:
// GET /notifications/new_notifications_count.
func (m *MemberAPI) NewNotificationsCount(ctx context.Context) (*NotificationCounts, error) {
	var out NotificationCounts
	return &out, m.get(ctx, "/notifications/new_notifications_count", "/notifications/new_notifications_count", nil, &out)
}

// notificationWrite posts to one notification's endpoint and returns the
// notification as Circle answers it.
func (m *MemberAPI) notificationWrite(ctx context.Context, method, endpoint, target string) (*Notification, error) {
	var out Notification
	if err := m.write(ctx, method, endpoint, target, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// MarkNotificationRead marks one notification read:
// POST /notifications/{id}/mark_as_read. Circle answers with it, read_at set.
func (m *MemberAPI) MarkNotificationRead(ctx context.Context, notificationID int64) (*Notification, error) {
	return m.notificationWrite(ctx, http.MethodPost, "/notifications/{id}/mark_as_read", "/notifications/"+id(notificationID)+"/mark_as_read")
}

// ArchiveNotification archives one notification (it leaves the inbox):
// POST /notifications/{id}/archive. Circle answers with it.
func (m *MemberAPI) ArchiveNotification(ctx context.Context, notificationID int64) (*Notification, error) {
	return m.notificationWrite(ctx, http.MethodPost, "/notifications/{id}/archive", "/notifications/"+id(notificationID)+"/archive")
}

// DeleteNotification deletes one notification: DELETE /notifications/{id}.
// Circle answers with the notification as it was.
func (m *MemberAPI) DeleteNotification(ctx context.Context, notificationID int64) (*Notification, error) {
	return m.notificationWrite(ctx, http.MethodDelete, "/notifications/{id}", "/notifications/"+id(notificationID))
}

// MarkAllNotificationsRead marks every notification of the member read:
// POST /notifications/mark_all_as_read (sent without the optional filter
// body, so it applies to all of them).
func (m *MemberAPI) MarkAllNotificationsRead(ctx context.Context) error {
	return m.write(ctx, http.MethodPost, "/notifications/mark_all_as_read", "/notifications/mark_all_as_read", nil, nil)
}

// ResetNewNotificationsCount sets the member's new-notification count back
// to zero: POST /notifications/reset_new_notifications_count. It returns the
// count Circle answers with (0).
func (m *MemberAPI) ResetNewNotificationsCount(ctx context.Context) (int, error) {
	var out struct {
		NewNotificationsCount int `json:"new_notifications_count"`
	}
	if err := m.write(ctx, http.MethodPost, "/notifications/reset_new_notifications_count", "/notifications/reset_new_notifications_count", nil, &out); err != nil {
		return 0, err
	}
	return out.NewNotificationsCount, nil
}

// Notification media as the preference endpoints name them. Circle treats
// "push" and "mobile" alike (both are the mobile app's settings).
const (
	MediumInApp = "in_app"
	MediumPush  = "push"
)

// Choices of a space's notification setting.
const (
	SpaceChoiceAll     = "all"
	SpaceChoiceNever   = "never"
	SpaceChoiceMention = "mention"
)

// NotificationPreferences is GET /notification_preferences/{medium}: one
// switch per kind of notification, and the member's setting for each space.
type NotificationPreferences struct {
	Types  []NotificationPreference `json:"notification_preferences"`
	Spaces []SpacePreference        `json:"space_preferences"`
}

// UnmarshalJSON reads the list of switches from "notification_preferences",
// as Circle's example has it, or from "notification_preference", as its
// schema spells it.
func (p *NotificationPreferences) UnmarshalJSON(b []byte) error {
	var raw struct {
		Plural   []NotificationPreference `json:"notification_preferences"`
		Singular []NotificationPreference `json:"notification_preference"`
		Spaces   []SpacePreference        `json:"space_preferences"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("notification preferences: %w", err)
	}
	p.Types, p.Spaces = raw.Plural, raw.Spaces
	if p.Types == nil {
		p.Types = raw.Singular
	}
	return nil
}

// NotificationPreference is one kind of notification and whether the
// member gets it on the medium. Type is Circle's name for the kind
// ("post_comment", "mention", …).
type NotificationPreference struct {
	Type    FlexString `json:"type"`
	Name    string     `json:"name"`
	Enabled bool       `json:"enabled"`
}

// SpacePreference is the member's notification setting for one space on
// a medium. ID is the member's space membership (space member id), the id
// the per-space endpoints take.
type SpacePreference struct {
	ID          int64  `json:"id"`
	SpaceID     int64  `json:"space_id"`
	SpaceName   string `json:"space_name"`
	Choice      string `json:"choice"`
	IsChatSpace bool   `json:"is_chat_space"`
}

// SpaceMemberPreferences is GET
// /notification_preferences/space_members/{id}: a space member's choice
// ("all", "never", "mention") per medium.
type SpaceMemberPreferences struct {
	InApp string `json:"in_app"`
	Push  string `json:"push"`
}

// FlexString is a string Circle writes as a JSON string or, as its schema
// for notification preference types says, as a number.
type FlexString string

// UnmarshalJSON accepts a string, a number (kept as its digits) or null.
func (s *FlexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*s = ""
	case len(b) > 0 && b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = FlexString(v)
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("expected a string or a number, got %.20s", b)
		}
		*s = FlexString(n.String())
	}
	return nil
}

// NotificationPreferences returns the member's settings for a medium:
// GET /notification_preferences/{medium}.
func (m *MemberAPI) NotificationPreferences(ctx context.Context, medium string) (*NotificationPreferences, error) {
	var out NotificationPreferences
	return &out, m.get(ctx, "/notification_preferences/{medium}", "/notification_preferences/"+url.PathEscape(medium), nil, &out)
}

// UpdateNotificationPreference switches one kind of notification on or off
// for a medium: PUT /notification_preferences/{medium}?type=…&enabled=….
// Circle answers only {success, message}; callers re-read the settings.
func (m *MemberAPI) UpdateNotificationPreference(ctx context.Context, medium, kind string, enabled bool) error {
	q := url.Values{"type": {kind}, "enabled": {strconv.FormatBool(enabled)}}
	return m.write(ctx, http.MethodPut, "/notification_preferences/{medium}", "/notification_preferences/"+url.PathEscape(medium)+"?"+q.Encode(), nil, nil)
}

// SpaceMemberPreferences returns a space membership's settings per medium:
// GET /notification_preferences/space_members/{id}.
func (m *MemberAPI) SpaceMemberPreferences(ctx context.Context, spaceMemberID int64) (*SpaceMemberPreferences, error) {
	var out SpaceMemberPreferences
	return &out, m.get(ctx, "/notification_preferences/space_members/{id}", "/notification_preferences/space_members/"+id(spaceMemberID), nil, &out)
}

// UpdateAllSpacesPreference sets the member's choice for every space on a
// medium: PUT /notification_preferences/{medium}/spaces?choice=….
func (m *MemberAPI) UpdateAllSpacesPreference(ctx context.Context, medium, choice string) error {
	q := url.Values{"choice": {choice}}
	return m.write(ctx, http.MethodPut, "/notification_preferences/{medium}/spaces", "/notification_preferences/"+url.PathEscape(medium)+"/spaces?"+q.Encode(), nil, nil)
}

// UpdateSpacePreference sets the member's choice for one space membership
// on a medium: PUT /notification_preferences/{medium}/spaces/{id}?choice=….
func (m *MemberAPI) UpdateSpacePreference(ctx context.Context, medium string, spaceMemberID int64, choice string) error {
	q := url.Values{"choice": {choice}}
	return m.write(ctx, http.MethodPut, "/notification_preferences/{medium}/spaces/{id}", "/notification_preferences/"+url.PathEscape(medium)+"/spaces/"+id(spaceMemberID)+"?"+q.Encode(), nil, nil)
}

// SpaceNotificationDetail is one space's unread counts, as
// GET /space_notification_details answers them.
type SpaceNotificationDetail struct {
	ID                       int64 `json:"id"`
	UnreadContentCount       int   `json:"unread_content_count"`
	UnreadNotificationsCount int   `json:"unread_notifications_count"`
}

// SpaceNotificationDetails returns the unread counts of the given spaces,
// or of every space the member can see when spaceIDs is empty, in one
// call: GET /space_notification_details[?space_ids=1,2,3]. Spaces the
// member cannot see are absent from the answer.
func (m *MemberAPI) SpaceNotificationDetails(ctx context.Context, spaceIDs []int64) ([]SpaceNotificationDetail, error) {
	var q url.Values
	if len(spaceIDs) > 0 {
		parts := make([]string, len(spaceIDs))
		for i, v := range spaceIDs {
			parts[i] = id(v)
		}
		q = url.Values{"space_ids": {strings.Join(parts, ",")}}
	}
	var out []SpaceNotificationDetail
	return out, m.get(ctx, "/space_notification_details", "/space_notification_details", q, &out)
}
