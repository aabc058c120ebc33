package config

import (
	"fmt"
	"time"
)

// DefaultShutdownReadyDelay is how long, after SIGTERM, the gateway keeps
// serving while /readyz answers 503 (SHUTDOWN_READY_DELAY): long enough for
// a load balancer polling every few seconds to stop routing to it.
const DefaultShutdownReadyDelay = 5 * time.Second

// loadShutdown reads SHUTDOWN_READY_DELAY (default 5s; 0s in sandbox mode,
// where no load balancer waits; 0 turns the delay off).
func (c *Config) loadShutdown(getenv func(string) string) []error {
	c.ShutdownReadyDelay = DefaultShutdownReadyDelay
	if c.Sandbox {
		c.ShutdownReadyDelay = 0
	}
	v, ok := lookup(getenv, "SHUTDOWN_READY_DELAY")
	if !ok {
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 || d > 10*time.Minute {
		return []error{fmt.Errorf("SHUTDOWN_READY_DELAY must be a duration from 0s to 10m like 5s, got %q", v)}
	}
	c.ShutdownReadyDelay = d
	return nil
}
