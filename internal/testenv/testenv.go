// Package testenv starts the whole gateway for end-to-end tests and
// benchmarks: the real HTTP surface (package transport) in an httptest
// server, in front of an upstream that records every call Circle receives
// and can delay or fail them. The upstream is the embedded sandbox unless a
// test brings its own handler.
//
// Nothing here mocks the gateway's own interfaces: requests travel over real
// HTTP end to end.
package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/circle-gateway/gateway/budget"
	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/internal/logbuf"
	"github.com/circle-gateway/gateway/live"
	"github.com/circle-gateway/gateway/loaders"
	"github.com/circle-gateway/gateway/observe"
	"github.com/circle-gateway/gateway/sandbox"
	"github.com/circle-gateway/gateway/transport"
)

// Call is one request the upstream received.
type Call struct {
	Method        string
	Path          string // without the API prefix, e.g. "/spaces/12/posts"
	Query         string // raw query
	Authorization string
	Start, End    time.Time
}

// Target is the path and query, as the gateway's dedup key sees it.
func (c Call) Target() string {
	if c.Query == "" {
		return c.Path
	}
	return c.Path + "?" + c.Query
}

// Fault decides whether to fail a call: it returns the status and body to
// answer instead of the real upstream, or ok=false to pass it through.
type Fault func(r *http.Request) (status int, body string, ok bool)

// Recorder is an upstream wrapper that records calls and injects latency
// and faults. Safe for concurrent use.
type Recorder struct {
	next     http.Handler
	delay    atomic.Int64 // nanoseconds
	mu       sync.Mutex
	calls    []Call
	gen      int // bumped by Reset
	fault    Fault
	inFlight atomic.Int64
	maxIn    atomic.Int64
	gate     *Gate
}

// GateTimeout is how long a Gate holds calls that wait for more calls to
// arrive. It only ever runs out when the gateway does not send the calls
// it should send together: then the gate lets them go, Opened reports
// false, and the test fails.
const GateTimeout = 10 * time.Second

// Gate holds the calls it matches until N of them are in flight at once,
// then lets them all go. A test shows that N calls are concurrent by
// installing a gate (SetGate) and asserting Opened: unlike a latency and a
// timeline, the proof does not depend on how fast the machine runs.
type Gate struct {
	// N is how many matching calls must be in flight together.
	N int
	// Match selects the calls the gate holds (method, and path without
	// the API prefix); nil matches every call.
	Match func(method, path string) bool

	// hangup closes a matching call's connection at once instead of
	// holding it (Hangup).
	hangup bool

	mu       sync.Mutex
	arrived  int
	open     chan struct{}
	opened   bool // N were in flight at once
	released bool // open is closed
}

// Unanswered returns a gate that never opens: a Circle that does not
// answer, holding every call until the gateway gives up on it (or
// GateTimeout passes, and the test fails). A test of timeouts then needs
// no clock of its own.
func Unanswered() *Gate { return &Gate{N: math.MaxInt} }

// Hangup returns a gate that answers no call: it reads each request and
// closes the connection. The gateway then knows Circle got the request
// and that no answer will come (a write's outcome is unknown) at once, on
// any machine: unlike an unanswered call ended by a short upstream
// timeout, which on a loaded machine can fire before the request is even
// written, and then takes another path (a call never sent, retried).
func Hangup() *Gate { return &Gate{N: math.MaxInt, hangup: true} }

// Release opens the gate whatever the number of calls in flight: the
// calls it holds go on, and later ones pass. A test holds calls with
// Unanswered, waits for what it needs to see while they are held (every
// operation joined a shared call, say), then releases them.
func (g *Gate) Release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.open == nil {
		g.open = make(chan struct{})
	}
	if !g.released {
		g.released = true
		close(g.open)
	}
}

// Opened reports whether N matching calls were in flight at once.
func (g *Gate) Opened() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.opened
}

// Arrived is how many matching calls reached the gate.
func (g *Gate) Arrived() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.arrived
}

// matches reports whether the gate is for this call.
func (g *Gate) matches(req *http.Request, path string) bool {
	return g.Match == nil || g.Match(req.Method, path)
}

// note counts a call that reached a Hangup gate.
func (g *Gate) note() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.arrived++
}

// hold blocks a matching call until the gate opens (or times out).
func (g *Gate) hold(req *http.Request, path string) {
	if !g.matches(req, path) {
		return
	}
	g.mu.Lock()
	if g.open == nil {
		g.open = make(chan struct{})
	}
	open := g.open
	g.arrived++
	if g.arrived == g.N {
		g.opened = true
		if !g.released {
			g.released = true
			close(open)
		}
	}
	g.mu.Unlock()
	select {
	case <-open:
	case <-req.Context().Done():
	case <-time.After(GateTimeout):
	}
}

// SetGate installs g (nil removes it).
func (r *Recorder) SetGate(g *Gate) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.gate = g
}

// NewRecorder wraps next.
func NewRecorder(next http.Handler) *Recorder { return &Recorder{next: next} }

// SetDelay adds d to every call (simulated upstream latency).
func (r *Recorder) SetDelay(d time.Duration) { r.delay.Store(int64(d)) }

// SetFault installs f (nil removes it).
func (r *Recorder) SetFault(f Fault) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fault = f
}

// ServeHTTP records, delays, maybe fails, then passes the call on.
func (r *Recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	start := time.Now()
	n := r.inFlight.Add(1)
	for {
		m := r.maxIn.Load()
		if n <= m || r.maxIn.CompareAndSwap(m, n) {
			break
		}
	}
	defer r.inFlight.Add(-1)
	// Read the body first: net/http notices that the client went away
	// (and cancels req.Context()) only once the body has been read, and a
	// gated or delayed write must end when the gateway gives up on it.
	if req.Body != nil {
		body, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	r.mu.Lock()
	gate, gen := r.gate, r.gen
	r.mu.Unlock()
	if gate != nil && gate.hangup && gate.matches(req, apiPath(req.URL.Path)) {
		gate.note()
		r.record(req, start, gen)()
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			_ = conn.Close()
		}
		return
	}
	if gate != nil {
		gate.hold(req, apiPath(req.URL.Path))
	}
	if d := time.Duration(r.delay.Load()); d > 0 {
		select {
		case <-time.After(d):
		case <-req.Context().Done():
		}
	}
	r.mu.Lock()
	fault := r.fault
	r.mu.Unlock()
	defer r.record(req, start, gen)()
	if fault != nil {
		if status, body, ok := fault(req); ok {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = io.WriteString(w, body)
			return
		}
	}
	r.next.ServeHTTP(w, req)
}

// record notes a call before it is answered, so that no answer can reach
// the gateway (and the test move on and Reset) before the call is on the
// list; the returned func stamps its end. A call begun before a Reset is
// not recorded after it.
func (r *Recorder) record(req *http.Request, start time.Time, arrivedIn int) (done func()) {
	path := apiPath(req.URL.Path)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.gen != arrivedIn {
		// Held (gated or delayed) across a Reset: the call belongs to
		// the test that made it, not to the one after.
		return func() {}
	}
	gen, idx := r.gen, len(r.calls)
	r.calls = append(r.calls, Call{Method: req.Method, Path: path, Query: req.URL.RawQuery, Authorization: req.Header.Get("Authorization"), Start: start})
	return func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.gen == gen {
			r.calls[idx].End = time.Now()
		}
	}
}

// apiPath is path without the Member or Auth API prefix.
func apiPath(path string) string {
	for _, p := range []string{"/api/headless/v1", "/api/v1/headless"} {
		if rest, ok := strings.CutPrefix(path, p); ok {
			return rest
		}
	}
	return path
}

// Calls returns the calls recorded so far, in the order they arrived; a
// call still being answered has a zero End.
func (r *Recorder) Calls() []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Call(nil), r.calls...)
}

// Reset forgets recorded calls and the in-flight peak.
func (r *Recorder) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = nil
	r.gen++
	r.maxIn.Store(0)
}

// MaxInFlight is the most calls the upstream served at once since Reset.
func (r *Recorder) MaxInFlight() int { return int(r.maxIn.Load()) }

// Waves is the length of the longest chain of calls in which each call
// started after the previous one ended: the number of sequential rounds
// the operation needed, whatever its total number of calls.
func Waves(calls []Call) int {
	sorted := append([]Call(nil), calls...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Start.Before(sorted[j].Start) })
	depth := make([]int, len(sorted))
	best := 0
	for i, c := range sorted {
		depth[i] = 1
		for j := 0; j < i; j++ {
			if !sorted[j].End.After(c.Start) && depth[j]+1 > depth[i] {
				depth[i] = depth[j] + 1
			}
		}
		best = max(best, depth[i])
	}
	return best
}

// Env is a running gateway with its upstream.
type Env struct {
	// Sandbox is the embedded Circle behind the recorder (nil when the test
	// brought its own upstream handler).
	Sandbox *sandbox.Sandbox
	// Upstream records what Circle received.
	Upstream *Recorder
	// UpstreamURL is the upstream's base URL.
	UpstreamURL string
	// URL is the gateway's base URL; GraphQL is at URL + "/graphql".
	URL string
	// Logs holds everything the gateway logged.
	Logs *logbuf.Buffer
	// AppToken is the Headless Auth app token the gateway was given ("" with
	// Options.NoAppToken), for tests that check where it travels.
	AppToken string
	// Bridge is the gateway's bridge to the upstream's cable (ws://…/cable
	// through the recorder, which records the upgrade as a GET /cable).
	Bridge *live.Bridge
	// Subscriptions is the gateway's subscription registry.
	Subscriptions *transport.Subscriptions

	directOnce sync.Once
	directURL  string
}

// SandboxURL is a base URL that reaches the sandbox directly, without the
// recorder: tests read ground truth there without counting it as the
// gateway's calls.
func (e *Env) SandboxURL(tb testing.TB) string {
	tb.Helper()
	if e.Sandbox == nil {
		tb.Fatal("SandboxURL: this Env has no sandbox")
	}
	e.directOnce.Do(func() {
		srv := httptest.NewServer(e.Sandbox.Handler())
		tb.Cleanup(srv.Close)
		e.directURL = srv.URL
	})
	return e.directURL
}

// Options tune an Env.
type Options struct {
	// Upstream replaces the sandbox with a custom Circle double.
	Upstream http.Handler
	// UpstreamURL points the gateway at an upstream outside the Env (e.g. a
	// closed port); the recorder then sees nothing.
	UpstreamURL string
	// Transport overrides transport options (Client and Log are filled in).
	Transport transport.Options
	// ClientOptions are extra circle client options.
	ClientOptions []circle.Option
	// Loaders tunes the loaders.
	Loaders loaders.Config
	// DisableIntrospection turns introspection off (it is on otherwise).
	DisableIntrospection bool
	// NoAppToken starts the gateway without an app token, as when
	// CIRCLE_HEADLESS_AUTH_TOKEN is not set.
	NoAppToken bool
	// Live configures the cable bridge (URL defaults to the upstream's
	// /cable, Backoff to 10ms, Poller to the gateway's client); ignored
	// when Transport.Live is set.
	Live live.Config
}

// New starts an Env and stops it when the test ends.
func New(tb testing.TB, o Options) *Env {
	tb.Helper()
	env := &Env{Logs: &logbuf.Buffer{}}
	upstream := o.Upstream
	if upstream == nil {
		env.Sandbox = sandbox.New(sandbox.Options{})
		upstream = env.Sandbox.Handler()
	}
	env.Upstream = NewRecorder(upstream)
	up := httptest.NewServer(env.Upstream)
	tb.Cleanup(up.Close)
	env.UpstreamURL = up.URL
	if o.UpstreamURL != "" {
		env.UpstreamURL = o.UpstreamURL
	}

	appToken := "test-app-token"
	if env.Sandbox != nil {
		appToken = env.Sandbox.AppToken()
	}
	if o.NoAppToken {
		appToken = ""
	}
	env.AppToken = appToken
	log := slog.New(slog.NewTextHandler(env.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	obs := observe.New(log, transport.RequestID)
	// The token memory is on as in production (server.go), so every test
	// runs with one call at a time per unproven token; a test may turn it
	// off with circle.WithTokenMemory(nil) in ClientOptions.
	opts := append([]circle.Option{circle.WithAppToken(appToken), circle.WithObserver(obs.Upstream), circle.WithBackoff(func(int) time.Duration { return time.Millisecond }),
		circle.WithTokenMemory(budget.NewTokens(nil))}, o.ClientOptions...)
	client, err := circle.New(env.UpstreamURL, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	to := o.Transport
	to.Client = client
	to.Log = log
	to.Observer = obs
	to.Loaders = o.Loaders
	if to.CORSAllowedOrigins == nil {
		to.CORSAllowedOrigins = []string{"*"}
	}
	to.Introspection = !o.DisableIntrospection
	if to.Live == nil {
		cfg := o.Live
		if cfg.URL == "" {
			cfg.URL = "ws" + strings.TrimPrefix(env.UpstreamURL, "http") + "/cable"
		}
		if cfg.Backoff == nil {
			cfg.Backoff = func(int) time.Duration { return 10 * time.Millisecond }
		}
		if cfg.Log == nil {
			cfg.Log = log
		}
		if cfg.Poller == nil {
			cfg.Poller = live.CirclePoller(client)
		}
		bridge, err := live.New(cfg)
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = bridge.Close(ctx)
		})
		to.Live = bridge
	}
	env.Bridge = to.Live
	if to.Subscriptions == nil {
		to.Subscriptions = transport.NewSubscriptions(transport.SubscriptionOptions{})
	}
	env.Subscriptions = to.Subscriptions
	h, err := transport.New(to)
	if err != nil {
		tb.Fatal(err)
	}
	gw := httptest.NewServer(h)
	tb.Cleanup(gw.Close)
	env.URL = gw.URL
	return env
}

// Token issues a sandbox access token for a member.
func (e *Env) Token(tb testing.TB, memberID int64) string {
	tb.Helper()
	tok, err := e.Sandbox.IssueToken(memberID)
	if err != nil {
		tb.Fatal(err)
	}
	return tok.AccessToken
}

// DemoToken is a token of the sandbox's demo member.
func (e *Env) DemoToken(tb testing.TB) string { return e.Token(tb, e.Sandbox.DemoMemberID()) }

// Response is a decoded GraphQL response.
type Response struct {
	Status int
	Header http.Header
	Data   json.RawMessage `json:"data"`
	Errors []GQLError      `json:"errors"`
}

// GQLError is one GraphQL error.
type GQLError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// Code is extensions.code.
func (e GQLError) Code() string { s, _ := e.Extensions["code"].(string); return s }

// Codes lists the codes of all errors.
func (r Response) Codes() []string {
	out := make([]string, len(r.Errors))
	for i, e := range r.Errors {
		out[i] = e.Code()
	}
	return out
}

// Decode unmarshals data into v.
func (r Response) Decode(tb testing.TB, v any) {
	tb.Helper()
	if err := json.Unmarshal(r.Data, v); err != nil {
		tb.Fatalf("decode data %s: %v", r.Data, err)
	}
}

// Do posts a GraphQL operation with the given bearer token ("" for none).
func (e *Env) Do(tb testing.TB, token, query string, vars map[string]any) Response {
	tb.Helper()
	headers := http.Header{}
	if token != "" {
		headers.Set("Authorization", "Bearer "+token)
	}
	return e.DoWith(tb, headers, query, vars)
}

// DoClient posts a query with a given HTTP client (e.g. one without
// keep-alives, for goroutine accounting).
func (e *Env) DoClient(tb testing.TB, client *http.Client, token, query string) Response {
	tb.Helper()
	return e.do(tb, client, http.Header{"Authorization": {"Bearer " + token}}, query, nil)
}

// DoWith posts a GraphQL operation with arbitrary headers.
func (e *Env) DoWith(tb testing.TB, headers http.Header, query string, vars map[string]any) Response {
	tb.Helper()
	return e.do(tb, http.DefaultClient, headers, query, vars)
}

func (e *Env) do(tb testing.TB, client *http.Client, headers http.Header, query string, vars map[string]any) Response {
	tb.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, e.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header[k] = v
	}
	resp, err := client.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := Response{Status: resp.StatusCode, Header: resp.Header}
	if err := json.Unmarshal(raw, &out); err != nil {
		tb.Fatalf("response %d is not GraphQL JSON: %s", resp.StatusCode, raw)
	}
	return out
}
