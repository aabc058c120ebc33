package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// conn is the upstream cable connection of one member token: a loop that
// dials, subscribes the channels its subscriptions want, fans out what
// arrives, and dials again when the connection is lost, until its last
// subscription leaves.
type conn struct {
	b      *Bridge
	member Member
	ctx    context.Context
	cancel context.CancelFunc
	nudge  chan struct{} // a channel was added or removed

	mu       sync.Mutex
	channels map[string]*channel // by identifier
	down     bool                // the last attempt failed or the connection dropped
	done     bool
	notes    notificationState
	polling  *pollRun // the running poller, nil when none
}

// channel is one ActionCable channel subscription and its subscribers.
type channel struct {
	subs map[*Subscription]struct{}
	// status is what the subscribers were last told.
	status Kind
	// confirmed: the cable confirmed it in the current session.
	confirmed bool
}

// errFinal is a disconnect after which ActionCable tells its clients not to
// reconnect.
type errFinal struct{ reason string }

func (e errFinal) Error() string { return "Circle's cable disconnected for good: " + e.reason }

func newConn(b *Bridge, m Member) *conn {
	ctx, cancel := context.WithCancel(context.Background())
	return &conn{
		b: b, member: m, ctx: ctx, cancel: cancel,
		nudge:    make(chan struct{}, 1),
		channels: map[string]*channel{},
		notes:    newNotificationState(),
	}
}

// add attaches a new subscription to the channel with this identifier,
// delivering to d or, when d is nil, to a buffered channel. Called with
// b.mu held.
func (c *conn) add(identifier string, d *Deliver) *Subscription {
	s := &Subscription{conn: c, identifier: identifier, deliver: d}
	if d == nil {
		s.c = make(chan Event, c.b.cfg.Buffer)
		s.C = s.c
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	chn := c.channels[identifier]
	if chn == nil {
		chn = &channel{subs: map[*Subscription]struct{}{}, status: -1}
		c.channels[identifier] = chn
		if c.down {
			chn.status = KindDown
		}
	}
	chn.subs[s] = struct{}{}
	// A newcomer learns the state its channel is in.
	switch {
	case chn.confirmed:
		c.sendLocked(s, Event{Kind: KindUp})
	case c.down:
		c.sendLocked(s, Event{Kind: KindDown})
		c.startPollingLocked()
	}
	c.poke()
	return s
}

// remove ends s (with err, nil for Close) and closes the connection when s
// was its last subscription.
func (c *conn) remove(s *Subscription, err error) {
	c.b.mu.Lock()
	c.mu.Lock()
	c.dropLocked(s, err)
	idle := len(c.channels) == 0 && !c.done
	if idle {
		c.done = true
		if c.b.conns[c.member.Token] == c {
			delete(c.b.conns, c.member.Token)
		}
		c.cancel()
	}
	c.mu.Unlock()
	c.b.mu.Unlock()
	c.poke()
}

// dropLocked ends one subscription; its channel goes when it is empty.
func (c *conn) dropLocked(s *Subscription, err error) {
	if s.ended {
		return
	}
	s.ended = true
	s.err = err
	if s.deliver != nil {
		s.deliver.End(err)
	} else {
		close(s.c)
	}
	if chn := c.channels[s.identifier]; chn != nil {
		delete(chn.subs, s)
		if len(chn.subs) == 0 {
			delete(c.channels, s.identifier)
		}
	}
}

// end ends every subscription with err and stops the connection.
func (c *conn) end(err error) {
	c.b.forget(c)
	c.mu.Lock()
	for _, chn := range c.channels {
		for s := range chn.subs {
			c.dropLocked(s, err)
		}
	}
	c.done = true
	c.cancel()
	c.mu.Unlock()
}

// closeIfIdle closes the connection when deliveries ended its last
// subscriptions.
func (c *conn) closeIfIdle() {
	c.b.mu.Lock()
	defer c.b.mu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.channels) == 0 && !c.done {
		c.done = true
		if c.b.conns[c.member.Token] == c {
			delete(c.b.conns, c.member.Token)
		}
		c.cancel()
	}
}

func (c *conn) poke() {
	select {
	case c.nudge <- struct{}{}:
	default:
	}
}

// sendLocked delivers e to s without waiting: a subscriber whose buffer is
// full is ended with ErrFellBehind rather than holding up the others.
func (c *conn) sendLocked(s *Subscription, e Event) bool {
	if s.deliver != nil {
		if s.deliver.Event(e) {
			return true
		}
		c.dropLocked(s, ErrFellBehind)
		return false
	}
	select {
	case s.c <- e:
		return true
	default:
		c.dropLocked(s, ErrFellBehind)
		return false
	}
}

// run is the connection's loop: one session after another, with backoff
// between failures, until the connection is no longer wanted.
func (c *conn) run() {
	defer c.b.wg.Done()
	log := c.b.cfg.Log.With("member_id", c.member.ID)
	failures := 0
	for {
		healthy, err := c.session()
		if c.ctx.Err() != nil {
			return
		}
		var final errFinal
		if errors.Is(err, ErrUnauthorized) || errors.As(err, &final) {
			log.Warn("cable: Circle refused the connection; ending its subscriptions", "err", err.Error())
			if errors.Is(err, ErrUnauthorized) {
				c.end(ErrUnauthorized)
			} else {
				c.end(err)
			}
			return
		}
		if healthy {
			failures = 0
		}
		if failures == 0 {
			log.Warn("cable: connection lost; dialling again with backoff", "err", err.Error())
		} else {
			log.Debug("cable: connection attempt failed", "attempt", failures+1, "err", err.Error())
		}
		c.setDown()
		wait := c.b.cfg.Backoff(failures)
		failures++
		t := time.NewTimer(wait)
		select {
		case <-c.ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// session runs one upstream connection from dial to drop. healthy reports
// whether the cable welcomed it, so that a later failure starts the backoff
// afresh.
func (c *conn) session() (healthy bool, err error) {
	ctx, cancel := context.WithCancel(c.ctx)
	defer cancel()
	dialCtx, cancelDial := context.WithTimeout(ctx, dialTimeout)
	header := http.Header{"Authorization": {"Bearer " + c.member.Token}}
	if c.b.cfg.Origin != "" {
		header.Set("Origin", c.b.cfg.Origin)
	}
	ws, resp, err := websocket.Dial(dialCtx, c.b.url.String(), &websocket.DialOptions{HTTPClient: c.b.cfg.HTTPClient, HTTPHeader: header})
	cancelDial()
	if resp != nil && resp.Body != nil {
		_ = resp.Body.Close()
	}
	if err != nil {
		if resp != nil && (resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden) {
			return false, ErrUnauthorized
		}
		if resp != nil && resp.StatusCode != 0 && resp.StatusCode != http.StatusSwitchingProtocols {
			return false, fmt.Errorf("dial the cable: HTTP %d", resp.StatusCode)
		}
		return false, fmt.Errorf("dial the cable: %w", err)
	}
	c.b.opened(1)
	defer c.b.opened(-1)
	ws.SetReadLimit(maxMessageBytes)
	defer func() {
		if c.ctx.Err() != nil {
			// Not wanted any more: say goodbye properly.
			_ = ws.Close(websocket.StatusNormalClosure, "")
			return
		}
		_ = ws.CloseNow()
	}()

	in := make(chan serverMessage)
	readErr := make(chan error, 1)
	go c.read(ctx, ws, in, readErr)

	sent := map[string]bool{} // identifiers subscribed in this session
	welcomed := false
	defer c.unconfirm()
	for {
		select {
		case <-ctx.Done():
			return welcomed, ctx.Err()
		case err := <-readErr:
			return welcomed, err
		case <-c.nudge:
			if welcomed {
				if err := c.sync(ctx, ws, sent); err != nil {
					return welcomed, err
				}
			}
		case m := <-in:
			switch m.Type {
			case typeWelcome:
				welcomed = true
				if err := c.sync(ctx, ws, sent); err != nil {
					return welcomed, err
				}
			case typePing:
			case typeConfirm:
				c.confirm(m.Identifier)
			case typeReject:
				delete(sent, m.Identifier)
				c.reject(m.Identifier)
			case typeDisconnect:
				if m.Reason == reasonUnauthzd {
					return welcomed, ErrUnauthorized
				}
				if m.Reconnect != nil && !*m.Reconnect {
					return welcomed, errFinal{reason: m.Reason}
				}
				return welcomed, fmt.Errorf("Circle's cable disconnected: %s", m.Reason)
			case "":
				if m.Identifier != "" && len(m.Message) > 0 {
					c.broadcast(m.Identifier, m.Message)
				}
			}
		}
	}
}

// read forwards the cable's messages; a connection silent for longer than
// StaleAfter (no message, not even a ping) counts as dead.
func (c *conn) read(ctx context.Context, ws *websocket.Conn, in chan<- serverMessage, errs chan<- error) {
	for {
		readCtx, cancel := context.WithTimeout(ctx, c.b.cfg.StaleAfter)
		_, data, err := ws.Read(readCtx)
		stale := readCtx.Err() != nil && ctx.Err() == nil
		cancel()
		if err != nil {
			if stale {
				err = fmt.Errorf("the cable stayed silent for %s", c.b.cfg.StaleAfter)
			}
			errs <- err
			return
		}
		var m serverMessage
		if err := json.Unmarshal(data, &m); err != nil {
			c.b.cfg.Log.Debug("cable: message that is not JSON ignored", "member_id", c.member.ID, "bytes", len(data))
			continue
		}
		select {
		case in <- m:
		case <-ctx.Done():
			return
		}
	}
}

// sync subscribes the channels that have subscribers and are not yet
// subscribed in this session, and unsubscribes those that lost their last.
func (c *conn) sync(ctx context.Context, ws *websocket.Conn, sent map[string]bool) error {
	c.mu.Lock()
	var subscribe, unsubscribe []string
	for id := range c.channels {
		if !sent[id] {
			subscribe = append(subscribe, id)
		}
	}
	for id := range sent {
		if c.channels[id] == nil {
			unsubscribe = append(unsubscribe, id)
		}
	}
	c.mu.Unlock()
	send := func(cmd, id string) error {
		b, _ := json.Marshal(command{Command: cmd, Identifier: id})
		wctx, cancel := context.WithTimeout(ctx, writeTimeout)
		defer cancel()
		return ws.Write(wctx, websocket.MessageText, b)
	}
	for _, id := range subscribe {
		if err := send(cmdSubscribe, id); err != nil {
			return fmt.Errorf("subscribe: %w", err)
		}
		sent[id] = true
	}
	for _, id := range unsubscribe {
		if err := send(cmdUnsubscribe, id); err != nil {
			return fmt.Errorf("unsubscribe: %w", err)
		}
		delete(sent, id)
	}
	return nil
}

// confirm marks a channel live and tells its subscribers.
func (c *conn) confirm(identifier string) {
	c.mu.Lock()
	chn := c.channels[identifier]
	if chn == nil {
		c.mu.Unlock()
		return
	}
	c.down = false
	chn.confirmed = true
	if chn.status != KindUp {
		chn.status = KindUp
		for s := range chn.subs {
			c.sendLocked(s, Event{Kind: KindUp})
		}
	}
	if identifier == Identifier(NotificationChannel, c.member.ID) {
		c.stopPollingLocked()
	}
	c.mu.Unlock()
	c.closeIfIdle()
}

// reject ends the subscriptions of a channel the cable refused.
func (c *conn) reject(identifier string) {
	c.mu.Lock()
	if chn := c.channels[identifier]; chn != nil {
		for s := range chn.subs {
			c.dropLocked(s, ErrRejected)
		}
	}
	c.mu.Unlock()
	c.closeIfIdle()
}

// unconfirm forgets the confirmations of a session that ended.
func (c *conn) unconfirm() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, chn := range c.channels {
		chn.confirmed = false
	}
}

// setDown tells every subscriber that the cable is unreachable, once per
// outage, and starts the notification poller.
func (c *conn) setDown() {
	c.mu.Lock()
	c.down = true
	for _, chn := range c.channels {
		if chn.status == KindDown {
			continue
		}
		chn.status = KindDown
		for s := range chn.subs {
			c.sendLocked(s, Event{Kind: KindDown})
		}
	}
	c.startPollingLocked()
	c.mu.Unlock()
	c.closeIfIdle()
}

// broadcast fans a message of the cable out to its channel's subscribers.
func (c *conn) broadcast(identifier string, raw json.RawMessage) {
	var b broadcast
	if err := json.Unmarshal(raw, &b); err != nil || b.Event == "" {
		c.b.cfg.Log.Debug("cable: broadcast without an event name ignored", "member_id", c.member.ID)
		return
	}
	c.mu.Lock()
	if identifier == Identifier(NotificationChannel, c.member.ID) && !c.notes.observe(b.Event, b.Data) {
		c.mu.Unlock()
		return // the poller delivered it already
	}
	c.deliverLocked(identifier, b.Event, b.Data)
	c.mu.Unlock()
	c.closeIfIdle()
}

func (c *conn) deliverLocked(identifier, name string, data json.RawMessage) {
	chn := c.channels[identifier]
	if chn == nil {
		return
	}
	e := Event{Kind: KindMessage, Name: name, Data: data, decoded: &decodings{}}
	for s := range chn.subs {
		c.sendLocked(s, e)
	}
}
