package config

import (
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestOperationsSettings(t *testing.T) {
	t.Parallel()
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Limits.MaxDepth != 15 || c.Limits.MaxAliases != 30 || c.Limits.MaxRootFields != 20 || c.Limits.MaxComplexity != 200 ||
		c.CircleRateLimit != "2000/5m" || c.RedisURL != "" || c.UpstreamConcurrency != 32 || !c.UpstreamCoalescing || c.OTLPEndpoint != "" {
		t.Fatalf("defaults: %+v", c.Operations)
	}
	c, err = Load(env(map[string]string{
		"MAX_QUERY_DEPTH": "8", "MAX_ALIASES": "5", "MAX_ROOT_FIELDS": "3", "MAX_QUERY_COMPLEXITY": "50",
		"CIRCLE_RATE_LIMIT": "off", "REDIS_URL": "redis://cache:6379/1", "UPSTREAM_CONCURRENCY": "24",
		"UPSTREAM_COALESCING": "false", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Limits.MaxDepth != 8 || c.Limits.MaxAliases != 5 || c.Limits.MaxRootFields != 3 || c.Limits.MaxComplexity != 50 ||
		c.CircleRateLimit != "off" || c.RedisURL != "redis://cache:6379/1" || c.UpstreamConcurrency != 24 || c.UpstreamCoalescing || c.OTLPEndpoint != "http://collector:4318" {
		t.Fatalf("set: %+v", c.Operations)
	}
}

func TestOperationsSettingsRefused(t *testing.T) {
	t.Parallel()
	_, err := Load(env(map[string]string{
		"MAX_QUERY_DEPTH": "0", "MAX_QUERY_COMPLEXITY": "lots", "CIRCLE_RATE_LIMIT": "fast",
		"REDIS_URL": "http://cache", "UPSTREAM_CONCURRENCY": "1000", "UPSTREAM_COALESCING": "sometimes",
		"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318",
	}))
	if err == nil {
		t.Fatal("accepted")
	}
	for _, name := range []string{"MAX_QUERY_DEPTH", "MAX_QUERY_COMPLEXITY", "CIRCLE_RATE_LIMIT", "REDIS_URL", "UPSTREAM_CONCURRENCY", "UPSTREAM_COALESCING", "OTEL_EXPORTER_OTLP_ENDPOINT"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s:\n%v", name, err)
		}
	}
}

// CORS: any origin in sandbox mode, none against a real Circle unless set.
func TestCORSDefaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"sandbox", nil, []string{"*"}},
		{"real Circle", map[string]string{"CIRCLE_HEADLESS_AUTH_TOKEN": "app"}, nil},
		{"real Circle, set", map[string]string{"CIRCLE_HEADLESS_AUTH_TOKEN": "app", "CORS_ALLOWED_ORIGINS": "https://a.example, https://b.example"}, []string{"https://a.example", "https://b.example"}},
	}
	for _, tt := range tests {
		c, err := Load(env(tt.env))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(c.CORSAllowedOrigins, "|") != strings.Join(tt.want, "|") {
			t.Errorf("%s: %v, want %v", tt.name, c.CORSAllowedOrigins, tt.want)
		}
	}
}
