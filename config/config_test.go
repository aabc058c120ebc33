package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const hsSecret = "an-hs256-secret-of-at-least-32-bytes!!"

// writeFile writes content to a fresh file and returns its path.
func writeFile(t *testing.T, name string, content []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func ecPublicKeyPEM(t *testing.T) []byte {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func TestLoadDefaults(t *testing.T) {
	t.Parallel()
	c, err := Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if !c.Sandbox || c.Port != 8080 || c.CircleURL != DefaultCircleURL || c.UpstreamTimeout != 10*time.Second || c.RequestTimeout != 30*time.Second ||
		c.MaxBodyBytes != 2<<20 || c.MaxTokens != 15000 || !c.Introspection || !c.ResponseCompression || c.LogFormat != "text" || len(c.CORSAllowedOrigins) != 1 {
		t.Fatalf("defaults: %+v", c)
	}
	if c.ServiceKey != "" || c.SignInConfigured() || c.IDTokenIdentityClaim != "sub" || c.IDTokenIssuer != "" || c.IDTokenAudience != "" {
		t.Fatalf("auth defaults: %+v", c)
	}
}

func TestLoadAuthSettings(t *testing.T) {
	t.Parallel()
	ecPEM := ecPublicKeyPEM(t)
	keyFile := writeFile(t, "key.pem", ecPEM)
	tests := []struct {
		name    string
		env     map[string]string
		check   func(t *testing.T, c Config)
		wantErr []string
	}{
		{
			name: "service key trimmed",
			env:  map[string]string{"GATEWAY_SERVICE_KEY": "  0123456789abcdef0123\n"},
			check: func(t *testing.T, c Config) {
				if c.ServiceKey != "0123456789abcdef0123" {
					t.Errorf("ServiceKey = %q", c.ServiceKey)
				}
			},
		},
		{
			name: "short service key works, with a warning",
			env:  map[string]string{"GATEWAY_SERVICE_KEY": "short-key"},
			check: func(t *testing.T, c Config) {
				if c.ServiceKey != "short-key" || len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "GATEWAY_SERVICE_KEY") || strings.Contains(c.Warnings[0], "short-key") {
					t.Errorf("key %q warnings %q", c.ServiceKey, c.Warnings)
				}
			},
		},
		{
			name: "HS256 secret with issuer, audience and email claim",
			env: map[string]string{"ID_TOKEN_HS256_SECRET": hsSecret, "ID_TOKEN_ISSUER": "https://idp.example", "ID_TOKEN_AUDIENCE": "gateway",
				"ID_TOKEN_IDENTITY_CLAIM": "EMAIL"},
			check: func(t *testing.T, c Config) {
				if !c.SignInConfigured() || c.IDTokenHS256Secret != hsSecret || c.IDTokenIssuer != "https://idp.example" || c.IDTokenAudience != "gateway" || c.IDTokenIdentityClaim != "email" {
					t.Errorf("%+v", c)
				}
			},
		},
		{
			name: "short HS256 secret works, with a warning",
			env:  map[string]string{"ID_TOKEN_HS256_SECRET": "too-short"},
			check: func(t *testing.T, c Config) {
				if !c.SignInConfigured() || len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "ID_TOKEN_HS256_SECRET") || strings.Contains(c.Warnings[0], "too-short") {
					t.Errorf("warnings %q", c.Warnings)
				}
			},
		},
		{
			name: "public key file",
			env:  map[string]string{"ID_TOKEN_PUBLIC_KEY_FILE": keyFile},
			check: func(t *testing.T, c Config) {
				if !c.SignInConfigured() || string(c.IDTokenPublicKeyPEM) != string(ecPEM) || c.IDTokenIdentityClaim != "sub" {
					t.Errorf("%+v", c)
				}
			},
		},
		{
			name:    "public key file missing",
			env:     map[string]string{"ID_TOKEN_PUBLIC_KEY_FILE": "/no/such/key.pem"},
			wantErr: []string{"ID_TOKEN_PUBLIC_KEY_FILE"},
		},
		{
			name:    "public key file not a key",
			env:     map[string]string{"ID_TOKEN_PUBLIC_KEY_FILE": writeFile(t, "bad.pem", []byte("hello"))},
			wantErr: []string{"ID_TOKEN_PUBLIC_KEY_FILE", "PEM"},
		},
		{
			name: "JWKS URL",
			env:  map[string]string{"ID_TOKEN_JWKS_URL": "https://idp.example/.well-known/jwks.json"},
			check: func(t *testing.T, c Config) {
				if !c.SignInConfigured() || c.IDTokenJWKSURL != "https://idp.example/.well-known/jwks.json" {
					t.Errorf("%+v", c)
				}
			},
		},
		{
			name:    "JWKS over plain http",
			env:     map[string]string{"ID_TOKEN_JWKS_URL": "http://idp.example/jwks"},
			wantErr: []string{"ID_TOKEN_JWKS_URL", "https"},
		},
		{
			name:    "two keys",
			env:     map[string]string{"ID_TOKEN_HS256_SECRET": hsSecret, "ID_TOKEN_JWKS_URL": "https://idp.example/jwks"},
			wantErr: []string{"at most one of", "ID_TOKEN_HS256_SECRET, ID_TOKEN_JWKS_URL are all set"},
		},
		{
			name:    "three keys",
			env:     map[string]string{"ID_TOKEN_HS256_SECRET": hsSecret, "ID_TOKEN_PUBLIC_KEY_FILE": keyFile, "ID_TOKEN_JWKS_URL": "https://idp.example/jwks"},
			wantErr: []string{"at most one of"},
		},
		{
			name:    "unknown identity claim",
			env:     map[string]string{"ID_TOKEN_HS256_SECRET": hsSecret, "ID_TOKEN_IDENTITY_CLAIM": "name"},
			wantErr: []string{"ID_TOKEN_IDENTITY_CLAIM must be sub or email"},
		},
		{
			name: "issuer and audience without a key start, with warnings",
			env:  map[string]string{"ID_TOKEN_ISSUER": "https://idp.example", "ID_TOKEN_AUDIENCE": "gateway"},
			check: func(t *testing.T, c Config) {
				w := strings.Join(c.Warnings, "\n")
				if c.SignInConfigured() || !strings.Contains(w, "ID_TOKEN_ISSUER is set, but signIn has no key") || !strings.Contains(w, "ID_TOKEN_AUDIENCE is set, but signIn has no key") {
					t.Errorf("warnings %q", c.Warnings)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Load(func(k string) string { return tt.env[k] })
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				tt.check(t, c)
				return
			}
			if err == nil {
				t.Fatalf("Load accepted %v", tt.env)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
			for name, v := range tt.env {
				if (strings.Contains(name, "SECRET") || strings.Contains(name, "SERVICE_KEY")) && strings.Contains(err.Error(), strings.TrimSpace(v)) {
					t.Errorf("the error quotes %s's value: %v", name, err)
				}
			}
		})
	}
}

// TestLoadReportsAllErrors: an operator fixes a broken deployment in one
// round, so every problem is in the one error.
func TestLoadReportsAllErrors(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"PORT":                     "eighty",
		"CIRCLE_API_URL":           "ftp://circle",
		"UPSTREAM_TIMEOUT":         "-1s",
		"REQUEST_TIMEOUT":          "soon",
		"MAX_BODY_BYTES":           "12",
		"MAX_TOKENS":               "lots",
		"INTROSPECTION":            "maybe",
		"RESPONSE_COMPRESSION":     "brotli",
		"LOG_FORMAT":               "xml",
		"GATEWAY_SERVICE_KEY":      "short",
		"ID_TOKEN_HS256_SECRET":    "short-secret",
		"ID_TOKEN_PUBLIC_KEY_FILE": "/no/such/file.pem",
		"ID_TOKEN_IDENTITY_CLAIM":  "nickname",
	}
	_, err := Load(func(k string) string { return env[k] })
	if err == nil {
		t.Fatal("Load accepted a broken configuration")
	}
	for _, name := range []string{"PORT", "CIRCLE_API_URL", "UPSTREAM_TIMEOUT", "REQUEST_TIMEOUT", "MAX_BODY_BYTES", "MAX_TOKENS", "INTROSPECTION", "RESPONSE_COMPRESSION", "LOG_FORMAT",
		"ID_TOKEN_PUBLIC_KEY_FILE:", "at most one of", "ID_TOKEN_IDENTITY_CLAIM"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("the error does not report %s:\n%v", name, err)
		}
	}
	if strings.Contains(err.Error(), "short-secret") {
		t.Error("the error quotes the HS256 secret")
	}
}

// CIRCLE_API_URL is a base URL: the API paths are appended to it.
func TestCircleURLMustBeABase(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"http://127.0.0.1:9/base?x=1", "https://app.circle.so/#frag", "https://user:pw@app.circle.so", "ftp://app.circle.so", "app.circle.so"} {
		if _, err := Load(env(map[string]string{"CIRCLE_API_URL": v, "CIRCLE_HEADLESS_AUTH_TOKEN": "app"})); err == nil || !strings.Contains(err.Error(), "CIRCLE_API_URL") {
			t.Errorf("%s: err = %v", v, err)
		}
	}
	if _, err := Load(env(map[string]string{"CIRCLE_API_URL": "https://staging.example.com/circle", "CIRCLE_HEADLESS_AUTH_TOKEN": "app"})); err != nil {
		t.Errorf("a base URL with a path: %v", err)
	}
}

// FEDERATION is off unless set; it takes a boolean like every switch, and
// with PERSISTED_OPERATIONS_ONLY it starts with a warning (a router's own
// operations are not in the app's manifest).
func TestFederationSetting(t *testing.T) {
	t.Parallel()
	manifest := writeFile(t, "ops.json", []byte(`{}`))
	for _, tc := range []struct {
		env     map[string]string
		want    bool
		warns   bool
		wantErr bool
	}{
		{env: map[string]string{}, want: false},
		{env: map[string]string{"FEDERATION": "true"}, want: true},
		{env: map[string]string{"FEDERATION": "false"}, want: false},
		{env: map[string]string{"FEDERATION": "subgraph"}, wantErr: true},
		{env: map[string]string{"FEDERATION": "true", "PERSISTED_OPERATIONS_FILE": manifest, "PERSISTED_OPERATIONS_ONLY": "true"}, want: true, warns: true},
		{env: map[string]string{"PERSISTED_OPERATIONS_FILE": manifest, "PERSISTED_OPERATIONS_ONLY": "true"}, want: false},
	} {
		c, err := Load(func(k string) string { return tc.env[k] })
		if tc.wantErr {
			if err == nil || !strings.Contains(err.Error(), "FEDERATION") {
				t.Errorf("%v: error %v, want one naming FEDERATION", tc.env, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%v: %v", tc.env, err)
		}
		warned := strings.Contains(strings.Join(c.Warnings, "\n"), "FEDERATION=true with PERSISTED_OPERATIONS_ONLY=true")
		if c.Federation != tc.want || warned != tc.warns {
			t.Errorf("%v: Federation %v, warned %v; want %v, %v", tc.env, c.Federation, warned, tc.want, tc.warns)
		}
	}
}
