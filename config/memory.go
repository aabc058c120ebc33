package config

import "github.com/circle-gateway/gateway/memcap"

// Memory caps, in bytes, of package memcap (docs/operations.md#memory).
const (
	minMemoryCap = 64 << 10
	maxMemoryCap = 16 << 30
)

// loadMemory reads the memory caps: MAX_UPSTREAM_BYTES_PER_OPERATION
// (default 32 MiB: what one operation's GETs may read from Circle in
// all), MAX_RESPONSE_BYTES (16 MiB: the largest answer one operation may
// write) and MAX_BYTES_IN_FLIGHT (64 MiB: what all operations in progress
// may hold together beyond their first 2 MiB each). Each is a number of
// bytes from 64 KiB to 16 GiB. MAX_CONCURRENT_OPERATIONS (default 0: no
// bound) is how many queries and mutations the process executes at once,
// the others waiting their turn (package admission).
func (c *Config) loadMemory(getenv func(string) string) []error {
	var errs []error
	c.MaxConcurrentOperations = intSetting(getenv, "MAX_CONCURRENT_OPERATIONS", 0, 0, 1_000_000, &errs)
	c.Memory = memcap.Limits{
		MaxReadBytes:     int64(intSetting(getenv, "MAX_UPSTREAM_BYTES_PER_OPERATION", memcap.DefaultMaxReadBytes, minMemoryCap, maxMemoryCap, &errs)),
		MaxResponseBytes: int64(intSetting(getenv, "MAX_RESPONSE_BYTES", memcap.DefaultMaxResponseBytes, minMemoryCap, maxMemoryCap, &errs)),
		MaxBytesInFlight: int64(intSetting(getenv, "MAX_BYTES_IN_FLIGHT", memcap.DefaultMaxBytesInFlight, minMemoryCap, maxMemoryCap, &errs)),
	}
	return errs
}
