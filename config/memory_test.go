package config

import (
	"strings"
	"testing"

	"github.com/circle-gateway/gateway/memcap"
)

// The memory caps default to memcap's defaults, take byte counts, and
// report every bad value together.
func TestLoadMemory(t *testing.T) {
	t.Parallel()
	c, err := Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if c.Memory != memcap.DefaultLimits() || c.MaxConcurrentOperations != 0 {
		t.Fatalf("defaults: %+v, %d operations at once", c.Memory, c.MaxConcurrentOperations)
	}
	env := map[string]string{"MAX_UPSTREAM_BYTES_PER_OPERATION": "1048576", "MAX_RESPONSE_BYTES": "65536", "MAX_BYTES_IN_FLIGHT": "4194304", "MAX_CONCURRENT_OPERATIONS": "8"}
	if c, err = Load(func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if want := (memcap.Limits{MaxReadBytes: 1 << 20, MaxResponseBytes: 64 << 10, MaxBytesInFlight: 4 << 20}); c.Memory != want {
		t.Fatalf("set: %+v, want %+v", c.Memory, want)
	}
	if c.MaxConcurrentOperations != 8 {
		t.Fatalf("MAX_CONCURRENT_OPERATIONS=8 read as %d", c.MaxConcurrentOperations)
	}
	env = map[string]string{"MAX_UPSTREAM_BYTES_PER_OPERATION": "32MiB", "MAX_RESPONSE_BYTES": "100", "MAX_BYTES_IN_FLIGHT": "-1", "MAX_CONCURRENT_OPERATIONS": "-2"}
	_, err = Load(func(k string) string { return env[k] })
	for name := range env {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("the error does not report %s: %v", name, err)
		}
	}
}
