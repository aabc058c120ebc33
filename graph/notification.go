package graph

import (
	"context"

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
