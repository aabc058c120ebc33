package model

import (
	"strings"
	"time"

	"github.com/circle-gateway/gateway/circle"
)

// Notification is one in-app notification. Every field but post is
// answered from Circle's record; post is a resolver that loads the post
// (through the operation's post loader) only when selected.
type Notification struct{ n *circle.Notification }

// NotificationFrom wraps a Circle notification: a record of GET
// /notifications, the answer of a notification write, or the data of a
// newNotification cable event.
func NotificationFrom(n *circle.Notification) *Notification { return &Notification{n: n} }

// Circle returns the wrapped record.
func (n *Notification) Circle() *circle.Notification { return n.n }

// ID is the GraphQL id.
func (n *Notification) ID() string { return FormatID(n.n.ID) }

// Action is Circle's action.
func (n *Notification) Action() string { return n.n.Action }

// IsRead reports whether the member read it.
func (n *Notification) IsRead() bool { return !n.n.ReadAt.IsZero() }

// CreatedAt is when it arrived.
func (n *Notification) CreatedAt() time.Time { return n.n.CreatedAt.Time }

// ActorName is who caused it, nil when Circle names nobody.
func (n *Notification) ActorName() *string { return nonEmpty(n.n.ActorName) }

// NotifiableType is the type of the object it is about.
func (n *Notification) NotifiableType() *string { return nonEmpty(n.n.NotifiableType) }

// URL links to the object in Circle's web app.
func (n *Notification) URL() *string { return nonEmpty(n.n.ActionWebURL) }

// ActorAvatarURL is the actor's avatar, nil when Circle has none.
func (n *Notification) ActorAvatarURL() *string {
	if n.n.ActorImage == nil {
		return nil
	}
	return nonEmpty(*n.n.ActorImage)
}

// PostKey names the post the notification is about (for a comment, the
// comment's post); ok is false when it is about something else.
func (n *Notification) PostKey() (spaceID, postID int64, ok bool) { return n.n.PostKey() }

// defaultTextStructure is what Circle's notifications use when a record
// carries no notification_text_structure.
var defaultTextStructure = []string{"actor_name", "display_action", "notifiable_title"}

// Text is the notification as one line, built the way Circle's apps build
// it: the record's fields named by notification_text_structure, in order,
// joined by spaces and ended with a period ("Cary Toy posted Et impedit
// enim et."). Fields it does not know or that are empty are left out.
func (n *Notification) Text() string {
	structure := n.n.NotificationTextStructure
	if len(structure) == 0 {
		structure = defaultTextStructure
	}
	parts := make([]string, 0, len(structure))
	for _, key := range structure {
		var v string
		switch key {
		case "actor_name":
			v = n.n.ActorName
		case "second_actor_name":
			if n.n.SecondActorName != nil {
				v = *n.n.SecondActorName
			}
		case "display_action":
			v = n.displayAction()
		case "notifiable_title":
			v = n.n.NotifiableTitle
		case "space_title":
			v = n.n.SpaceTitle
		}
		if v = strings.TrimSpace(v); v != "" {
			parts = append(parts, v)
		}
	}
	text := strings.Join(parts, " ")
	if text != "" && !strings.ContainsAny(text[len(text)-1:], ".!?") {
		text += "."
	}
	return text
}

// displayAction is Circle's verb, or one derived from the action when
// Circle left its "Translation missing: …" placeholder (as its own example
// of a comment notification does) or nothing.
func (n *Notification) displayAction() string {
	if d := strings.TrimSpace(n.n.DisplayAction); d != "" && !strings.HasPrefix(d, "Translation missing") {
		return d
	}
	switch {
	case n.n.Action == "mention":
		return "mentioned you in"
	case n.n.Action == "like":
		return "liked"
	case n.n.NotifiableType == circle.NotifiableComment && n.n.Notifiable.ParentCommentID != nil:
		return "replied to a comment on"
	case n.n.NotifiableType == circle.NotifiableComment:
		return "commented on"
	case n.n.Action == "add":
		return "posted"
	default:
		return strings.ReplaceAll(n.n.Action, "_", " ")
	}
}
