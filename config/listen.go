package config

import (
	"fmt"
	"net"
	"regexp"
)

// hostName is a DNS name the listener may resolve (HOST=localhost).
var hostName = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$`)

// loadHost reads HOST, the interface the gateway listens on: by default
// every interface, except in sandbox mode, whose demo token, printed
// service key and "*" CORS policy are for this machine only, so it listens
// on 127.0.0.1 unless HOST says otherwise (HOST=0.0.0.0 in a container).
// An IP address or a host name; PORT gives the port.
func (c *Config) loadHost(getenv func(string) string) []error {
	if c.Sandbox {
		c.Host = "127.0.0.1"
	}
	v, ok := lookup(getenv, "HOST")
	if !ok {
		return nil
	}
	if net.ParseIP(v) == nil && !hostName.MatchString(v) {
		return []error{fmt.Errorf("HOST must be an IP address or a host name to listen on (the port is PORT), got %q", v)}
	}
	c.Host = v
	return nil
}

// ListenAddr is the address to listen on: HOST and PORT.
func (c Config) ListenAddr() string {
	return net.JoinHostPort(c.Host, fmt.Sprint(c.Port))
}
