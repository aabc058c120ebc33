package live

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/circle-gateway/gateway/circle"
)

// CirclePoller returns the notification poller of each member: the
// Member API's count and first page of notifications, read as the member
// (their token, the client's rate limiter and timeouts), for the fallback
// while the cable is down.
func CirclePoller(client *circle.Client) func(Member) Poller {
	return func(m Member) Poller {
		return circlePoller{api: client.Member(m.Token).WithMemberID(m.ID)}
	}
}

type circlePoller struct{ api *circle.MemberAPI }

// NewNotificationsCount is GET /notifications/new_notifications_count.
func (p circlePoller) NewNotificationsCount(ctx context.Context) (int, error) {
	c, err := p.api.NewNotificationsCount(ctx)
	if err != nil {
		return 0, err
	}
	return c.NewNotificationsCount, nil
}

// RecentNotifications is the first page of GET /notifications, n per page,
// each notification rendered back into Circle's JSON as the cable would
// have sent it.
func (p circlePoller) RecentNotifications(ctx context.Context, n int) ([]json.RawMessage, error) {
	page, err := p.api.Notifications(ctx, circle.ListParams{Page: 1, PerPage: n}, "")
	if err != nil {
		return nil, err
	}
	out := make([]json.RawMessage, 0, len(page.Records))
	for i := range page.Records {
		b, err := json.Marshal(page.Records[i])
		if err != nil {
			return nil, fmt.Errorf("notification %d: %w", page.Records[i].ID, err)
		}
		out = append(out, b)
	}
	return out, nil
}
