// Package config reads the gateway's settings from the environment
// (GATEWAY.md §1). Every setting has a default stated here and in the
// README; every problem is reported at once, so an operator fixes a broken
// deployment in one round.
package config

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultCircleURL is Circle's production host; both APIs live under it.
const DefaultCircleURL = "https://app.circle.so"

// Config is the gateway's whole configuration.
type Config struct {
	// Port to listen on, all interfaces (PORT, default 8080; 0 picks a free port).
	Port int
	// Sandbox is true when neither CIRCLE_API_URL nor
	// CIRCLE_HEADLESS_AUTH_TOKEN is set: the embedded sandbox is the upstream.
	Sandbox bool
	// CircleURL is the base URL of both Circle APIs (CIRCLE_API_URL,
	// default https://app.circle.so; ignored in sandbox mode).
	CircleURL string
	// AppToken is the community's Headless Auth app token
	// (CIRCLE_HEADLESS_AUTH_TOKEN), used only for Auth API calls.
	AppToken string
	// ServiceKey enables createMemberToken for callers sending it in
	// X-Service-Key (GATEWAY_SERVICE_KEY; sandbox: random).
	ServiceKey string
	// CORSAllowedOrigins are the origins allowed cross-origin access
	// (CORS_ALLOWED_ORIGINS, comma-separated; sandbox default "*", else none).
	CORSAllowedOrigins []string
	// UpstreamTimeout bounds each upstream call (UPSTREAM_TIMEOUT, default 10s).
	UpstreamTimeout time.Duration
	// RequestTimeout bounds each GraphQL operation with all its upstream
	// calls (REQUEST_TIMEOUT, default 30s).
	RequestTimeout time.Duration
	// MaxBodyBytes bounds a request body (MAX_BODY_BYTES, default 2 MiB).
	MaxBodyBytes int64
	// MaxTokens bounds the tokens the GraphQL parser reads (MAX_TOKENS,
	// default 15000).
	MaxTokens int
	// Introspection enables schema introspection and "did you mean"
	// suggestions (INTROSPECTION, default true).
	Introspection bool
	// LogFormat is "text" or "json" (LOG_FORMAT; default text in sandbox
	// mode, json otherwise).
	LogFormat string
	// PersistedOperationsFile is the path of an operations manifest loaded
	// at start (PERSISTED_OPERATIONS_FILE, default none; package persisted).
	PersistedOperationsFile string
	// PersistedOperationsOnly refuses every operation not in the manifest
	// (PERSISTED_OPERATIONS_ONLY, default false; needs the file).
	PersistedOperationsOnly bool
}

// Load reads the configuration through getenv (os.Getenv in production).
func Load(getenv func(string) string) (Config, error) {
	var errs []error
	c := Config{
		CircleURL:  strings.TrimSpace(getenv("CIRCLE_API_URL")),
		AppToken:   strings.TrimSpace(getenv("CIRCLE_HEADLESS_AUTH_TOKEN")),
		ServiceKey: getenv("GATEWAY_SERVICE_KEY"),
	}
	c.Sandbox = c.CircleURL == "" && c.AppToken == ""
	if c.CircleURL == "" {
		c.CircleURL = DefaultCircleURL
	} else if u, err := url.Parse(c.CircleURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("CIRCLE_API_URL must be an absolute http(s) URL, got %q", c.CircleURL))
	}

	c.Port = intSetting(getenv, "PORT", 8080, 0, 65535, &errs)
	c.UpstreamTimeout = durationSetting(getenv, "UPSTREAM_TIMEOUT", 10*time.Second, &errs)
	c.RequestTimeout = durationSetting(getenv, "REQUEST_TIMEOUT", 30*time.Second, &errs)
	c.MaxBodyBytes = int64(intSetting(getenv, "MAX_BODY_BYTES", 2<<20, 1024, 1<<30, &errs))
	c.MaxTokens = intSetting(getenv, "MAX_TOKENS", 15000, 100, 1_000_000, &errs)
	c.Introspection = boolSetting(getenv, "INTROSPECTION", true, &errs)

	if v, ok := lookup(getenv, "CORS_ALLOWED_ORIGINS"); ok {
		for _, o := range strings.Split(v, ",") {
			if o = strings.TrimSpace(o); o != "" {
				c.CORSAllowedOrigins = append(c.CORSAllowedOrigins, o)
			}
		}
	} else if c.Sandbox {
		c.CORSAllowedOrigins = []string{"*"}
	}

	c.PersistedOperationsFile, _ = lookup(getenv, "PERSISTED_OPERATIONS_FILE")
	c.PersistedOperationsOnly = boolSetting(getenv, "PERSISTED_OPERATIONS_ONLY", false, &errs)
	if c.PersistedOperationsOnly && c.PersistedOperationsFile == "" {
		errs = append(errs, errors.New("PERSISTED_OPERATIONS_ONLY=true needs PERSISTED_OPERATIONS_FILE (the operations manifest to allow)"))
	}

	c.LogFormat = "json"
	if c.Sandbox {
		c.LogFormat = "text"
	}
	if v, ok := lookup(getenv, "LOG_FORMAT"); ok {
		if v != "text" && v != "json" {
			errs = append(errs, fmt.Errorf("LOG_FORMAT must be text or json, got %q", v))
		}
		c.LogFormat = v
	}
	return c, errors.Join(errs...)
}

// lookup returns a trimmed, non-empty setting.
func lookup(getenv func(string) string, name string) (string, bool) {
	v := strings.TrimSpace(getenv(name))
	return v, v != ""
}

func intSetting(getenv func(string) string, name string, def, lo, hi int, errs *[]error) int {
	v, ok := lookup(getenv, name)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		*errs = append(*errs, fmt.Errorf("%s must be an integer from %d to %d, got %q", name, lo, hi, v))
		return def
	}
	return n
}

func durationSetting(getenv func(string) string, name string, def time.Duration, errs *[]error) time.Duration {
	v, ok := lookup(getenv, name)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		*errs = append(*errs, fmt.Errorf("%s must be a positive duration like 10s, got %q", name, v))
		return def
	}
	return d
}

func boolSetting(getenv func(string) string, name string, def bool, errs *[]error) bool {
	v, ok := lookup(getenv, name)
	if !ok {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		*errs = append(*errs, fmt.Errorf("%s must be true or false, got %q", name, v))
		return def
	}
	return b
}
