package graph

import (
	"context"
	"strings"

	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/graph/model"
	"github.com/circle-gateway/gateway/relay"
)

// notificationConnection builds a page of notifications (list's build
// argument).
func notificationConnection(_ context.Context, res relay.Result[circle.Notification]) *model.NotificationConnection {
	c := &model.NotificationConnection{}
	c.Edges, c.Nodes, c.PageInfo, c.TotalCount = connection(res, model.NotificationFrom,
		func(cursor string, n *model.Notification) *model.NotificationEdge {
			return &model.NotificationEdge{Cursor: cursor, Node: n}
		})
	return c
}

// notificationWrite changes one notification (do is MemberAPI's
// MarkNotificationRead or ArchiveNotification). Circle answers with the
// notification as it now is, which is the payload; there is no endpoint to
// re-read one notification, so an answer without it leaves the payload's
// notification null.
func notificationWrite(ctx context.Context, id string, do func(*circle.MemberAPI, context.Context, int64) (*circle.Notification, error)) (*model.NotificationPayload, error) {
	notificationID, err := parseID("id", id)
	if err != nil {
		return nil, err
	}
	_, n, err := write(ctx, func(api *circle.MemberAPI) (*circle.Notification, error) { return do(api, ctx, notificationID) })
	if problems, err := writeFailed(err, nil); problems != nil || err != nil {
		return &model.NotificationPayload{UserErrors: problems}, err
	}
	p := &model.NotificationPayload{UserErrors: noUserErrors()}
	if n != nil && n.ID != 0 {
		p.Notification = model.NotificationFrom(n)
	}
	return p, nil
}

// The notification enums as Circle names their values.

// mediumName is Circle's name of a medium.
func mediumName(m model.NotificationMedium) string {
	if m == model.NotificationMediumPush {
		return circle.MediumPush
	}
	return circle.MediumInApp
}

// choiceName is Circle's name of a space choice.
func choiceName(c model.SpaceNotificationChoice) string {
	switch c {
	case model.SpaceNotificationChoiceNever:
		return circle.SpaceChoiceNever
	case model.SpaceNotificationChoiceMentions:
		return circle.SpaceChoiceMention
	default:
		return circle.SpaceChoiceAll
	}
}

// parseChoice maps Circle's space choice; one this API does not know is nil.
func parseChoice(s string) *model.SpaceNotificationChoice {
	var c model.SpaceNotificationChoice
	switch s {
	case circle.SpaceChoiceAll:
		c = model.SpaceNotificationChoiceAll
	case circle.SpaceChoiceMention:
		c = model.SpaceNotificationChoiceMentions
	case circle.SpaceChoiceNever:
		c = model.SpaceNotificationChoiceNever
	default:
		return nil
	}
	return &c
}

// preferenceTypeName is Circle's name of a kind of notification
// (POST_COMMENT → post_comment).
func preferenceTypeName(t model.NotificationPreferenceType) string {
	return strings.ToLower(string(t))
}

// statusName is Circle's status filter; ALL (the default) is not sent.
func statusName(s *model.NotificationStatus) string {
	if s == nil {
		return ""
	}
	switch *s {
	case model.NotificationStatusRead:
		return circle.NotificationStatusRead
	case model.NotificationStatusUnread:
		return circle.NotificationStatusUnread
	default:
		return ""
	}
}

// preferencesModel builds a medium's settings.
func preferencesModel(medium model.NotificationMedium, p *circle.NotificationPreferences) *model.NotificationPreferences {
	out := &model.NotificationPreferences{
		Medium: medium,
		Types:  make([]*model.NotificationPreference, len(p.Types)),
		Spaces: make([]*model.SpaceNotificationPreference, len(p.Spaces)),
	}
	for i, t := range p.Types {
		out.Types[i] = &model.NotificationPreference{Type: string(t.Type), Name: t.Name, Enabled: t.Enabled}
	}
	for i, sp := range p.Spaces {
		out.Spaces[i] = &model.SpaceNotificationPreference{
			SpaceID: model.FormatID(sp.SpaceID), SpaceName: sp.SpaceName, Choice: parseChoice(sp.Choice), IsChatSpace: sp.IsChatSpace,
		}
	}
	return out
}

// spacePreferenceFields blames updateSpaceNotificationPreference's
// arguments for Circle's validation failures.
var spacePreferenceFields = fieldPaths{"choice": {"choice"}}

// preferencesWrite changes a medium's settings (do is one of MemberAPI's
// preference updates, which Circle answers with only {success, message})
// and re-reads them for the payload.
func preferencesWrite(ctx context.Context, medium model.NotificationMedium, do func(*circle.MemberAPI) error) (*model.NotificationPreferencesPayload, error) {
	l, _, err := write(ctx, func(api *circle.MemberAPI) (struct{}, error) { return struct{}{}, do(api) })
	if problems, err := writeFailed(err, fieldPaths{"type": {"type"}, "enabled": {"enabled"}, "choice": {"choice"}}); problems != nil || err != nil {
		return &model.NotificationPreferencesPayload{UserErrors: problems}, err
	}
	p := reread(ctx, "the notification settings", func() (*circle.NotificationPreferences, error) {
		return l.API.NotificationPreferences(ctx, mediumName(medium))
	})
	if p == nil {
		return &model.NotificationPreferencesPayload{UserErrors: noUserErrors()}, nil
	}
	return &model.NotificationPreferencesPayload{Preferences: preferencesModel(medium, p), UserErrors: noUserErrors()}, nil
}

// spaceDetail is a space's unread counts. Every space of the operation
// reads them from one GET /space_notification_details for all the spaces
// the member can see (deduplicated like every GET), so the cost does not
// depend on how the spaces' fields are scheduled; a space absent from the
// answer has no counts (nil).
func spaceDetail(ctx context.Context, spaceID int64) (*circle.SpaceNotificationDetail, error) {
	return call(ctx, func(api *circle.MemberAPI, ctx context.Context) ([]circle.SpaceNotificationDetail, error) {
		return api.SpaceNotificationDetails(ctx, nil)
	}, func(all []circle.SpaceNotificationDetail) *circle.SpaceNotificationDetail {
		for i := range all {
			if all[i].ID == spaceID {
				return &all[i]
			}
		}
		return nil
	})
}
