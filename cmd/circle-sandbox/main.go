// Command circle-sandbox serves the embedded Circle Headless sandbox (package
// sandbox) on its own port, for clients other than the gateway or for
// running the gateway against it as an external upstream:
//
//	go run ./cmd/circle-sandbox -addr 127.0.0.1:9999
//	CIRCLE_API_URL=http://127.0.0.1:9999 CIRCLE_HEADLESS_AUTH_TOKEN=<printed app token> go run .
//
// At start it prints the app token the Auth API accepts and a ready access
// token of the demo member. It is for local development only: it listens on
// loopback by default and keeps everything in memory.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/circle-gateway/gateway/internal/statuswriter"
	"github.com/circle-gateway/gateway/sandbox"
)

// shutdownGrace is how long in-flight requests may take to finish after
// SIGINT or SIGTERM.
const shutdownGrace = 10 * time.Second

func main() {
	addr := flag.String("addr", "127.0.0.1:9999", "address to listen on (host:port)")
	latency := flag.Duration("latency", 0, "simulated delay added to every response, e.g. 50ms, to see how clients behave over a real network")
	appToken := flag.String("app-token", os.Getenv("CIRCLE_SANDBOX_APP_TOKEN"), "app token the Auth API accepts (default $CIRCLE_SANDBOX_APP_TOKEN, else random per start)")
	quiet := flag.Bool("quiet", false, "no access log line per request (load tests)")
	liveLog := flag.String("live-log", "", "file to write one JSON line to for each event published on /cable and each cable connection opened or closed, with wall-clock times in Unix nanoseconds (benchmarks: cmd/subbench)")
	flag.Parse()

	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	opts := sandbox.Options{AppToken: *appToken}
	if *liveLog != "" {
		f, err := os.Create(*liveLog)
		if err != nil {
			log.Error("circle-sandbox: -live-log", "err", err)
			os.Exit(1)
		}
		defer f.Close()
		l := &eventLog{w: f}
		opts.OnPublish, opts.OnCableConnection = l.published, l.connection
	}
	if err := run(log, *addr, *latency, opts, *quiet); err != nil {
		log.Error("circle-sandbox stopped", "err", err)
		os.Exit(1)
	}
}

func run(log *slog.Logger, addr string, latency time.Duration, opts sandbox.Options, quiet bool) error {
	if latency < 0 {
		return fmt.Errorf("-latency must not be negative, got %s", latency)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	sb := sandbox.New(opts)
	demo, err := sb.IssueToken(sb.DemoMemberID())
	if err != nil {
		return fmt.Errorf("issue demo token: %w", err)
	}

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	handler := delay(latency, sb.Handler())
	if !quiet {
		handler = accessLog(log, handler)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30*time.Second + latency,
		IdleTimeout:       2 * time.Minute,
	}

	// The tokens go to stdout for the developer to copy, never to the log.
	base := "http://" + ln.Addr().String()
	fmt.Printf(`Circle Headless sandbox on %[1]s
  Member API: %[1]s/api/headless/v1/   Auth API: %[1]s/api/v1/headless/
  App token (CIRCLE_HEADLESS_AUTH_TOKEN): %[2]s
  Demo member %[3]d access token (valid until %[4]s):
    %[5]s
  Try: curl -H "Authorization: Bearer $TOKEN" %[1]s/api/headless/v1/home
`, base, sb.AppToken(), sb.DemoMemberID(), demo.AccessTokenExpiresAt.Format(time.RFC3339), demo.AccessToken)

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("circle-sandbox listening", "addr", ln.Addr().String(), "latency", latency)

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Info("circle-sandbox shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// delay holds every response back by d (or until the client gives up), to
// simulate the network between a client and app.circle.so.
func delay(d time.Duration, next http.Handler) http.Handler {
	if d <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			next.ServeHTTP(w, r)
		case <-r.Context().Done():
		}
	})
}

// accessLog writes one line per request: method, path, status and duration.
// Query strings and headers (which carry tokens) are never logged.
func accessLog(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		// statuswriter unwraps to w, so the cable's WebSocket upgrade can
		// still hijack the connection.
		rec := statuswriter.New(w)
		next.ServeHTTP(rec, r)
		log.Info("request", "method", r.Method, "path", r.URL.Path, "status", rec.Status, "duration", time.Since(start).Round(time.Microsecond))
	})
}

// eventLog writes what the sandbox's cable does as JSON lines, one write
// per line so that a reader never sees half of one:
//
//	{"at":1764770000123456789,"kind":"publish","stream":"chat-room-501-channel","event":"newMessage","id":120031}
//	{"at":1764770000123456789,"kind":"connect","member_id":101}
//	{"at":1764770000123456789,"kind":"disconnect","member_id":101}
//
// No token is ever written: a connection is named by its member.
type eventLog struct {
	mu sync.Mutex
	w  io.Writer
}

// liveLogLine is one line of -live-log.
type liveLogLine struct {
	At       int64  `json:"at"`
	Kind     string `json:"kind"`
	Stream   string `json:"stream,omitempty"`
	Event    string `json:"event,omitempty"`
	ID       int64  `json:"id,omitempty"`
	MemberID int64  `json:"member_id,omitempty"`
}

func (l *eventLog) published(p sandbox.Published) {
	l.write(liveLogLine{At: p.At.UnixNano(), Kind: "publish", Stream: p.Stream, Event: p.Event, ID: p.ID})
}

func (l *eventLog) connection(memberID int64, open bool) {
	kind := "disconnect"
	if open {
		kind = "connect"
	}
	l.write(liveLogLine{At: time.Now().UnixNano(), Kind: kind, MemberID: memberID})
}

func (l *eventLog) write(line liveLogLine) {
	b, _ := json.Marshal(line)
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = l.w.Write(append(b, '\n'))
}
