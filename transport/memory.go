package transport

import (
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/circle-gateway/gateway/memcap"
)

// Memory (docs/operations.md#memory): every GraphQL request over HTTP gets
// a memcap account for its operation, ended once its answer is written;
// an operation that held a lot gives the memory back to the OS afterwards,
// so that one large answer does not leave the process large for minutes.

// releaseAfter is what an operation must have held (read from Circle plus
// twice its answer) for the heap to be returned to the OS after it.
const releaseAfter = 8 << 20

// releaseEvery spaces the returns: each is a full garbage collection, and
// an attacker could otherwise buy one per request.
const releaseEvery = time.Second

// withMemory opens the operation's account, serves it, ends the account
// and, after a large operation, asks rel to return memory to the OS.
// WebSocket and SSE requests stream many answers for as long as they are
// open, so a request-long account does not fit them: their events are
// capped per upstream call only.
func withMemory(pool *memcap.Pool, rel *releaser, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "" || strings.Contains(r.Header.Get("Accept"), "text/event-stream") {
			next.ServeHTTP(w, r)
			return
		}
		ctx, acct := pool.Start(r.Context())
		next.ServeHTTP(w, r.WithContext(ctx))
		// The operation's memory is garbage now. The release is asked for
		// before the account ends, so that once the pool shows nothing
		// held, every release due has been asked for.
		if u := acct.Usage(); u.Read+2*u.Written >= releaseAfter {
			rel.request()
		}
		acct.End()
	})
}

// releaser returns the heap's free memory to the OS, at most once every
// releaseEvery: a request during that time is served at its end.
type releaser struct {
	released prometheus.Counter
	// requested counts the requests; covered is the count the last
	// finished release started after, so requested-covered requests are
	// still to be served.
	requested, covered atomic.Int64

	mu      sync.Mutex
	pending bool
	last    time.Time
}

func newReleaser() *releaser {
	return &releaser{released: prometheus.NewCounter(prometheus.CounterOpts{
		Name: "gateway_memory_released_total",
		Help: "Times the heap was returned to the OS after operations that held more than 8 MiB (at most once a second).",
	})}
}

func (rel *releaser) request() {
	rel.requested.Add(1)
	rel.mu.Lock()
	defer rel.mu.Unlock()
	if rel.pending {
		return
	}
	rel.pending = true
	time.AfterFunc(max(time.Until(rel.last.Add(releaseEvery)), 0), rel.run)
}

func (rel *releaser) run() {
	rel.mu.Lock()
	rel.pending = false
	rel.last = time.Now()
	covers := rel.requested.Load()
	rel.mu.Unlock()
	debug.FreeOSMemory()
	rel.released.Inc()
	rel.covered.Store(covers)
}

// pendingRequests is how many large operations have ended whose memory no
// finished release has returned yet.
func (rel *releaser) pendingRequests() int64 { return rel.requested.Load() - rel.covered.Load() }

// memoryMetrics are the gauges of what operations hold and of releases
// still due.
func memoryMetrics(pool *memcap.Pool, rel *releaser) []prometheus.Collector {
	return []prometheus.Collector{
		rel.released,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "gateway_memory_held_bytes",
			Help: "Bytes the operations in progress hold, of Circle's answers and their own, beyond their allowance (bounded by MAX_BYTES_IN_FLIGHT).",
		}, func() float64 { return float64(pool.Held()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "gateway_memory_release_pending",
			Help: "Large operations that have ended whose memory has not been returned to the OS yet.",
		}, func() float64 { return float64(rel.pendingRequests()) }),
	}
}
