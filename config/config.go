// Package config reads the gateway's settings from the environment
// (docs/contract.md §1). Every setting has a default stated here and in the
// README; every problem is reported at once, so an operator fixes a broken
// deployment in one round.
package config

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/circle-gateway/gateway/idtoken"
	"github.com/circle-gateway/gateway/memcap"
)

// DefaultCircleURL is Circle's production host; both APIs live under it.
const DefaultCircleURL = "https://app.circle.so"

// Config is the gateway's whole configuration.
type Config struct {
	// Port to listen on (PORT, default 8080; 0 picks a free port).
	Port int
	// Host is the interface to listen on (HOST; default all interfaces,
	// "" here, and 127.0.0.1 in sandbox mode; listen.go).
	Host string
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
	// X-Service-Key (GATEWAY_SERVICE_KEY, 16 characters or more advised; default
	// none, which disables createMemberToken; sandbox: random).
	ServiceKey string
	// IDTokenHS256Secret is the shared secret signIn verifies HS256 identity
	// tokens with (ID_TOKEN_HS256_SECRET, 32 bytes or more advised; default none).
	IDTokenHS256Secret string
	// IDTokenPublicKeyFile is the PEM public key file signIn verifies RS256
	// (RSA) or ES256 (EC P-256) identity tokens with
	// (ID_TOKEN_PUBLIC_KEY_FILE; default none).
	IDTokenPublicKeyFile string
	// IDTokenPublicKeyPEM is the content of IDTokenPublicKeyFile, read and
	// checked at Load.
	IDTokenPublicKeyPEM []byte
	// IDTokenJWKSURL is the identity provider's JWKS document, for RS256 and
	// ES256 identity tokens with rotating keys (ID_TOKEN_JWKS_URL, https;
	// default none). At most one of the three ID token keys may be set;
	// with none, signIn answers FORBIDDEN.
	IDTokenJWKSURL string
	// IDTokenIssuer, when set, must equal the identity token's iss
	// (ID_TOKEN_ISSUER; default none: not checked).
	IDTokenIssuer string
	// IDTokenAudience, when set, must be among the identity token's aud
	// (ID_TOKEN_AUDIENCE; default none: not checked).
	IDTokenAudience string
	// IDTokenIdentityClaim says who signs in: "sub" (sent to Circle as
	// sso_user_id) or "email" (ID_TOKEN_IDENTITY_CLAIM, default sub).
	IDTokenIdentityClaim string
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
	// ResponseCompression gzips answers of 1 KiB or more for clients that
	// accept it (RESPONSE_COMPRESSION, default true); off where a proxy in
	// front compresses already.
	ResponseCompression bool
	// Federation serves the schema as an Apollo Federation v2 subgraph, for
	// a router in front of this and other subgraphs (FEDERATION, default
	// false): _service and _entities beside the same fields
	// (docs/federation.md). Without it the schema has neither.
	Federation bool
	// LogFormat is "text" or "json" (LOG_FORMAT; default text in sandbox
	// mode, json otherwise).
	LogFormat string
	// PersistedOperationsFile is the path of an operations manifest loaded
	// at start (PERSISTED_OPERATIONS_FILE, default none; package persisted).
	PersistedOperationsFile string
	// PersistedOperationsOnly refuses every operation not in the manifest
	// (PERSISTED_OPERATIONS_ONLY, default false; needs the file).
	PersistedOperationsOnly bool
	// Operations are the production settings (operations.go).
	Operations
	// Memory caps what operations read from Circle and write, each and
	// together (memory.go).
	Memory memcap.Limits
	// MaxConcurrentOperations bounds the queries and mutations executing
	// at once (MAX_CONCURRENT_OPERATIONS; 0, the default: no bound).
	MaxConcurrentOperations int
	// Live are the subscription settings (live.go).
	Live
	// ResponseCache is RESPONSE_CACHE_TTL and its bound (cache.go).
	ResponseCache
	// ShutdownReadyDelay is how long the gateway keeps serving after
	// SIGTERM with /readyz answering 503, before it closes its listener
	// (SHUTDOWN_READY_DELAY, default 5s, sandbox 0s; shutdown.go).
	ShutdownReadyDelay time.Duration

	// Warnings are settings that work but are unwise (a short secret, an
	// issuer without a key); they are logged at start, never refused, and
	// never quote a secret.
	Warnings []string
}

// Load reads the configuration through getenv (os.Getenv in production).
func Load(getenv func(string) string) (Config, error) {
	var errs []error
	c := Config{
		CircleURL:  strings.TrimSpace(getenv("CIRCLE_API_URL")),
		AppToken:   strings.TrimSpace(getenv("CIRCLE_HEADLESS_AUTH_TOKEN")),
		ServiceKey: strings.TrimSpace(getenv("GATEWAY_SERVICE_KEY")),
	}
	c.Sandbox = c.CircleURL == "" && c.AppToken == ""
	if c.CircleURL == "" {
		c.CircleURL = DefaultCircleURL
	} else if u, err := url.Parse(c.CircleURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("CIRCLE_API_URL must be an absolute http(s) URL, got %q", c.CircleURL))
	} else if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		// The API paths are appended to it: a query, fragment or
		// credentials would end up inside every call's URL.
		errs = append(errs, fmt.Errorf("CIRCLE_API_URL must be a base URL without query, fragment or credentials, like https://app.circle.so"))
	}

	c.Port = intSetting(getenv, "PORT", 8080, 0, 65535, &errs)
	errs = append(errs, c.loadHost(getenv)...)
	c.UpstreamTimeout = durationSetting(getenv, "UPSTREAM_TIMEOUT", 10*time.Second, &errs)
	c.RequestTimeout = durationSetting(getenv, "REQUEST_TIMEOUT", 30*time.Second, &errs)
	c.MaxBodyBytes = int64(intSetting(getenv, "MAX_BODY_BYTES", 2<<20, 1024, 1<<30, &errs))
	c.MaxTokens = intSetting(getenv, "MAX_TOKENS", 15000, 100, 1_000_000, &errs)
	c.Introspection = boolSetting(getenv, "INTROSPECTION", true, &errs)
	c.ResponseCompression = boolSetting(getenv, "RESPONSE_COMPRESSION", true, &errs)
	c.Federation = boolSetting(getenv, "FEDERATION", false, &errs)

	if v, ok := lookup(getenv, "CORS_ALLOWED_ORIGINS"); ok {
		for _, o := range strings.Split(v, ",") {
			if o = strings.TrimSpace(o); o != "" {
				c.CORSAllowedOrigins = append(c.CORSAllowedOrigins, o)
			}
		}
	} else if c.Sandbox {
		c.CORSAllowedOrigins = []string{"*"}
	}

	if c.ServiceKey != "" && len(c.ServiceKey) < minServiceKey {
		c.Warnings = append(c.Warnings, fmt.Sprintf("GATEWAY_SERVICE_KEY has fewer than %d characters: whoever guesses it can act as any member (use a random string, e.g. openssl rand -hex 24)", minServiceKey))
	}
	errs = append(errs, c.loadIDToken(getenv)...)

	errs = append(errs, c.Operations.load(getenv)...)
	errs = append(errs, c.loadMemory(getenv)...)
	errs = append(errs, c.loadLive(getenv)...)
	errs = append(errs, c.loadResponseCache(getenv)...)
	errs = append(errs, c.loadShutdown(getenv)...)

	c.PersistedOperationsFile, _ = lookup(getenv, "PERSISTED_OPERATIONS_FILE")
	if c.PersistedOperationsFile != "" {
		// Reported with the other settings; what the manifest holds is
		// checked when it is loaded.
		if info, err := os.Stat(c.PersistedOperationsFile); err != nil {
			errs = append(errs, fmt.Errorf("PERSISTED_OPERATIONS_FILE: %w", err))
		} else if info.IsDir() {
			errs = append(errs, fmt.Errorf("PERSISTED_OPERATIONS_FILE: %s is a directory, not an operations manifest", c.PersistedOperationsFile))
		}
	}
	c.PersistedOperationsOnly = boolSetting(getenv, "PERSISTED_OPERATIONS_ONLY", false, &errs)
	if c.Federation && c.PersistedOperationsOnly {
		c.Warnings = append(c.Warnings, "FEDERATION=true with PERSISTED_OPERATIONS_ONLY=true: every operation a router builds (its _entities lookups included) is refused unless it is in the manifest; keep persisted operations on the router (docs/federation.md)")
	}
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

// minServiceKey is the shortest GATEWAY_SERVICE_KEY that starts without a
// warning: anyone holding the key can sign in as any member, so it must not
// be guessable.
const minServiceKey = 16

// maxPublicKeyFile bounds ID_TOKEN_PUBLIC_KEY_FILE (a PEM public key is a
// few hundred bytes).
const maxPublicKeyFile = 64 << 10

// loadIDToken reads the ID_TOKEN_* settings of signIn. Error messages name
// settings, never a secret's value.
func (c *Config) loadIDToken(getenv func(string) string) []error {
	var errs []error
	c.IDTokenHS256Secret, _ = lookup(getenv, "ID_TOKEN_HS256_SECRET")
	c.IDTokenPublicKeyFile, _ = lookup(getenv, "ID_TOKEN_PUBLIC_KEY_FILE")
	c.IDTokenJWKSURL, _ = lookup(getenv, "ID_TOKEN_JWKS_URL")
	c.IDTokenIssuer, _ = lookup(getenv, "ID_TOKEN_ISSUER")
	c.IDTokenAudience, _ = lookup(getenv, "ID_TOKEN_AUDIENCE")

	var keys []string
	if c.IDTokenHS256Secret != "" {
		keys = append(keys, "ID_TOKEN_HS256_SECRET")
		if err := idtoken.CheckHS256Secret([]byte(c.IDTokenHS256Secret)); err != nil {
			c.Warnings = append(c.Warnings, fmt.Sprintf("ID_TOKEN_HS256_SECRET has %d bytes; RFC 7518 asks at least 32 for HS256, so identity tokens signed with it can be forged more easily", len(c.IDTokenHS256Secret)))
		}
	}
	if c.IDTokenPublicKeyFile != "" {
		keys = append(keys, "ID_TOKEN_PUBLIC_KEY_FILE")
		pem, err := readSmallFile(c.IDTokenPublicKeyFile, maxPublicKeyFile)
		if err == nil {
			_, _, err = idtoken.ParsePublicKey(pem)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("ID_TOKEN_PUBLIC_KEY_FILE: %w", err))
		} else {
			c.IDTokenPublicKeyPEM = pem
		}
	}
	if c.IDTokenJWKSURL != "" {
		keys = append(keys, "ID_TOKEN_JWKS_URL")
		if err := idtoken.CheckJWKSURL(c.IDTokenJWKSURL); err != nil {
			errs = append(errs, fmt.Errorf("ID_TOKEN_JWKS_URL: %w", err))
		}
	}
	if len(keys) > 1 {
		errs = append(errs, fmt.Errorf("set at most one of ID_TOKEN_HS256_SECRET, ID_TOKEN_PUBLIC_KEY_FILE and ID_TOKEN_JWKS_URL; %s are all set", strings.Join(keys, ", ")))
	}

	c.IDTokenIdentityClaim = string(idtoken.ClaimSub)
	if v, ok := lookup(getenv, "ID_TOKEN_IDENTITY_CLAIM"); ok {
		switch v = strings.ToLower(v); idtoken.Claim(v) {
		case idtoken.ClaimSub, idtoken.ClaimEmail:
			c.IDTokenIdentityClaim = v
		default:
			errs = append(errs, fmt.Errorf("ID_TOKEN_IDENTITY_CLAIM must be sub or email, got %q", v))
		}
	}
	if len(keys) == 0 {
		for _, name := range []string{"ID_TOKEN_ISSUER", "ID_TOKEN_AUDIENCE", "ID_TOKEN_IDENTITY_CLAIM"} {
			if _, ok := lookup(getenv, name); ok {
				c.Warnings = append(c.Warnings, fmt.Sprintf("%s is set, but signIn has no key to verify identity tokens with (set one of ID_TOKEN_HS256_SECRET, ID_TOKEN_PUBLIC_KEY_FILE, ID_TOKEN_JWKS_URL); signIn answers FORBIDDEN", name))
			}
		}
	}
	return errs
}

// SignInConfigured reports whether an identity token key is set, so that
// signIn can verify tokens.
func (c Config) SignInConfigured() bool {
	return c.IDTokenHS256Secret != "" || len(c.IDTokenPublicKeyPEM) > 0 || c.IDTokenJWKSURL != ""
}

// readSmallFile reads a file of at most limit bytes.
func readSmallFile(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes: not a PEM public key", path, limit)
	}
	return b, nil
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
