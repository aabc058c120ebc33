package transport

import (
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/circle-gateway/gateway/auth"
	"github.com/circle-gateway/gateway/circle"
)

// limitUnproven refuses, before anything is parsed or sent upstream, the
// requests over UNPROVEN_CLIENT_RATE_LIMIT: per client address, requests
// whose bearer token Circle has not accepted (unknown yet, or refused).
// Requests with a token Circle accepted, and requests without a usable
// token (answered UNAUTHENTICATED without any call anyway), are not
// counted, so members are never limited here.
func limitUnproven(o Options, next http.Handler) http.Handler {
	if o.UnprovenClients == nil || o.Tokens == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m, err := auth.ParseBearer(r.Header.Get("Authorization"), o.Now())
		if err == nil {
			cred := circle.Credential{Kind: circle.AccessToken, Token: m.Token, MemberID: m.MemberID, ExpiresAt: m.ExpiresAt}
			if o.Tokens.Lookup(r.Context(), cred) != circle.TokenAccepted {
				if err := o.UnprovenClients.Allow(r.Context(), ClientAddress(r, o.TrustedProxies)); err != nil {
					refuseRateLimited(w, r, err)
					return
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// refuseRateLimited answers 429 with Retry-After and the refusal as
// classify presents it (RATE_LIMITED with retryAfterSeconds).
func refuseRateLimited(w http.ResponseWriter, r *http.Request, err error) {
	writeError(w, r, http.StatusTooManyRequests, err)
}

// ClientAddress is who sent r, as the per-client limit keys it: the
// connection's peer, unless the peer is one of the trusted proxies; then
// the rightmost address of X-Forwarded-For that is not a trusted proxy
// (what the nearest trusted proxy saw), since everything left of it may be
// made up by the client. An IPv6 client is keyed by its /64, which one
// subscriber usually holds whole.
func ClientAddress(r *http.Request, trusted []netip.Prefix) string {
	peer := parseAddr(r.RemoteAddr)
	if !peer.IsValid() {
		return r.RemoteAddr
	}
	client := peer
	if isTrusted(peer, trusted) {
		hops := forwardedFor(r.Header)
		for i := len(hops) - 1; i >= 0; i-- {
			a, err := netip.ParseAddr(hops[i])
			if err != nil {
				break
			}
			client = a.Unmap()
			if !isTrusted(client, trusted) {
				break
			}
		}
	}
	if client.Is6() {
		p, _ := client.Prefix(64)
		return p.String()
	}
	return client.String()
}

// parseAddr reads "host:port" (or a bare address) as an address.
func parseAddr(s string) netip.Addr {
	if host, _, err := net.SplitHostPort(s); err == nil {
		s = host
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// forwardedFor lists X-Forwarded-For's addresses, left to right, across
// all the header's lines.
func forwardedFor(h http.Header) []string {
	var hops []string
	for _, line := range h.Values("X-Forwarded-For") {
		for _, hop := range strings.Split(line, ",") {
			hops = append(hops, strings.TrimSpace(hop))
		}
	}
	return hops
}
