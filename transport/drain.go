package transport

import (
	"net/http"
	"sync/atomic"
)

// Drain is the gateway's shutdown state (docs/operations.md#several-replicas).
// Once started, /readyz answers 503 so that load balancers stop sending
// new requests, while every request still arriving is served; each answer
// then carries "Connection: close", so that clients leave their keep-alive
// connections after the request in hand instead of sending another on a
// connection the server is about to close. The caller closes the listener
// later (http.Server.Shutdown), when no balancer routes here any more.
// Safe for concurrent use; the zero value is not draining.
type Drain struct {
	on atomic.Bool
}

// Start begins draining; it cannot be undone.
func (d *Drain) Start() { d.on.Store(true) }

// Draining reports whether Start was called. A nil Drain never drains.
func (d *Drain) Draining() bool { return d != nil && d.on.Load() }

// closeWhenDraining asks the server to close each connection after its
// answer once d drains (net/http honours a handler's Connection: close).
// A WebSocket upgrade keeps its own Connection header; subscriptions end
// at the second step of the shutdown.
func closeWhenDraining(d *Drain, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d.Draining() && r.Header.Get("Upgrade") == "" {
			w.Header().Set("Connection", "close")
		}
		next.ServeHTTP(w, r)
	})
}
