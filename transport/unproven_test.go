package transport

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

// X-Forwarded-For names the client only when the peer is a trusted proxy,
// and then only as far as the trusted proxies go: whatever a client writes
// itself, left of what the nearest trusted proxy saw, is ignored.
func TestClientAddress(t *testing.T) {
	t.Parallel()
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	for _, tt := range []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"no proxy", "198.51.100.7:5555", nil, "198.51.100.7"},
		{"untrusted peer's header ignored", "198.51.100.7:5555", []string{"203.0.113.9"}, "198.51.100.7"},
		{"trusted proxy", "10.1.2.3:80", []string{"203.0.113.9"}, "203.0.113.9"},
		{"spoofed left of the proxy's entry", "10.1.2.3:80", []string{"1.2.3.4, 203.0.113.9"}, "203.0.113.9"},
		{"chain of trusted proxies", "10.1.2.3:80", []string{"203.0.113.9", "10.9.9.9"}, "203.0.113.9"},
		{"garbage stops the walk", "10.1.2.3:80", []string{"203.0.113.9, not-an-ip, 10.9.9.9"}, "10.9.9.9"},
		{"trusted proxy without header", "10.1.2.3:80", nil, "10.1.2.3"},
		{"IPv4-mapped peer", "[::ffff:198.51.100.7]:5555", nil, "198.51.100.7"},
		{"IPv6 by /64", "[2001:db8:1:2:3:4:5:6]:5555", nil, "2001:db8:1:2::/64"},
		{"IPv6 client behind trusted proxy", "[fd00::1]:80", []string{"2001:db8:aa:bb::1"}, "2001:db8:aa:bb::/64"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/graphql", nil)
			r.RemoteAddr = tt.peer
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := ClientAddress(r, trusted); got != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
}
