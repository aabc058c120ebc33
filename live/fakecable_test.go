package live

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// fakeCable is an ActionCable server for the bridge's tests: it welcomes,
// confirms (or rejects) subscriptions, pushes what a test asks to the
// connections of one token, and can refuse, drop or go silent. It records
// every connection and command it sees.
type fakeCable struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	conns    []*fakeConn
	dials    int
	status   int             // answer dials with this status instead of upgrading (0: upgrade)
	reject   map[string]bool // identifiers to reject
	silent   bool            // no welcome, no pings
	pingIntv time.Duration
	changed  chan struct{} // closed and replaced on every recorded change
}

type fakeConn struct {
	token, origin string
	ws            *websocket.Conn
	cancel        context.CancelFunc
	closed        chan struct{}

	mu       sync.Mutex
	subs     map[string]bool
	commands []command
}

func newFakeCable(t *testing.T) *fakeCable {
	f := &fakeCable{t: t, reject: map[string]bool{}, changed: make(chan struct{}), pingIntv: 500 * time.Millisecond}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeCable) url() string { return "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/cable" }

// notify wakes every waiter; call with f.mu held.
func (f *fakeCable) notify() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// waitFor blocks until cond (evaluated under f.mu) holds.
func (f *fakeCable) waitFor(what string, cond func() bool) {
	f.t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		f.mu.Lock()
		ok := cond()
		ch := f.changed
		f.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			f.t.Fatalf("fake cable: gave up waiting for %s", what)
		}
	}
}

func (f *fakeCable) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.dials++
	status, silent, ping := f.status, f.silent, f.pingIntv
	f.notify()
	f.mu.Unlock()
	if status != 0 {
		http.Error(w, http.StatusText(status), status)
		return
	}
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &fakeConn{
		token:  strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "),
		origin: r.Header.Get("Origin"),
		ws:     ws, cancel: cancel, closed: make(chan struct{}),
		subs: map[string]bool{},
	}
	f.mu.Lock()
	f.conns = append(f.conns, c)
	f.notify()
	f.mu.Unlock()
	defer func() {
		cancel()
		_ = ws.CloseNow()
		close(c.closed)
		f.mu.Lock()
		f.notify()
		f.mu.Unlock()
	}()
	if !silent {
		_ = c.write(ctx, map[string]any{"type": typeWelcome})
		if ping > 0 {
			go func() {
				t := time.NewTicker(ping)
				defer t.Stop()
				for {
					select {
					case <-ctx.Done():
						return
					case <-t.C:
						_ = c.write(ctx, map[string]any{"type": typePing, "message": time.Now().Unix()})
					}
				}
			}()
		}
	}
	for {
		_, data, err := ws.Read(ctx)
		if err != nil {
			return
		}
		var cmd command
		if json.Unmarshal(data, &cmd) != nil {
			continue
		}
		f.mu.Lock()
		reject := f.reject[cmd.Identifier]
		c.mu.Lock()
		c.commands = append(c.commands, cmd)
		switch cmd.Command {
		case cmdSubscribe:
			c.subs[cmd.Identifier] = !reject
		case cmdUnsubscribe:
			delete(c.subs, cmd.Identifier)
		}
		c.mu.Unlock()
		f.notify()
		f.mu.Unlock()
		if cmd.Command == cmdSubscribe {
			typ := typeConfirm
			if reject {
				typ = typeReject
			}
			_ = c.write(ctx, map[string]any{"identifier": cmd.Identifier, "type": typ})
		}
	}
}

func (c *fakeConn) write(ctx context.Context, v any) error {
	b, _ := json.Marshal(v)
	return c.ws.Write(ctx, websocket.MessageText, b)
}

func (c *fakeConn) subscribed(identifier string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.subs[identifier]
}

// open are the connections not closed yet.
func (f *fakeCable) open() []*fakeConn {
	var out []*fakeConn
	for _, c := range f.conns {
		select {
		case <-c.closed:
		default:
			out = append(out, c)
		}
	}
	return out
}

// waitSubscribed waits until an open connection of token is subscribed to
// identifier, and returns it.
func (f *fakeCable) waitSubscribed(token, identifier string) *fakeConn {
	f.t.Helper()
	var found *fakeConn
	f.waitFor(token+" subscribed to "+identifier, func() bool {
		for _, c := range f.open() {
			if c.token == token && c.subscribed(identifier) {
				found = c
				return true
			}
		}
		return false
	})
	return found
}

// push broadcasts an event on identifier to every open connection of token
// subscribed to it, as Circle's cable does.
func (f *fakeCable) push(token, identifier, event string, data any) {
	f.t.Helper()
	f.mu.Lock()
	conns := f.open()
	f.mu.Unlock()
	pushed := 0
	for _, c := range conns {
		if c.token != token || !c.subscribed(identifier) {
			continue
		}
		d, _ := json.Marshal(data)
		msg := map[string]any{"identifier": identifier, "message": map[string]any{"event": event, "data": json.RawMessage(d)}}
		if err := c.write(context.Background(), msg); err != nil {
			f.t.Fatalf("push: %v", err)
		}
		pushed++
	}
	if pushed == 0 {
		f.t.Fatalf("push %s to %s: no connection subscribed", event, identifier)
	}
}

// dropAll cuts every open connection without a close handshake.
func (f *fakeCable) dropAll() {
	f.mu.Lock()
	conns := f.open()
	f.mu.Unlock()
	for _, c := range conns {
		c.cancel()
		<-c.closed
	}
}

func (f *fakeCable) set(fn func(f *fakeCable)) {
	f.mu.Lock()
	fn(f)
	f.notify()
	f.mu.Unlock()
}
