package transport

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	gqltransport "github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/circle-gateway/gateway/auth"
)

// Defaults of SubscriptionOptions (docs/contract.md §8).
const (
	DefaultMaxSubscriptionsPerConnection = 20
	DefaultMaxSubscribers                = 10000
	// DefaultKeepAlive is how often idle subscription connections are
	// pinged (WebSocket ping messages, SSE comments), below the usual 30-60 s
	// idle timeouts of proxies and load balancers.
	DefaultKeepAlive = 25 * time.Second
	// DefaultInitTimeout is how long a WebSocket may stay open without a
	// connection_init.
	DefaultInitTimeout = 10 * time.Second
	// DefaultWriteTimeout bounds one message to a WebSocket client: a
	// client that stops reading is disconnected rather than holding its
	// writer forever.
	DefaultWriteTimeout = 10 * time.Second
	// DefaultExpiryCheck is the longest an expired token may keep its
	// subscriptions running past its exp.
	DefaultExpiryCheck = time.Second
)

// SubscriptionOptions configure Subscriptions.
type SubscriptionOptions struct {
	// MaxPerConnection bounds the subscriptions of one WebSocket
	// (MAX_SUBSCRIPTIONS_PER_CONNECTION; default 20).
	MaxPerConnection int
	// MaxSubscribers bounds the subscriptions of the process over every
	// transport (MAX_SUBSCRIBERS; default 10000).
	MaxSubscribers int
	// KeepAlive is the ping interval of idle connections (default 25s).
	KeepAlive time.Duration
	// InitTimeout bounds the wait for connection_init (default 10s).
	InitTimeout time.Duration
	// WriteTimeout bounds one message to a WebSocket client (default
	// 10s).
	WriteTimeout time.Duration
	// ExpiryCheck is how often a running subscription's token is checked
	// against the clock (default 1s; tests with a fake clock rely on it).
	ExpiryCheck time.Duration
}

// Subscriptions runs the gateway's subscriptions: it admits them within
// the limits, ends those whose token expires (4401 on WebSocket,
// UNAUTHENTICATED on SSE), and on Shutdown ends every one with a
// `complete` and closes the WebSockets cleanly, which http.Server.Shutdown
// cannot do for hijacked connections. One per process; safe for concurrent
// use.
type Subscriptions struct {
	o       SubscriptionOptions
	now     func() time.Time
	present graphql.ErrorPresenterFunc
	shares  *shares

	mu      sync.Mutex
	closing bool
	ops     map[*subscriptionOp]struct{}
	conns   map[*wsConn]struct{}
	gone    chan struct{} // closed and replaced whenever a WebSocket ends
	active  atomic.Int64
	sockets atomic.Int64
}

// NewSubscriptions returns the subscription registry of a gateway.
func NewSubscriptions(o SubscriptionOptions) *Subscriptions {
	if o.MaxPerConnection <= 0 {
		o.MaxPerConnection = DefaultMaxSubscriptionsPerConnection
	}
	if o.MaxSubscribers <= 0 {
		o.MaxSubscribers = DefaultMaxSubscribers
	}
	if o.KeepAlive <= 0 {
		o.KeepAlive = DefaultKeepAlive
	}
	if o.InitTimeout <= 0 {
		o.InitTimeout = DefaultInitTimeout
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = DefaultWriteTimeout
	}
	if o.ExpiryCheck <= 0 {
		o.ExpiryCheck = DefaultExpiryCheck
	}
	return &Subscriptions{o: o, now: time.Now, present: graphql.DefaultErrorPresenter, shares: newShares(), ops: map[*subscriptionOp]struct{}{}, conns: map[*wsConn]struct{}{}, gone: make(chan struct{})}
}

// Active is the number of subscriptions running.
func (s *Subscriptions) Active() int { return int(s.active.Load()) }

// Executions is the number of subscription executions running: identical
// subscriptions of one token share one (see share.go), so it is at most
// Active and, for an app open on many screens, far fewer.
func (s *Subscriptions) Executions() int { return s.shares.running() }

// Sockets is the number of WebSocket connections open.
func (s *Subscriptions) Sockets() int { return int(s.sockets.Load()) }

// errShutdown ends subscriptions when the gateway stops.
var errShutdown = errors.New("the gateway is shutting down")

// errTokenExpired ends subscriptions whose token expired.
var errTokenExpired = errors.New("member access token expired")

// Shutdown ends every subscription (each client gets its `complete`),
// waits for the WebSockets to have sent them, closes the WebSockets with
// 1001 (going away) and waits for them to end, or until ctx ends; then it
// drops what is left. New subscriptions are refused from the start.
func (s *Subscriptions) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	ops := make([]*subscriptionOp, 0, len(s.ops))
	for op := range s.ops {
		ops = append(ops, op)
	}
	s.mu.Unlock()
	for _, op := range ops {
		op.cancel(errShutdown)
	}
	for {
		s.mu.Lock()
		conns := make([]*wsConn, 0, len(s.conns))
		for c := range s.conns {
			conns = append(conns, c)
		}
		gone := s.gone
		s.mu.Unlock()
		if len(conns) == 0 {
			return nil
		}
		for _, c := range conns {
			c.closeWhenIdle(ctx)
		}
		select {
		case <-gone:
		case <-ctx.Done():
			for _, c := range conns {
				c.drop()
			}
			return ctx.Err()
		}
	}
}

// serveWebSocket runs one WebSocket request through gqlgen (next) with the
// connection's state in its context. It refuses, before upgrading, an
// Origin that CORS would refuse and a client that does not offer
// graphql-transport-ws.
func (s *Subscriptions) serveWebSocket(origins []string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", "GET")
			writeRefusal(w, r, &RequestError{Status: http.StatusMethodNotAllowed, Message: "a WebSocket is opened with GET"})
			return
		}
		if !originAllowed(r, origins) {
			writeRefusal(w, r, &RequestError{Status: http.StatusForbidden, Message: "this origin may not open a WebSocket to the gateway (CORS_ALLOWED_ORIGINS)"})
			return
		}
		if !offersGraphQLTransportWS(r) {
			writeRefusal(w, r, &RequestError{Status: http.StatusBadRequest, Message: errNoSubprotocol.Error()})
			return
		}
		s.mu.Lock()
		if s.closing {
			s.mu.Unlock()
			writeRefusal(w, r, &RequestError{Status: http.StatusServiceUnavailable, Message: "the gateway is shutting down"})
			return
		}
		c := &wsConn{s: s, header: r.Header.Get("Authorization"), open: map[string]bool{}, idle: make(chan struct{})}
		close(c.idle)
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.sockets.Add(1)
		defer func() {
			s.sockets.Add(-1)
			c.stopTimer()
			s.mu.Lock()
			delete(s.conns, c)
			close(s.gone)
			s.gone = make(chan struct{})
			s.mu.Unlock()
		}()
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), wsConnKey{}, c)))
	})
}

// originAllowed says whether a browser page at r's Origin may open a
// WebSocket: same host, or an origin CORS allows. No Origin: not a browser.
func originAllowed(r *http.Request, origins []string) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || slices.Contains(origins, "*") {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	for _, o := range origins {
		if strings.EqualFold(strings.TrimSuffix(o, "/"), u.Scheme+"://"+u.Host) {
			return true
		}
	}
	return false
}

// websocketTransport is gqlgen's websocket transport wired to s.
func (s *Subscriptions) websocketTransport(origins []string) gqltransport.Websocket {
	limit := int64(1 << 20)
	return gqltransport.Websocket{
		Implementation:   wsAccept{origins: origins, writeTimeout: s.o.WriteTimeout},
		InitFunc:         s.initConnection,
		InitTimeout:      s.o.InitTimeout,
		PingPongInterval: s.o.KeepAlive,
		PayloadReadLimit: &limit,
	}
}

// initConnection checks the token of a connection_init: the payload's
// Authorization, else the upgrade request's header. A missing, malformed
// or expired token closes the socket with 4401 before anything is sent
// upstream.
func (s *Subscriptions) initConnection(ctx context.Context, payload gqltransport.InitPayload) (context.Context, *gqltransport.InitPayload, error) {
	c, _ := ctx.Value(wsConnKey{}).(*wsConn)
	if c == nil {
		return ctx, nil, errors.New("websocket state missing")
	}
	header := payload.Authorization()
	if header == "" {
		header = c.header
	}
	m, err := auth.ParseBearer(header, s.now())
	if err != nil {
		ctx = gqltransport.WithWebsocketCloseCode(ctx, closeUnauthorized)
		return gqltransport.AppendCloseReason(ctx, closeReason(err)), nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	c.init(header, m.ExpiresAt, cancel)
	return ctx, nil, nil
}

// authorization is the Authorization an operation runs with: the one its
// WebSocket was initialised with, else the request's header.
func authorization(ctx context.Context, oc *graphql.OperationContext) string {
	if c, ok := ctx.Value(wsConnKey{}).(*wsConn); ok {
		if h := c.authorization(); h != "" {
			return h
		}
	}
	return oc.Headers.Get("Authorization")
}

// subscriptionOp is one running subscription.
type subscriptionOp struct {
	cancel  context.CancelCauseFunc
	expires time.Time
	ws      *wsConn // nil over SSE
	release func()
}

// admit starts a subscription operation within the limits, or answers the
// refusal. The operation ends when its handler says so, its client goes,
// its token expires (SSE: a last UNAUTHENTICATED error; WebSocket: the
// socket closes with 4401) or the gateway shuts down.
func (s *Subscriptions) admit(ctx context.Context, m auth.Member, next graphql.OperationHandler) graphql.ResponseHandler {
	ws, _ := ctx.Value(wsConnKey{}).(*wsConn)
	s.mu.Lock()
	switch {
	case s.closing:
		s.mu.Unlock()
		return s.refusal(ctx, errShutdown)
	case len(s.ops) >= s.o.MaxSubscribers:
		s.mu.Unlock()
		return s.refusal(ctx, &subscriptionLimitError{Message: fmt.Sprintf("this gateway runs %d subscriptions, the most it may (MAX_SUBSCRIBERS): try again later", s.o.MaxSubscribers)})
	case ws != nil && ws.running() >= s.o.MaxPerConnection:
		s.mu.Unlock()
		return s.refusal(ctx, &subscriptionLimitError{Message: fmt.Sprintf("this connection runs %d subscriptions, the most one connection may (MAX_SUBSCRIPTIONS_PER_CONNECTION)", s.o.MaxPerConnection)})
	}
	ctx, cancel := context.WithCancelCause(ctx)
	op := &subscriptionOp{cancel: cancel, expires: m.ExpiresAt, ws: ws}
	var once sync.Once
	op.release = func() {
		once.Do(func() {
			s.mu.Lock()
			delete(s.ops, op)
			s.mu.Unlock()
			s.active.Add(-1)
			if ws != nil {
				ws.addRunning(-1)
			}
			cancel(nil)
		})
	}
	s.ops[op] = struct{}{}
	s.active.Add(1)
	if ws != nil {
		ws.addRunning(1)
	}
	s.mu.Unlock()
	stopExpiry := func() bool { return true }
	if ws == nil {
		// Over SSE the operation carries its own expiry; a WebSocket's is
		// the connection's.
		stopExpiry = s.expireAt(m.ExpiresAt, func() { cancel(errTokenExpired) })
	}
	context.AfterFunc(ctx, op.release)

	h, ended := s.shares.subscribe(ctx, m.Token, next)
	told := false
	return func(rctx context.Context) *graphql.Response {
		resp := h(rctx)
		if resp != nil {
			return resp
		}
		stopExpiry()
		op.release()
		if told {
			return nil
		}
		told = true
		// The stream ended without its client asking: say why, once,
		// before the transport completes it.
		switch err := ended(); {
		case errors.Is(context.Cause(ctx), errTokenExpired) && ws == nil:
			return &graphql.Response{Errors: gqlerror.List{s.present(ctx, errTokenExpired)}}
		case err != nil && context.Cause(ctx) == nil:
			return &graphql.Response{Errors: gqlerror.List{s.present(ctx, err)}}
		}
		return nil
	}
}

// expireAt calls f once the clock passes t, checking at most every
// ExpiryCheck; the returned func stops it.
func (s *Subscriptions) expireAt(t time.Time, f func()) (stop func() bool) {
	var mu sync.Mutex
	var timer *time.Timer
	stopped := false
	var check func()
	check = func() {
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			return
		}
		remaining := t.Sub(s.now())
		if remaining <= 0 {
			stopped = true
			go f()
			return
		}
		timer = time.AfterFunc(min(remaining, s.o.ExpiryCheck), check)
	}
	check()
	return func() bool {
		mu.Lock()
		defer mu.Unlock()
		stopped = true
		if timer != nil {
			return timer.Stop()
		}
		return true
	}
}

// subscriptionLimitError refuses a subscription beyond a limit; Message
// names the limit.
type subscriptionLimitError struct{ Message string }

func (e *subscriptionLimitError) Error() string { return e.Message }

// refusal is a subscription's one and only response: an error.
func (s *Subscriptions) refusal(ctx context.Context, err error) graphql.ResponseHandler {
	return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{s.present(ctx, err)}})
}

type wsConnKey struct{}

// wsConn is the state of one WebSocket: its token, its subscriptions and
// the operations open on the wire.
type wsConn struct {
	s      *Subscriptions
	header string // the upgrade request's Authorization

	mu        sync.Mutex
	adapter   *wsAdapter
	authz     string // the Authorization connection_init settled on
	cancel    context.CancelFunc
	unexpire  func() bool
	subs      int
	closeOnce sync.Once
	open      map[string]bool
	idle      chan struct{} // closed while no operation is open
}

func (c *wsConn) attach(a *wsAdapter) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.adapter = a
}

// init records the connection's token and arms its expiry: the socket
// closes with 4401 when the token expires.
func (c *wsConn) init(header string, expires time.Time, cancel context.CancelFunc) {
	c.mu.Lock()
	c.authz, c.cancel = header, cancel
	c.mu.Unlock()
	stop := c.s.expireAt(expires, c.expire)
	c.mu.Lock()
	c.unexpire = stop
	c.mu.Unlock()
}

func (c *wsConn) authorization() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.authz
}

// expire closes the socket with 4401 and ends its operations.
func (c *wsConn) expire() {
	c.mu.Lock()
	a, cancel := c.adapter, c.cancel
	c.mu.Unlock()
	if a != nil {
		_ = a.WriteClose(closeUnauthorized, closeReason(errTokenExpired))
	}
	if cancel != nil {
		cancel()
	}
}

func (c *wsConn) stopTimer() {
	c.mu.Lock()
	stop := c.unexpire
	c.mu.Unlock()
	if stop != nil {
		stop()
	}
}

// running is the number of subscriptions counted against the
// connection's limit.
func (c *wsConn) running() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.subs
}

func (c *wsConn) addRunning(delta int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.subs += delta
}

// opened and finished track the operations open on the wire, from the
// client's subscribe to the server's complete or error.
func (c *wsConn) opened(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.open) == 0 {
		c.idle = make(chan struct{})
	}
	c.open[id] = true
}

func (c *wsConn) finished(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.open[id] {
		return
	}
	delete(c.open, id)
	if len(c.open) == 0 {
		close(c.idle)
	}
}

// closeWhenIdle closes the socket with 1001 once every operation on it got
// its complete (or when ctx ends), in the background.
func (c *wsConn) closeWhenIdle(ctx context.Context) {
	c.mu.Lock()
	idle, a := c.idle, c.adapter
	c.mu.Unlock()
	c.closeOnce.Do(func() { go c.closeAfter(ctx, idle, a) })
}

func (c *wsConn) closeAfter(ctx context.Context, idle <-chan struct{}, a *wsAdapter) {
	select {
	case <-idle:
	case <-ctx.Done():
	}
	if a != nil {
		_ = a.WriteClose(closeGoingAway, closeReason(errShutdown))
	}
}

// drop cuts the socket without a handshake.
func (c *wsConn) drop() {
	c.mu.Lock()
	a := c.adapter
	c.mu.Unlock()
	if a != nil {
		_ = a.conn.CloseNow()
	}
}
