package live

import (
	"context"
	"encoding/json"
	"strconv"
	"time"
)

// maxCatchUp bounds the notifications one poll fetches: a member who got
// more while the cable was down gets the newest ones, and the count.
const maxCatchUp = 20

// pollTimeout bounds one poll (its two calls).
const pollTimeout = 30 * time.Second

// seenCap bounds the notification ids remembered to avoid delivering one
// twice when the poller and the cable both report it.
const seenCap = 256

// notificationState is what the connection knows of its member's
// notifications: the last count and the notifications delivered, so that
// the poller reports only what changed and nothing twice.
type notificationState struct {
	count int // -1: not known yet
	seen  map[int64]bool
	order []int64
}

func newNotificationState() notificationState {
	return notificationState{count: -1, seen: map[int64]bool{}}
}

// observe records an event the cable delivered; false means the poller
// already delivered this notification, so it must not go out again.
func (n *notificationState) observe(event string, data json.RawMessage) bool {
	switch event {
	case EventNewNotification:
		id := notificationID(data)
		if id != 0 && n.seen[id] {
			return false
		}
		n.markSeen(id)
	case EventUpdateNotificationCount, EventResetNotificationCount:
		if c, ok := notificationCount(data); ok {
			n.count = c
		}
	}
	return true
}

func (n *notificationState) markSeen(id int64) {
	if id == 0 || n.seen[id] {
		return
	}
	n.seen[id] = true
	n.order = append(n.order, id)
	if len(n.order) > seenCap {
		delete(n.seen, n.order[0])
		n.order = n.order[1:]
	}
}

// pollRun is one running poller; up is closed when the cable is back, after
// which it polls once more (for what arrived meanwhile) and stops.
type pollRun struct {
	up chan struct{}
}

// startPollingLocked starts the notification poller when the cable is down,
// a poller is configured, and someone is subscribed to notifications.
func (c *conn) startPollingLocked() {
	if c.done || !c.down || c.polling != nil || c.b.cfg.Poller == nil {
		return
	}
	if c.channels[Identifier(NotificationChannel, c.member.ID)] == nil {
		return
	}
	p := &pollRun{up: make(chan struct{})}
	c.polling = p
	c.b.wg.Add(1)
	go c.poll(p)
}

// stopPollingLocked lets the running poller finish with one last poll.
func (c *conn) stopPollingLocked() {
	if c.polling != nil {
		close(c.polling.up)
		c.polling = nil
	}
}

// poll reads the member's notification count now and every PollInterval
// while the cable is down, and delivers what changed as the cable would
// have: newNotification for each new notification, then the new count.
func (c *conn) poll(p *pollRun) {
	defer c.b.wg.Done()
	poller := c.b.cfg.Poller(c.member)
	t := time.NewTicker(c.b.cfg.PollInterval)
	defer t.Stop()
	for {
		c.pollOnce(poller)
		select {
		case <-c.ctx.Done():
			return
		case <-p.up:
			c.pollOnce(poller)
			return
		case <-t.C:
		}
	}
}

func (c *conn) pollOnce(poller Poller) {
	// The Circle client bounds each call (UPSTREAM_TIMEOUT); this bounds
	// the poll as a whole, whatever the interval.
	ctx, cancel := context.WithTimeout(c.ctx, pollTimeout)
	defer cancel()
	log := c.b.cfg.Log.With("member_id", c.member.ID)
	n, err := poller.NewNotificationsCount(ctx)
	if err != nil {
		log.Debug("cable fallback: polling the notification count failed", "err", err.Error())
		return
	}
	c.mu.Lock()
	prev := c.notes.count
	if prev < 0 || n == prev {
		// The first poll only learns where the count stands.
		c.notes.count = n
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	var fresh []json.RawMessage
	if n > prev {
		fresh, err = poller.RecentNotifications(ctx, min(n-prev, maxCatchUp))
		if err != nil {
			log.Debug("cable fallback: reading the new notifications failed", "err", err.Error())
			return // the count stays behind, so the next poll tries again
		}
	}
	identifier := Identifier(NotificationChannel, c.member.ID)
	c.mu.Lock()
	for i := len(fresh) - 1; i >= 0; i-- { // oldest first, as they happened
		id := notificationID(fresh[i])
		if id == 0 || c.notes.seen[id] {
			continue
		}
		c.notes.markSeen(id)
		c.deliverLocked(identifier, EventNewNotification, fresh[i])
	}
	event := EventUpdateNotificationCount
	if n == 0 {
		event = EventResetNotificationCount
	}
	c.notes.count = n
	c.deliverLocked(identifier, event, json.RawMessage(`{"new_notifications_count":`+strconv.Itoa(n)+`}`))
	c.mu.Unlock()
	c.closeIfIdle()
}

// notificationID reads a rendered notification's id (0 when it has none).
func notificationID(data json.RawMessage) int64 {
	var n struct {
		ID int64 `json:"id"`
	}
	_ = json.Unmarshal(data, &n)
	return n.ID
}

// notificationCount reads {"new_notifications_count": n}.
func notificationCount(data json.RawMessage) (int, bool) {
	var v struct {
		Count *int `json:"new_notifications_count"`
	}
	if json.Unmarshal(data, &v) != nil || v.Count == nil {
		return 0, false
	}
	return *v.Count, true
}
