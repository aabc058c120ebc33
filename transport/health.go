package transport

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"
)

// Readiness windows.
const (
	// answeredRecently: an upstream answer this recent makes the gateway
	// ready without probing.
	answeredRecently = 30 * time.Second
	// probeTTL: a probe result is reused this long, so readiness checks
	// from many load balancers cost Circle at most one call per TTL.
	probeTTL = 5 * time.Second
)

// readiness answers /readyz: not ready once the gateway drains (SIGTERM);
// otherwise ready when Circle answered a call recently, or when a probe
// reaches it.
type readiness struct {
	drain      *Drain
	lastAnswer func() time.Time
	probe      func(ctx context.Context) error
	degraded   func() string

	mu       sync.Mutex
	probedAt time.Time
	probeErr error
}

// ServeHTTP answers 200 "ready" or 503 with the reason.
func (r *readiness) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := r.check(req.Context()); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("not ready: " + err.Error() + "\n"))
		return
	}
	if r.degraded != nil {
		if why := r.degraded(); why != "" {
			// Degraded but serving: still ready, and the balancer's log
			// says why.
			_, _ = w.Write([]byte("ready (degraded: " + why + ")\n"))
			return
		}
	}
	_, _ = w.Write([]byte("ready\n"))
}

// errShuttingDown is /readyz's answer while the gateway drains.
var errShuttingDown = errors.New("shutting down")

func (r *readiness) check(ctx context.Context) error {
	if r.drain.Draining() {
		return errShuttingDown
	}
	if r.lastAnswer != nil && time.Since(r.lastAnswer()) < answeredRecently {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if time.Since(r.probedAt) < probeTTL {
		return r.probeErr
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	r.probeErr = r.probe(ctx)
	r.probedAt = time.Now()
	return r.probeErr
}
