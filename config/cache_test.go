package config

import (
	"strings"
	"testing"
	"time"
)

func TestResponseCacheSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		env     map[string]string
		ttl     time.Duration
		bytes   int
		refused string
	}{
		{nil, 0, 64 << 20, ""},
		{map[string]string{"RESPONSE_CACHE_TTL": "0"}, 0, 64 << 20, ""},
		{map[string]string{"RESPONSE_CACHE_TTL": "off"}, 0, 64 << 20, ""},
		{map[string]string{"RESPONSE_CACHE_TTL": "10s", "RESPONSE_CACHE_MAX_BYTES": "8388608"}, 10 * time.Second, 8 << 20, ""},
		{map[string]string{"RESPONSE_CACHE_TTL": "1h"}, 0, 64 << 20, "RESPONSE_CACHE_TTL"},
		{map[string]string{"RESPONSE_CACHE_TTL": "soon"}, 0, 64 << 20, "RESPONSE_CACHE_TTL"},
		{map[string]string{"RESPONSE_CACHE_MAX_BYTES": "12"}, 0, 64 << 20, "RESPONSE_CACHE_MAX_BYTES"},
	}
	for _, tt := range tests {
		c, err := Load(env(tt.env))
		if tt.refused != "" {
			if err == nil || !strings.Contains(err.Error(), tt.refused) {
				t.Errorf("%v: error %v, want one naming %s", tt.env, err, tt.refused)
			}
			continue
		}
		if err != nil || c.ResponseCacheTTL != tt.ttl || c.ResponseCacheMaxBytes != tt.bytes {
			t.Errorf("%v: %v %d %v, want %v %d", tt.env, c.ResponseCacheTTL, c.ResponseCacheMaxBytes, err, tt.ttl, tt.bytes)
		}
	}
}
