package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of Config.
const (
	// DefaultStaleAfter is how long a connection may stay silent before it
	// counts as dead and is dialled again. ActionCable servers ping every
	// 3 s; its JavaScript client gives up after 6 s.
	DefaultStaleAfter = 10 * time.Second
	// DefaultPollInterval is how often the notification count is polled
	// while the cable is unreachable (SUBSCRIPTION_POLL_INTERVAL, docs/contract.md §8).
	DefaultPollInterval = 15 * time.Second
	// DefaultBuffer is how many events a subscription may fall behind by
	// before it is ended with ErrFellBehind (a stuck client must not hold
	// up the other subscriptions of its member).
	DefaultBuffer = 64
	// dialTimeout bounds one connection attempt, handshake included.
	dialTimeout = 10 * time.Second
	// writeTimeout bounds sending one command.
	writeTimeout = 5 * time.Second
	// maxMessageBytes bounds one message from the cable (a rendered chat
	// message or notification is a few kilobytes).
	maxMessageBytes = 1 << 20
	// Backoff between attempts: jittered, doubling from minBackoff up to
	// maxBackoff.
	minBackoff = 500 * time.Millisecond
	maxBackoff = 30 * time.Second
)

// Errors a Subscription can end with (Subscription.Err).
var (
	// ErrUnauthorized: Circle refused the member token on its cable (a
	// 401/403 handshake, or ActionCable's "unauthorized" disconnect). It is
	// final: the token will not work any better on the next attempt.
	ErrUnauthorized = errors.New("Circle's cable refused the member access token")
	// ErrRejected: Circle refused the channel subscription.
	ErrRejected = errors.New("Circle's cable refused the channel subscription")
	// ErrFellBehind: the subscriber did not take its events fast enough.
	ErrFellBehind = errors.New("the subscription fell behind the events of its channel")
	// ErrClosed: the bridge was shut down (the gateway is stopping).
	ErrClosed = errors.New("the gateway's cable bridge is shut down")
)

// Member is whose cable connection a subscription uses.
type Member struct {
	// Token is the member access token, sent upstream unchanged; it keys
	// the connection.
	Token string
	// ID is the token's community member id, which Circle's channels are
	// subscribed with.
	ID int64
}

// Kind says what an Event is.
type Kind int

const (
	// KindMessage is an event Circle pushed (or, while the cable is down,
	// one the poller found): Name and Data are set.
	KindMessage Kind = iota
	// KindUp says the channel subscription is live on the cable.
	KindUp
	// KindDown says the cable is unreachable; the bridge is dialling it
	// again (and polling, for notifications).
	KindDown
)

// Event is what a Subscription delivers.
type Event struct {
	Kind Kind
	// Name is Circle's event name, e.g. EventNewNotification.
	Name string
	// Data is the event's JSON data as Circle sent it. It is shared by
	// every subscriber and must not be modified.
	Data json.RawMessage

	// decoded holds what Decoded computed, shared by the subscribers of
	// the connection that received the event; nil for events made
	// elsewhere.
	decoded *decodings
}

// decodings are the values decoded from one event, by key.
type decodings struct {
	mu   sync.Mutex
	vals map[any]any
}

// Decoded returns decode(e.Data), computed once for all the subscriptions
// of the connection that received the event, so that fanning one event
// out to many subscriptions decodes it once rather than once each. They
// are all subscriptions of one member token: nothing decoded for one
// member reaches another. key tells apart decodings into different types
// (a comparable value, e.g. an empty struct type of the caller's). The
// value is shared by those subscriptions and must not be modified.
func (e Event) Decoded(key any, decode func(json.RawMessage) any) any {
	d := e.decoded
	if d == nil {
		return decode(e.Data)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if v, ok := d.vals[key]; ok {
		return v
	}
	v := decode(e.Data)
	if d.vals == nil {
		d.vals = map[any]any{}
	}
	d.vals[key] = v
	return v
}

// Poller reads what the cable would have pushed, for the notification
// fallback. Its calls go through the gateway's Circle client, as the member.
type Poller interface {
	// NewNotificationsCount is the member's new-notification count.
	NewNotificationsCount(ctx context.Context) (int, error)
	// RecentNotifications are the member's n newest notifications, newest
	// first, each as Circle renders it.
	RecentNotifications(ctx context.Context, n int) ([]json.RawMessage, error)
}

// Config configures a Bridge.
type Config struct {
	// URL is the cable's ws:// or wss:// URL (CIRCLE_CABLE_URL).
	URL string
	// Origin is sent as the Origin header: Circle accepts only the
	// domains whitelisted for the community (CIRCLE_CABLE_ORIGIN).
	Origin string
	// HTTPClient dials the cable (default: a client with Go's default
	// transport settings).
	HTTPClient *http.Client
	// Backoff is the wait before connection attempt n+1 (n from 0; default
	// jittered exponential from 0.5 s up to 30 s).
	Backoff func(attempt int) time.Duration
	// StaleAfter is how long a connection may stay silent (default
	// DefaultStaleAfter).
	StaleAfter time.Duration
	// Buffer is each subscription's event buffer (default DefaultBuffer).
	Buffer int
	// Poller, when set, returns the notification poller of a member token;
	// nil turns the polling fallback off.
	Poller func(m Member) Poller
	// PollInterval is how often the poller runs while the cable is down
	// (default DefaultPollInterval).
	PollInterval time.Duration
	// Log receives connection diagnostics (default slog.Default()); never
	// a token.
	Log *slog.Logger
	// OnOpen, when set, is told the number of open upstream connections
	// each time it changes (for a metrics gauge).
	OnOpen func(open int)
}

// Bridge multiplexes subscriptions onto one upstream cable connection per
// member token. It is safe for concurrent use.
type Bridge struct {
	cfg Config
	url *url.URL

	mu     sync.Mutex
	conns  map[string]*conn // by member token
	closed bool
	wg     sync.WaitGroup
	open   atomic.Int64
}

// New returns a Bridge to the cable at cfg.URL; it dials nothing until the
// first subscription.
func New(cfg Config) (*Bridge, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
		return nil, fmt.Errorf("live: cable URL %q must be an absolute ws:// or wss:// URL", cfg.URL)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{}
	}
	if cfg.Backoff == nil {
		cfg.Backoff = jitteredBackoff
	}
	if cfg.StaleAfter <= 0 {
		cfg.StaleAfter = DefaultStaleAfter
	}
	if cfg.Buffer <= 0 {
		cfg.Buffer = DefaultBuffer
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Bridge{cfg: cfg, url: u, conns: map[string]*conn{}}, nil
}

// Subscribe attaches a subscription to channel on m's connection, dialling
// it if m has none. Events arrive on the subscription's C until Close, or
// until the subscription ends on its own (Err then says why).
func (b *Bridge) Subscribe(m Member, channel Channel) (*Subscription, error) {
	return b.attach(m, channel, nil)
}

// attach adds a subscription to channel on m's connection, dialling it if
// m has none; d is nil for a subscription that reads its channel.
func (b *Bridge) attach(m Member, channel Channel, d *Deliver) (*Subscription, error) {
	if m.Token == "" {
		return nil, errors.New("live: a subscription needs a member token")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, ErrClosed
	}
	c := b.conns[m.Token]
	if c == nil {
		c = newConn(b, m)
		b.conns[m.Token] = c
		b.wg.Add(1)
		go c.run()
	}
	return c.add(channel.Identifier(m.ID), d), nil
}

// Deliver receives the events of a subscription made with SubscribeFunc,
// in order, on the goroutine of the member's connection and under its
// lock: it must not block (hand the event on without waiting) nor call
// the bridge. Returning false ends the subscription with ErrFellBehind, as
// a full buffer does for Subscribe. End is called once, when the
// subscription ends, with why (nil after Close); no Deliver follows it.
type Deliver struct {
	Event func(Event) bool
	End   func(error)
}

// SubscribeFunc is Subscribe for a subscriber that takes each event as it
// comes, with no channel and no goroutine of its own in between: the
// gateway's subscriptions turn events into GraphQL values there and then,
// so that a process with thousands of them does not hold a buffer of raw
// events and a goroutine for each.
func (b *Bridge) SubscribeFunc(m Member, channel Channel, d Deliver) (*Subscription, error) {
	if d.Event == nil || d.End == nil {
		return nil, errors.New("live: SubscribeFunc needs both Deliver functions")
	}
	return b.attach(m, channel, &d)
}

// Members is the number of member tokens with a connection (dialled or
// being dialled).
func (b *Bridge) Members() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.conns)
}

// Open is the number of upstream WebSocket connections open right now.
func (b *Bridge) Open() int { return int(b.open.Load()) }

// Confirmed is the number of channel subscriptions the cable has confirmed
// in its current sessions and that still have subscribers: the upstream
// subscriptions live right now, each shared by every subscriber of its
// channel. What Circle pushes on such a channel reaches its subscribers;
// below the number of channels wanted, some wait for the cable (a dial, a
// confirmation, a reconnect). It walks every connection: for a gauge, not
// for a hot path.
func (b *Bridge) Confirmed() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, c := range b.conns {
		c.mu.Lock()
		for _, chn := range c.channels {
			if chn.confirmed {
				n++
			}
		}
		c.mu.Unlock()
	}
	return n
}

// Close ends every subscription with ErrClosed, closes every connection and
// waits until they are closed (or ctx ends).
func (b *Bridge) Close(ctx context.Context) error {
	b.mu.Lock()
	b.closed = true
	conns := b.conns
	b.conns = map[string]*conn{}
	b.mu.Unlock()
	for _, c := range conns {
		c.end(ErrClosed)
	}
	done := make(chan struct{})
	go func() { b.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// forget removes c from the bridge if it is still the connection of its
// token.
func (b *Bridge) forget(c *conn) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.conns[c.member.Token] == c {
		delete(b.conns, c.member.Token)
	}
}

func (b *Bridge) opened(delta int64) {
	n := b.open.Add(delta)
	if b.cfg.OnOpen != nil {
		b.cfg.OnOpen(int(n))
	}
}

// Subscription receives the events of one channel of one member.
type Subscription struct {
	// C delivers the events in order; it is closed when the subscription
	// ends. Nil for a subscription made with SubscribeFunc.
	C <-chan Event

	c          chan Event
	deliver    *Deliver // set by SubscribeFunc instead of c
	conn       *conn
	identifier string
	err        error // why it ended; set before c is closed
	ended      bool  // guarded by conn.mu
}

// Close ends the subscription; the connection closes with its last one.
// It may be called more than once.
func (s *Subscription) Close() { s.conn.remove(s, nil) }

// Err is why the subscription ended on its own (ErrUnauthorized,
// ErrRejected, ErrFellBehind, ErrClosed); nil while it runs and after Close.
// Read it after C is closed.
func (s *Subscription) Err() error { return s.err }

// jitteredBackoff waits between d/2 and d, d doubling from minBackoff up to
// maxBackoff, so that many connections dropped at once do not all come
// back at the same instant.
func jitteredBackoff(attempt int) time.Duration {
	d := maxBackoff
	if attempt < 16 {
		d = min(maxBackoff, minBackoff<<attempt)
	}
	return d/2 + rand.N(d/2+1)
}
