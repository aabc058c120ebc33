package main

import (
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"
)

// The relay row sends the floor's request through a plain reverse proxy
// (net/http/httputil, a process of its own): one more HTTP hop, with the
// same 37 KB answer read and written again, and nothing else: no GraphQL,
// no decoding. Its throughput against the floor's is the most any gateway
// between the clients and Circle could reach on the machine, whatever it
// does with the request: the yardstick for the gateway's own share.

// relayName is the relay row's name.
const relayName = "relay: GET /home through a reverse proxy (an HTTP hop, no GraphQL)"

// serveRelay serves addr, forwarding every request to upstream with the
// connection pool the gateway's Circle client has (circle/client.go).
func serveRelay(addr, upstream string) error {
	u, err := url.Parse(upstream)
	if err != nil {
		return fmt.Errorf("-serve-relay: upstream %q: %w", upstream, err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns, t.MaxIdleConnsPerHost, t.MaxConnsPerHost, t.IdleConnTimeout = 512, 256, 384, 90*time.Second
	proxy.Transport = t
	srv := &http.Server{Addr: addr, Handler: proxy, ReadHeaderTimeout: 10 * time.Second}
	return srv.ListenAndServe()
}
