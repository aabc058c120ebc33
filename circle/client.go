package circle

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/circle-gateway/gateway/memcap"
)

// Path prefixes of the two APIs under the same base URL.
const (
	memberPrefix = "/api/headless/v1"
	authPrefix   = "/api/v1/headless"
)

// Defaults for a Client; each has an Option to change it.
const (
	// DefaultTimeout bounds each upstream call (UPSTREAM_TIMEOUT, docs/contract.md §6.6).
	DefaultTimeout = 10 * time.Second
	// DefaultMaxBody bounds how much of a response body is read: Circle's
	// largest pages (100 posts with bodies) stay well under it.
	DefaultMaxBody = 16 << 20
	// DefaultMaxRetries is how often a GET is retried after a connection
	// error or a 502/503/504.
	DefaultMaxRetries = 2
	// maxRetryAfter is the longest Retry-After the client waits out itself.
	maxRetryAfter = 5 * time.Second
	// maxRetryAfterHint caps the Retry-After passed on to clients, in
	// seconds (a day).
	maxRetryAfterHint = 24 * 60 * 60
)

// Call describes one finished upstream HTTP exchange, for metrics and logs.
// It never carries a token.
type Call struct {
	Method   string
	Endpoint string // template, e.g. "/spaces/{id}"
	Status   int    // 0 when no response arrived
	Duration time.Duration
	Attempt  int // 0 for the first try
	Err      error
	// Shared marks a GET that sent nothing: it joined an identical call of
	// the same member already in flight (see WithCoalescing). Status,
	// Duration and Attempt are then zero.
	Shared bool
	// Cached marks a GET answered from the response cache (see
	// WithResponseCache): nothing was sent. Status, Duration and Attempt
	// are then zero.
	Cached bool
	// Refused marks a call that sent nothing because Circle had refused
	// its credential before (see WithTokenMemory).
	Refused bool
}

// Tracer records upstream calls as trace spans (package tracing implements
// it with OpenTelemetry). It never sees a token or a body.
type Tracer interface {
	// StartCall begins the span of one attempt of a call about to be sent
	// and writes the trace context into its headers; the returned func
	// ends the span with the answer's status (0: none arrived).
	StartCall(ctx context.Context, method, endpoint string, attempt int, header http.Header) (end func(status int, err error))
	// SharedCall records a GET that joined an identical call of the same
	// member in flight and sent nothing (see WithCoalescing).
	SharedCall(ctx context.Context, method, endpoint string, err error)
}

// Client calls Circle. It is safe for concurrent use and shared by the whole
// process; member-specific calls go through the MemberAPI views it hands out.
type Client struct {
	base       *url.URL
	http       *http.Client
	timeout    time.Duration
	maxBody    int64
	maxRetries int
	appToken   string
	limiter    Limiter
	observe    func(context.Context, Call)
	tracer     Tracer
	cache      ResponseCache // nil: no response cache
	backoff    func(attempt int) time.Duration
	flights    *flights // nil when coalescing is off
	buffers    *buffers // read buffers (buffers.go)
	tokens     TokenMemory
	gate       *gate
	app        appTokenState
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client (its transport and pooling); the
// per-call timeout is applied through the request context, not http.Client.Timeout.
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithTimeout sets the timeout of each upstream call.
func WithTimeout(d time.Duration) Option { return func(c *Client) { c.timeout = d } }

// WithMaxRetries sets how often a GET is retried; 0 disables retries.
func WithMaxRetries(n int) Option { return func(c *Client) { c.maxRetries = n } }

// WithAppToken sets the community's Headless Auth app token, sent only to
// the Auth API.
func WithAppToken(token string) Option { return func(c *Client) { c.appToken = token } }

// WithLimiter paces every upstream call through l, which sees the share of
// the budget each call draws from (budget.go).
func WithLimiter(l Limiter) Option { return func(c *Client) { c.limiter = l } }

// WithTokenMemory makes the client remember, through m, what Circle
// answered for each member credential: one call at a time goes out on a
// credential Circle has not accepted yet, and a refused one is refused
// again without a call (budget.go). nil turns this off.
func WithTokenMemory(m TokenMemory) Option {
	return func(c *Client) {
		c.tokens = m
		c.gate = newGate()
	}
}

// WithObserver receives every finished upstream exchange (metrics, logs),
// with the context of the operation that made it.
func WithObserver(f func(context.Context, Call)) Option { return func(c *Client) { c.observe = f } }

// WithTracer records every upstream call attempt as a span and sends the
// trace context to Circle (nil: no tracing).
func WithTracer(t Tracer) Option { return func(c *Client) { c.tracer = t } }

// WithCoalescing turns on or off the sharing of identical Member API GETs
// that one member token has in flight at the same time (on by default):
// operations that overlap then cost Circle one call instead of one each.
func WithCoalescing(on bool) Option {
	return func(c *Client) {
		c.flights = nil
		if on {
			c.flights = newFlights()
		}
	}
}

// WithBackoff replaces the jittered exponential backoff between retries
// (tests use it to keep retries fast).
func WithBackoff(f func(attempt int) time.Duration) Option {
	return func(c *Client) { c.backoff = f }
}

// New returns a Client for the Circle instance at baseURL (e.g.
// "https://app.circle.so"; both APIs live under it).
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("circle: base URL %q must be absolute, like https://app.circle.so", baseURL)
	}
	c := &Client{
		base:       u,
		http:       &http.Client{Transport: defaultTransport()},
		timeout:    DefaultTimeout,
		maxBody:    DefaultMaxBody,
		maxRetries: DefaultMaxRetries,
		backoff:    jitteredBackoff,
		flights:    newFlights(),
		buffers:    newBuffers(),
	}
	for _, o := range opts {
		o(c)
	}
	if c.http.CheckRedirect == nil {
		// Never follow a redirect: Go's client would re-send the
		// Authorization header (the app token, or a member's token) to
		// wherever Circle, or anything pretending to be it, points, on
		// the same host name even over plain HTTP. Circle's APIs do not
		// redirect; a 3xx is answered as the error it is.
		cp := *c.http
		cp.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		c.http = &cp
	}
	if c.http.Jar != nil {
		// Never keep cookies: the client is shared by every member, so a
		// jar would send one member's Circle session (POST /cookies sets
		// one) with the next member's calls.
		cp := *c.http
		cp.Jar = nil
		c.http = &cp
	}
	return c, nil
}

// maxConnsPerHost bounds the connections open to Circle at once. Over
// plain HTTP/1 (the sandbox, a test double) every call in flight holds a
// connection of its own, with two goroutines and 8 KB of buffers: 64
// clients of feed + comments, a token each, kept 450 to 770 open, about
// 20 KB of memory each, while Circle answered no faster for it. A call
// beyond the bound waits for a connection, within its own timeout. 384
// is above what two rounds need at 100 ms (16 operations × 21 calls =
// 336 at once): BENCHMARKS.md, issue 12.
const maxConnsPerHost = 384

// defaultTransport keeps enough idle connections to Circle for the
// gateway's fan-out (32 calls in flight per operation, many operations),
// and bounds how many it opens (maxConnsPerHost).
func defaultTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 512
	t.MaxIdleConnsPerHost = 256
	t.MaxConnsPerHost = maxConnsPerHost
	t.IdleConnTimeout = 90 * time.Second
	return t
}

// jitteredBackoff waits a random time in [0, 100ms·2^attempt) ("full jitter"),
// so that retrying replicas do not hit Circle in lockstep.
func jitteredBackoff(attempt int) time.Duration {
	ceiling := 100 * time.Millisecond << attempt
	return time.Duration(rand.Int64N(int64(ceiling)))
}

// HasAppToken reports whether the Auth API can be called.
func (c *Client) HasAppToken() bool { return c.appToken != "" }

// errNotSent marks calls the client-side limiter kept from being sent.
var errNotSent = errors.New("not sent")

// request is one upstream call to make.
type request struct {
	method   string
	endpoint string // template for metrics and errors
	target   string // path (under the API prefix) and encoded query
	prefix   string
	token    string
	body     any
	// cookies, when set, receives the cookies of a 2xx answer: only the
	// cookie endpoints read them, and nothing else keeps them (the client
	// has no cookie jar, so no cookie Circle sets reaches another call).
	cookies func([]*http.Cookie)
	// cred is the member credential the call is made on, when there is
	// one (a Member API call's token, the token an Auth API call refreshes
	// or revokes); nil for calls the gateway vouches for itself.
	cred *Credential
	// verdict judges what the answer says of cred (default memberVerdict).
	verdict verdict
	// share is what the call draws from, set by do.
	share Share
}

// do performs r and returns the raw response body of a 2xx answer. GETs are
// retried on connection errors and 502/503/504, and a short 429 is waited out
// once; other methods are retried only when the request never left.
func (c *Client) do(ctx context.Context, r request) ([]byte, error) {
	var payload []byte
	if r.body != nil {
		var err error
		if payload, err = json.Marshal(r.body); err != nil {
			return nil, fmt.Errorf("circle: %s %s: encode body: %w", r.method, r.endpoint, err)
		}
	}
	share, probed, err := c.share(ctx, r)
	if err != nil {
		return nil, err
	}
	r.share = share
	if probed != nil {
		// This call is its credential's probe: whatever happens, its
		// outcome releases the calls waiting on the same credential.
		var body []byte
		err = errNoAnswer
		defer func() { probed(err) }()
		body, err = c.attempts(ctx, r, payload)
		return body, err
	}
	return c.attempts(ctx, r, payload)
}

// errNoAnswer is a probe's outcome when its call ended without returning
// (a panic): nothing was learnt of the credential.
var errNoAnswer = errors.New("no answer")

// attempts makes r's first attempt and the retries its answers allow.
func (c *Client) attempts(ctx context.Context, r request, payload []byte) ([]byte, error) {
	idempotent := r.method == http.MethodGet
	waitedOut429 := false
	for attempt := 0; ; attempt++ {
		body, sent, err := c.once(ctx, r, payload, attempt)
		if err == nil {
			return body, nil
		}
		if unreadable(err) {
			return nil, err
		}
		if errors.Is(err, errNotSent) {
			// The client-side limiter refused or the caller gave up while
			// queuing: nothing to retry. The limiter's wait is bounded by
			// the deadline, so a caller with more time might have gone on.
			if _, ok := ctx.Deadline(); ok {
				err = shortOfTime{err}
			}
			return nil, err
		}
		var ce *Error
		switch {
		case errors.As(err, &ce) && ce.Status == http.StatusTooManyRequests:
			if !idempotent || waitedOut429 || !ce.retryAfterSent || ce.RetryAfter > maxRetryAfter {
				return nil, err
			}
			waitedOut429 = true
			if !pause(ctx, ce.RetryAfter, &err) {
				return nil, err
			}
			continue
		case attempt >= c.maxRetries || ctx.Err() != nil:
		case errors.As(err, &ce):
			if idempotent && (ce.Status == http.StatusBadGateway || ce.Status == http.StatusServiceUnavailable || ce.Status == http.StatusGatewayTimeout) {
				if pause(ctx, c.backoff(attempt), &err) {
					continue
				}
			}
		case (idempotent && errors.Is(err, ErrUnavailable)) || !sent:
			if pause(ctx, c.backoff(attempt), &err) {
				continue
			}
		}
		if !idempotent && sent && errors.Is(err, ErrUnavailable) && !errors.As(err, &ce) {
			return nil, fmt.Errorf("circle: %s %s: %w (%v)", r.method, r.endpoint, ErrOutcomeUnknown, unwrapCause(err))
		}
		return nil, err
	}
}

// once makes a single attempt. sent reports whether the request may have
// reached Circle (its headers were written).
func (c *Client) once(ctx context.Context, r request, payload []byte, attempt int) (body []byte, sent bool, err error) {
	acct := accountFor(ctx, r)
	if err := acct.ReadExhausted(); err != nil {
		return nil, false, fmt.Errorf("circle: %s %s: %w", r.method, r.endpoint, err)
	}
	if c.limiter != nil {
		if err := c.limiter.Wait(ctx, r.share); err != nil {
			return nil, false, fmt.Errorf("circle: %s %s: %w: %w", r.method, r.endpoint, errNotSent, err)
		}
	}
	start := time.Now()
	status := 0
	defer func() {
		c.report(ctx, Call{Method: r.method, Endpoint: r.endpoint, Status: status, Duration: time.Since(start), Attempt: attempt, Err: err})
	}()
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteHeaders: func() { sent = true }})

	var reader io.Reader
	if payload != nil {
		reader = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, c.base.String()+r.prefix+r.target, reader)
	if err != nil {
		return nil, false, fmt.Errorf("circle: %s %s: %w", r.method, r.endpoint, err)
	}
	if r.method == http.MethodGet && req.URL.Scheme == "http" {
		// net/http's HTTP/1 transport silently sends a GET again when a
		// reused keep-alive connection fails, once per pooled connection:
		// Circle (or a double) would see more calls than the retry policy
		// allows (docs/contract.md §6.6), unpaced by the limiter and uncounted.
		// A body that is neither nil nor NoBody, without GetBody, makes the
		// request non-replayable to it; an empty one is never sent (the
		// transport probes it and sends a plain GET). HTTPS upstreams speak
		// HTTP/2, whose transport does not re-send on a hang-up, and would
		// send the empty body as a DATA frame, so they are left alone.
		req.Body = io.NopCloser(strings.NewReader(""))
	}
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	if c.tracer != nil {
		end := c.tracer.StartCall(ctx, r.method, r.endpoint, attempt, req.Header)
		defer func() { end(status, err) }()
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, sent, fmt.Errorf("circle: %s %s: %w: %v", r.method, r.endpoint, ErrUnavailable, transportCause(ctx, err))
	}
	defer resp.Body.Close()
	status = resp.StatusCode
	body, err = c.readBody(acct, r.method+" "+r.endpoint, resp)
	if errors.Is(err, memcap.ErrOverCap) {
		return nil, true, fmt.Errorf("circle: %s %s: %w", r.method, r.endpoint, err)
	}
	if unreadable(err) {
		return nil, true, err
	}
	if err != nil {
		return nil, true, fmt.Errorf("circle: %s %s: read body: %w: %v", r.method, r.endpoint, ErrUnavailable, transportCause(ctx, err))
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if r.cookies != nil {
			r.cookies(resp.Cookies())
		}
		return body, true, nil
	}
	return nil, true, decodeError(r.method+" "+r.endpoint, resp, body)
}

// report passes a finished (or refused) call to the observer.
func (c *Client) report(ctx context.Context, call Call) {
	if c.observe != nil {
		c.observe(ctx, call)
	}
}

// transportCause names why a call failed without echoing the URL (which is
// harmless) or any header (which is not).
func transportCause(ctx context.Context, err error) string {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return "timed out"
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return "cancelled"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// unwrapCause returns the text after the last ": " of err, the cause that
// once attached.
func unwrapCause(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		return s[i+2:]
	}
	return s
}

// decodeError turns a non-2xx answer into an *Error, keeping only Circle's
// message for clients.
func decodeError(endpoint string, resp *http.Response, body []byte) *Error {
	e := &Error{Status: resp.StatusCode, Endpoint: endpoint}
	var parsed struct {
		Message      string          `json:"message"`
		ErrorDetails json.RawMessage `json:"error_details"`
	}
	if json.Unmarshal(body, &parsed) == nil {
		e.Message = parsed.Message
		if len(parsed.ErrorDetails) > 0 && string(parsed.ErrorDetails) != "null" && string(parsed.ErrorDetails) != "{}" {
			e.Details = string(parsed.ErrorDetails)
		}
	}
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	if ra := resp.Header.Get("Retry-After"); ra != "" {
		if secs, err := strconv.ParseUint(ra, 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
			// Absurd values (beyond a day, or beyond uint64) mean "not
			// soon": a day is what clients are told then.
			e.RetryAfter, e.retryAfterSent = time.Duration(min(secs, maxRetryAfterHint))*time.Second, true
		} else if at, err := http.ParseTime(ra); err == nil {
			e.RetryAfter, e.retryAfterSent = max(time.Until(at), 0), true
		}
	}
	return e
}

// shortOfTime marks an error the client returned early because waiting (a
// Retry-After, a retry's backoff, the rate limiter) would not fit the
// context's deadline: a caller with more time could have got an answer.
// Its message is the wrapped error's.
type shortOfTime struct{ error }

func (e shortOfTime) Unwrap() error { return e.error }

// pause waits d before another attempt and reports whether to make it: not
// when d does not fit ctx's deadline (*err is then marked shortOfTime) or
// ctx ends while waiting.
func pause(ctx context.Context, d time.Duration, err *error) bool {
	if !fits(ctx, d) {
		*err = shortOfTime{*err}
		return false
	}
	return sleep(ctx, d) == nil
}

// fits reports whether waiting d still leaves ctx time to make a call.
func fits(ctx context.Context, d time.Duration) bool {
	deadline, ok := ctx.Deadline()
	return !ok || time.Until(deadline) > d
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Probe checks that Circle answers at all (readiness): an unauthenticated
// GET of the Member API, which Circle answers with 401. Any answer below 500
// counts; only a failure to get one is an error.
func (c *Client) Probe(ctx context.Context) error {
	_, err := c.do(ctx, request{method: http.MethodGet, endpoint: "/community_member", target: "/community_member", prefix: memberPrefix})
	var ce *Error
	if err == nil || (errors.As(err, &ce) && ce.Status < 500) {
		return nil
	}
	return err
}
