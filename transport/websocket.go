package transport

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"

	gqltransport "github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"
	gojson "github.com/goccy/go-json"
)

// The WebSocket side of /graphql: gqlgen's websocket transport speaking
// graphql-transport-ws (the protocol of the graphql-ws client), over
// coder/websocket through the adapter below, which also watches which
// operations are open on the wire so that a shutdown can wait for their
// `complete` before closing.

// graphqlTransportWS is the only subprotocol served.
const graphqlTransportWS = "graphql-transport-ws"

// Close codes of graphql-transport-ws.
const (
	closeUnauthorized       = 4401
	closeSubprotocolRefused = 4406
	closeGoingAway          = 1001
)

// wsAccept adapts coder/websocket to gqlgen's WebsocketImplementation. It
// checks the Origin like CORS would: a browser page may open the socket only
// from the gateway's own host or an origin in CORS_ALLOWED_ORIGINS ("*"
// allows any); clients that send no Origin (mobile apps, servers) are not
// browsers and may connect.
type wsAccept struct {
	origins      []string
	writeTimeout time.Duration
}

// Accept upgrades the request; the wsConn put in the request's context by
// Subscriptions.serveWebSocket receives the connection.
func (a wsAccept) Accept(w http.ResponseWriter, r *http.Request, o gqltransport.WebsocketAcceptOptions) (gqltransport.WebsocketConn, error) {
	for k, vs := range o.ResponseHeader {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	opts := &websocket.AcceptOptions{Subprotocols: []string{graphqlTransportWS}}
	if slices.Contains(a.origins, "*") {
		opts.InsecureSkipVerify = true
	} else {
		opts.OriginPatterns = a.origins
	}
	ws, err := websocket.Accept(w, r, opts)
	if err != nil {
		return nil, err
	}
	c := &wsAdapter{conn: ws, writeTimeout: a.writeTimeout}
	if st, ok := r.Context().Value(wsConnKey{}).(*wsConn); ok {
		st.attach(c)
		c.state = st
	}
	return c, nil
}

// maxKeptWriteBuffer is the largest write buffer a connection keeps between
// messages: events are a few hundred bytes, and a thousand sockets each
// holding the largest message they ever carried would cost more than the
// allocations saved.
const maxKeptWriteBuffer = 4 << 10

// wsAdapter is one accepted connection as gqlgen's transport uses it.
type wsAdapter struct {
	conn         *websocket.Conn
	state        *wsConn // nil outside Subscriptions.serveWebSocket
	writeTimeout time.Duration

	mu        sync.Mutex
	deadline  *time.Timer
	closing   bool
	closeDone chan struct{}

	// watchdog drops the connection when one write outlasts
	// writeTimeout. gqlgen writes one message at a time per connection,
	// so one timer, reset per write, does what a context with a timeout
	// per write did without its three allocations (and coder/websocket's
	// AfterFunc on it) per message to every subscriber.
	watchdog *time.Timer
	buf      []byte // the message being written (see WriteJSON)
}

var (
	_ gqltransport.WebsocketConn          = (*wsAdapter)(nil)
	_ gqltransport.WebsocketReadLimiter   = (*wsAdapter)(nil)
	_ gqltransport.WebsocketReadDeadliner = (*wsAdapter)(nil)
)

// wireMessage is the part of a graphql-transport-ws message the adapter
// looks at.
type wireMessage struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

// NextReader reads the next message, noting each subscribe that opens an
// operation. A normal close by the peer is gqlgen's ErrWebsocketClosed.
func (c *wsAdapter) NextReader() (int, io.Reader, error) {
	typ, data, err := c.conn.Read(context.Background())
	if err != nil {
		switch websocket.CloseStatus(err) {
		case websocket.StatusNormalClosure, websocket.StatusNoStatusRcvd, websocket.StatusGoingAway:
			return int(typ), nil, gqltransport.ErrWebsocketClosed
		}
		return int(typ), nil, err
	}
	if c.state != nil {
		var m wireMessage
		if json.Unmarshal(data, &m) == nil && m.Type == "subscribe" && m.ID != "" {
			c.state.opened(m.ID)
		}
	}
	return int(typ), bytes.NewReader(data), nil
}

// WriteJSON sends one message, noting each complete or error that closes an
// operation.
func (c *wsAdapter) WriteJSON(v any) error {
	// gqlgen writes one message at a time per connection, so the buffer is
	// reused: coder/websocket has copied it out once Write returns.
	data, ok := appendEnvelope(c.buf[:0], v)
	if ok {
		c.buf = data
		if cap(data) > maxKeptWriteBuffer {
			c.buf = nil // one large message is not kept for the connection's life
		}
	} else {
		var err error
		if data, err = gojson.Marshal(v); err != nil {
			return err
		}
	}
	c.armWatchdog()
	err := c.conn.Write(context.Background(), websocket.MessageText, data)
	c.watchdog.Stop()
	// gqlgen writes the type last: "next" messages, the bulk, need no look.
	if c.state != nil && !bytes.HasSuffix(data, []byte(`"type":"next"}`)) {
		var m wireMessage
		if json.Unmarshal(data, &m) == nil && (m.Type == "complete" || m.Type == "error") && m.ID != "" {
			c.state.finished(m.ID)
		}
	}
	return err
}

// armWatchdog starts the write's clock.
func (c *wsAdapter) armWatchdog() {
	if c.watchdog == nil {
		c.watchdog = time.AfterFunc(c.writeTimeout, func() { _ = c.conn.CloseNow() })
		return
	}
	c.watchdog.Reset(c.writeTimeout)
}

// WriteClose starts the close handshake with code and reason; the first
// close wins, so a 4401 for an expired token is not overwritten by the
// transport's own 1000 that follows. The handshake runs in the background:
// coder/websocket waits up to 5 s for the peer's answer.
func (c *wsAdapter) WriteClose(code int, reason string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopDeadlineLocked()
	if c.closing {
		return nil
	}
	c.closing = true
	c.closeDone = make(chan struct{})
	done := c.closeDone
	go func() {
		defer close(done)
		_ = c.conn.Close(websocket.StatusCode(code), truncateReason(reason))
	}()
	return nil
}

// Close drops the connection, unless a close handshake owns it.
func (c *wsAdapter) Close() error {
	c.mu.Lock()
	c.stopDeadlineLocked()
	closing := c.closing
	c.mu.Unlock()
	if closing {
		return nil
	}
	return c.conn.CloseNow()
}

// Subprotocol is the negotiated subprotocol.
func (c *wsAdapter) Subprotocol() string { return c.conn.Subprotocol() }

// SetReadLimit bounds one message from the client.
func (c *wsAdapter) SetReadLimit(n int64) { c.conn.SetReadLimit(n) }

// SetReadDeadline drops the connection at t unless cleared (gqlgen's ping
// timeout for clients that stop answering pings).
func (c *wsAdapter) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopDeadlineLocked()
	if t.IsZero() {
		return nil
	}
	c.deadline = time.AfterFunc(time.Until(t), func() { _ = c.conn.CloseNow() })
	return nil
}

func (c *wsAdapter) stopDeadlineLocked() {
	if c.deadline != nil {
		c.deadline.Stop()
		c.deadline = nil
	}
}

// truncateReason fits a close reason into a control frame (123 bytes).
func truncateReason(s string) string {
	if len(s) <= 120 {
		return s
	}
	return s[:120]
}

// isWebSocketUpgrade reports whether r asks for a WebSocket.
func isWebSocketUpgrade(r *http.Request) bool {
	return r.Header.Get("Upgrade") != ""
}

// offersGraphQLTransportWS reports whether the client offers the
// graphql-transport-ws subprotocol.
func offersGraphQLTransportWS(r *http.Request) bool {
	for _, h := range r.Header.Values("Sec-WebSocket-Protocol") {
		for _, p := range splitComma(h) {
			if p == graphqlTransportWS {
				return true
			}
		}
	}
	return false
}

func splitComma(s string) []string {
	var out []string
	for _, p := range bytes.Split([]byte(s), []byte(",")) {
		if t := bytes.TrimSpace(p); len(t) > 0 {
			out = append(out, string(t))
		}
	}
	return out
}

var errNoSubprotocol = errors.New("offer the graphql-transport-ws subprotocol (the protocol of the graphql-ws client)")
