package idtoken

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/circle-gateway/gateway/internal/allocs"
	"github.com/circle-gateway/gateway/internal/testjwt"
)

// testKeys are generated once per test binary: RSA generation is slow.
type testKeys struct {
	rsa, rsaOther *rsa.PrivateKey
	ec, ecOther   *ecdsa.PrivateKey
	ecP384        *ecdsa.PrivateKey
	rsaSmall      *rsa.PrivateKey
}

var keysOnce = sync.OnceValue(func() testKeys {
	must := func(k any, err error) any {
		if err != nil {
			panic(err)
		}
		return k
	}
	return testKeys{
		rsa:      must(rsa.GenerateKey(rand.Reader, 2048)).(*rsa.PrivateKey),
		rsaOther: must(rsa.GenerateKey(rand.Reader, 2048)).(*rsa.PrivateKey),
		ec:       must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader)).(*ecdsa.PrivateKey),
		ecOther:  must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader)).(*ecdsa.PrivateKey),
		ecP384:   must(ecdsa.GenerateKey(elliptic.P384(), rand.Reader)).(*ecdsa.PrivateKey),
		rsaSmall: must(rsa.GenerateKey(rand.Reader, 1024)).(*rsa.PrivateKey),
	}
})

const secret = "an-hs256-secret-of-at-least-32-bytes!!"

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return now }

func pemOf(t testing.TB, pub any) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// valid returns good claims, modified by edit.
func valid(edit func(jwt.MapClaims)) jwt.MapClaims {
	c := jwt.MapClaims{"sub": "demo-user", "email": "demo@example.com", "iss": "https://idp.example", "aud": "gateway", "exp": now.Add(time.Hour).Unix(), "iat": now.Unix()}
	if edit != nil {
		edit(c)
	}
	return c
}

func without(name string) func(jwt.MapClaims) { return func(c jwt.MapClaims) { delete(c, name) } }
func with(name string, v any) func(jwt.MapClaims) {
	return func(c jwt.MapClaims) { c[name] = v }
}

func newVerifier(t testing.TB, c Config) *Verifier {
	t.Helper()
	c.Now = clock
	if c.Issuer == "" {
		c.Issuer = "https://idp.example"
	}
	if c.Audience == "" {
		c.Audience = "gateway"
	}
	v, err := New(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// hostile lists tokens no configuration may accept, given the keys it
// trusts: one per attack of the list that applies to every config.
func hostile(t testing.TB, k testKeys) map[string]string {
	t.Helper()
	none, err := jwt.NewWithClaims(jwt.SigningMethodNone, valid(nil)).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"alg none":                         none,
		"alg none, no signature part":      strings.TrimSuffix(none, "."),
		"HS256 with the RSA public key":    testjwt.Sign(t, jwt.SigningMethodHS256, pemOf(t, &k.rsa.PublicKey), valid(nil), nil),
		"HS256 with the EC public key":     testjwt.Sign(t, jwt.SigningMethodHS256, pemOf(t, &k.ec.PublicKey), valid(nil), nil),
		"RS256 with another RSA key":       testjwt.Sign(t, jwt.SigningMethodRS256, k.rsaOther, valid(nil), nil),
		"ES256 with another EC key":        testjwt.Sign(t, jwt.SigningMethodES256, k.ecOther, valid(nil), nil),
		"HS256 with another secret":        testjwt.Sign(t, jwt.SigningMethodHS256, []byte("another-secret-of-at-least-32-bytes"), valid(nil), nil),
		"1 MB of dots":                     strings.Repeat(".", 1<<20),
		"oversized header":                 base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","x":"`+strings.Repeat("a", 4096)+`"}`)) + ".e30.sig",
		"oversized token":                  "eyJhbGciOiJIUzI1NiJ9." + strings.Repeat("A", MaxTokenBytes) + ".sig",
		"empty":                            "",
		"garbage":                          "not a jwt",
		"two parts":                        "eyJhbGciOiJIUzI1NiJ9.e30",
		"four parts":                       "a.b.c.d",
		"header not base64":                "!!!.e30.sig",
		"header not JSON":                  base64.RawURLEncoding.EncodeToString([]byte("[1,2")) + ".e30.sig",
		"claims not JSON":                  "eyJhbGciOiJIUzI1NiJ9." + base64.RawURLEncoding.EncodeToString([]byte("{")) + ".sig",
		"unsupported alg":                  "eyJhbGciOiJYWDk5OSJ9.e30.sig",
		"HS256 with an empty secret guess": testjwt.Sign(t, jwt.SigningMethodHS256, []byte{0}, valid(nil), nil),
	}
}

// configs are the three ways to configure a Verifier, each with a signer
// for tokens it must accept.
type configCase struct {
	name   string
	config func(t testing.TB) Config
	sign   func(t testing.TB, c jwt.MapClaims) string
}

func configs(k testKeys) []configCase {
	return []configCase{
		{"HS256", func(testing.TB) Config { return Config{HS256Secret: []byte(secret)} },
			func(t testing.TB, c jwt.MapClaims) string {
				return testjwt.Sign(t, jwt.SigningMethodHS256, []byte(secret), c, nil)
			}},
		{"RS256 PEM", func(t testing.TB) Config { return Config{PublicKeyPEM: pemOf(t, &k.rsa.PublicKey)} },
			func(t testing.TB, c jwt.MapClaims) string {
				return testjwt.Sign(t, jwt.SigningMethodRS256, k.rsa, c, nil)
			}},
		{"ES256 PEM", func(t testing.TB) Config { return Config{PublicKeyPEM: pemOf(t, &k.ec.PublicKey)} },
			func(t testing.TB, c jwt.MapClaims) string {
				return testjwt.Sign(t, jwt.SigningMethodES256, k.ec, c, nil)
			}},
		{"JWKS", func(t testing.TB) Config {
			srv := newJWKSServer(t, jwksDoc(t, map[string]any{"rsa-1": &k.rsa.PublicKey, "ec-1": &k.ec.PublicKey}))
			return Config{JWKSURL: srv.URL}
		}, func(t testing.TB, c jwt.MapClaims) string {
			return testjwt.Sign(t, jwt.SigningMethodRS256, k.rsa, c, map[string]any{"kid": "rsa-1"})
		}},
	}
}

func TestVerifyAcceptsAndRefuses(t *testing.T) {
	t.Parallel()
	k := keysOnce()
	for _, cc := range configs(k) {
		t.Run(cc.name, func(t *testing.T) {
			t.Parallel()
			v := newVerifier(t, cc.config(t))
			tests := []struct {
				name   string
				claims jwt.MapClaims
				ok     bool
				reason string
			}{
				{"valid", valid(nil), true, ""},
				{"expired within leeway", valid(with("exp", now.Add(-20*time.Second).Unix())), true, ""},
				{"expired", valid(with("exp", now.Add(-31*time.Second).Unix())), false, "expired"},
				{"not yet valid", valid(with("nbf", now.Add(time.Minute).Unix())), false, "not valid yet"},
				{"nbf within leeway", valid(with("nbf", now.Add(20*time.Second).Unix())), true, ""},
				{"missing exp", valid(without("exp")), false, "exp"},
				{"exp not a number", valid(with("exp", "tomorrow")), false, ""},
				{"wrong iss", valid(with("iss", "https://evil.example")), false, "issuer"},
				{"missing iss", valid(without("iss")), false, "required claim"},
				{"wrong aud", valid(with("aud", "someone-else")), false, "audience"},
				{"aud list holding ours", valid(with("aud", []string{"x", "gateway"})), true, ""},
				{"missing aud", valid(without("aud")), false, "required claim"},
				{"missing sub", valid(without("sub")), false, "sub"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					id, err := v.Verify(t.Context(), cc.sign(t, tt.claims))
					if tt.ok {
						if err != nil || id.SSOUserID != "demo-user" || id.Email != "" {
							t.Fatalf("Verify = %+v, %v; want sub demo-user", id, err)
						}
						return
					}
					if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.reason) {
						t.Fatalf("err = %v, want ErrInvalid mentioning %q", err, tt.reason)
					}
				})
			}
			for name, tok := range hostile(t, k) {
				t.Run("hostile/"+name, func(t *testing.T) {
					_, err := v.Verify(t.Context(), tok)
					if !errors.Is(err, ErrInvalid) {
						t.Fatalf("err = %v, want ErrInvalid", err)
					}
					if tok != "" && len(tok) > 8 && strings.Contains(err.Error(), tok) {
						t.Fatal("the error quotes the token")
					}
				})
			}
		})
	}
}

// TestAlgorithmPinning signs valid claims with every other configuration's
// key: a verifier accepts only its own key type's algorithm.
func TestAlgorithmPinning(t *testing.T) {
	t.Parallel()
	k := keysOnce()
	cs := configs(k)
	for _, verifier := range cs {
		v := newVerifier(t, verifier.config(t))
		for _, signer := range cs {
			if signer.name == verifier.name || verifier.name == "JWKS" && strings.HasSuffix(signer.name, "PEM") || signer.name == "JWKS" && verifier.name == "RS256 PEM" {
				continue // same key material
			}
			t.Run(verifier.name+" refuses "+signer.name, func(t *testing.T) {
				if _, err := v.Verify(t.Context(), signer.sign(t, valid(nil))); !errors.Is(err, ErrInvalid) {
					t.Fatalf("err = %v", err)
				}
			})
		}
	}
}

func TestEmailClaim(t *testing.T) {
	t.Parallel()
	v := newVerifier(t, Config{HS256Secret: []byte(secret), IdentityClaim: ClaimEmail})
	tests := []struct {
		name string
		edit func(jwt.MapClaims)
		ok   bool
	}{
		{"verified", with("email_verified", true), true},
		{"verified unstated", nil, true},
		{"unverified", with("email_verified", false), false},
		{"unverified as a string", with("email_verified", "false"), false},
		// Only a JSON true verifies: what a provider means by anything
		// else is not guessed at.
		{"verified as a string", with("email_verified", "true"), false},
		{"null", with("email_verified", nil), false},
		{"zero", with("email_verified", 0), false},
		{"one", with("email_verified", 1), false},
		{"no", with("email_verified", "no"), false},
		{"an object", with("email_verified", map[string]any{"value": true}), false},
		{"no email", without("email"), false},
		{"empty email", with("email", " "), false},
		{"email not a string", with("email", 42), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			id, err := v.Verify(t.Context(), testjwt.Sign(t, jwt.SigningMethodHS256, []byte(secret), valid(tt.edit), nil))
			if tt.ok != (err == nil) {
				t.Fatalf("Verify = %+v, %v; want ok=%v", id, err, tt.ok)
			}
			if tt.ok && (id.Email != "demo@example.com" || id.SSOUserID != "") {
				t.Fatalf("identity %+v, want the email only", id)
			}
			if !tt.ok && !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestIssuerAndAudienceOptional(t *testing.T) {
	t.Parallel()
	v, err := New(t.Context(), Config{HS256Secret: []byte(secret), Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	tok := testjwt.Sign(t, jwt.SigningMethodHS256, []byte(secret), valid(func(c jwt.MapClaims) { delete(c, "iss"); delete(c, "aud") }), nil)
	if _, err := v.Verify(t.Context(), tok); err != nil {
		t.Fatalf("without iss/aud configured, a token without them must verify: %v", err)
	}
}

// TestJWKS checks key selection by kid, rotation through an unknown kid,
// and that JWKS keys verify only their own algorithm.
func TestJWKS(t *testing.T) {
	t.Parallel()
	k := keysOnce()
	rotated, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	var doc atomic.Value
	doc.Store(jwksDoc(t, map[string]any{"rsa-1": &k.rsa.PublicKey, "ec-1": &k.ec.PublicKey, "oct-1": []byte(secret)}))
	var fetches atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(doc.Load().([]byte))
	}))
	t.Cleanup(srv.Close)
	v := newVerifier(t, Config{JWKSURL: srv.URL})
	if fetches.Load() != 1 {
		t.Fatalf("JWKS fetched %d times at start, want 1", fetches.Load())
	}

	verify := func(tok string) error { _, err := v.Verify(t.Context(), tok); return err }
	if err := verify(testjwt.Sign(t, jwt.SigningMethodRS256, k.rsa, valid(nil), map[string]any{"kid": "rsa-1"})); err != nil {
		t.Fatalf("RS256 by kid: %v", err)
	}
	if err := verify(testjwt.Sign(t, jwt.SigningMethodES256, k.ec, valid(nil), map[string]any{"kid": "ec-1"})); err != nil {
		t.Fatalf("ES256 by kid: %v", err)
	}
	if err := verify(testjwt.Sign(t, jwt.SigningMethodRS256, k.rsa, valid(nil), nil)); err != nil {
		t.Fatalf("RS256 without kid (all keys tried): %v", err)
	}
	refused := map[string]string{
		"RS256 naming the EC key":         testjwt.Sign(t, jwt.SigningMethodRS256, k.rsa, valid(nil), map[string]any{"kid": "ec-1"}),
		"HS256 with the published secret": testjwt.Sign(t, jwt.SigningMethodHS256, []byte(secret), valid(nil), map[string]any{"kid": "oct-1"}),
		"HS256 with the RSA key as secret": testjwt.Sign(t, jwt.SigningMethodHS256, pemOf(t, &k.rsa.PublicKey), valid(nil),
			map[string]any{"kid": "rsa-1"}),
		"RS256 by another key, our kid": testjwt.Sign(t, jwt.SigningMethodRS256, k.rsaOther, valid(nil), map[string]any{"kid": "rsa-1"}),
		"kid of wrong type":             testjwt.Sign(t, jwt.SigningMethodRS256, k.rsa, valid(nil), map[string]any{"kid": 7}),
	}
	for name, tok := range refused {
		if err := verify(tok); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
	if fetches.Load() != 1 {
		t.Fatalf("known kids caused %d JWKS fetches", fetches.Load()-1)
	}

	// The provider rotates its key: the first token naming the new kid
	// fetches the JWKS again, and verifies.
	doc.Store(jwksDoc(t, map[string]any{"rsa-2": &rotated.PublicKey}))
	if err := verify(testjwt.Sign(t, jwt.SigningMethodRS256, rotated, valid(nil), map[string]any{"kid": "rsa-2"})); err != nil {
		t.Fatalf("rotated key: %v", err)
	}
	if fetches.Load() != 2 {
		t.Fatalf("fetches = %d, want 2 (one refresh for the new kid)", fetches.Load())
	}
	// Unknown kids do not make the gateway hammer the JWKS endpoint: the
	// refresh is rate-limited, so refusing them fetches (and waits for)
	// nothing.
	for range 20 {
		if err := verify(testjwt.Sign(t, jwt.SigningMethodRS256, rotated, valid(nil), map[string]any{"kid": "unknown"})); !errors.Is(err, ErrInvalid) {
			t.Fatalf("unknown kid: %v", err)
		}
	}
	if fetches.Load() > 2 {
		t.Fatalf("unknown kids caused %d more JWKS fetches", fetches.Load()-2)
	}
	// The old key is gone after rotation.
	if err := verify(testjwt.Sign(t, jwt.SigningMethodRS256, k.rsa, valid(nil), map[string]any{"kid": "rsa-1"})); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a rotated-out key still verifies: %v", err)
	}
}

func TestJWKSDocumentTooLarge(t *testing.T) {
	t.Parallel()
	k := keysOnce()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A valid document followed by megabytes of padding inside a string.
		_, _ = w.Write([]byte(`{"keys":[],"pad":"`))
		chunk := []byte(strings.Repeat("a", 64<<10))
		for range 64 {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
		_, _ = w.Write([]byte(`"}`))
	}))
	t.Cleanup(srv.Close)
	v := newVerifier(t, Config{JWKSURL: srv.URL, Log: discard()})
	_, err := v.Verify(t.Context(), testjwt.Sign(t, jwt.SigningMethodRS256, k.rsa, valid(nil), map[string]any{"kid": "rsa-1"}))
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v", err)
	}
}

// TestHostileTokensFlatMemory: refusing oversized input allocates next to
// nothing, however large the input.
func TestHostileTokensFlatMemory(t *testing.T) {
	v := newVerifier(t, Config{HS256Secret: []byte(secret)})
	k := keysOnce()
	h := hostile(t, k)
	for _, name := range []string{"1 MB of dots", "oversized header", "oversized token"} {
		tok := h[name]
		perCall := allocs.PerCall(func() { _, _ = v.Verify(context.Background(), tok) })
		if perCall > 1024 {
			t.Errorf("%s: %d bytes allocated per refusal of a %d-byte token", name, perCall, len(tok))
		}
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	t.Parallel()
	k := keysOnce()
	privDER, _ := x509.MarshalPKCS8PrivateKey(k.rsa)
	tests := []struct {
		name string
		c    Config
		want string
	}{
		{"no key", Config{}, "exactly one"},
		{"two keys", Config{HS256Secret: []byte(secret), JWKSURL: "https://idp.example/jwks"}, "exactly one"},
		{"empty secret", Config{HS256Secret: []byte{}}, "exactly one"},
		{"private key", Config{PublicKeyPEM: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER})}, "PUBLIC KEY"},
		{"not PEM", Config{PublicKeyPEM: []byte("hello")}, "PEM"},
		{"small RSA key", Config{PublicKeyPEM: pemOf(t, &k.rsaSmall.PublicKey)}, "2048"},
		{"P-384 key", Config{PublicKeyPEM: pemOf(t, &k.ecP384.PublicKey)}, "P-256"},
		{"http JWKS", Config{JWKSURL: "http://idp.example/jwks"}, "https"},
		{"relative JWKS", Config{JWKSURL: "/jwks"}, "https"},
		{"leeway too long", Config{HS256Secret: []byte(secret), Leeway: time.Minute}, "leeway"},
		{"bad claim", Config{HS256Secret: []byte(secret), IdentityClaim: "name"}, "sub or email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(t.Context(), tt.c)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tt.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Fatal("the error quotes the secret")
			}
		})
	}
}

func TestParsePublicKeyPKCS1(t *testing.T) {
	t.Parallel()
	k := keysOnce()
	data := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&k.rsa.PublicKey)})
	if _, alg, err := ParsePublicKey(data); err != nil || alg != "RS256" {
		t.Fatalf("alg %q err %v", alg, err)
	}
}

// FuzzVerify: no input makes Verify panic or accept a token not signed
// with the configured secret.
func FuzzVerify(f *testing.F) {
	k := keysOnce()
	for _, tok := range hostile(f, k) {
		if len(tok) < 8192 {
			f.Add(tok)
		}
	}
	f.Add(testjwt.Sign(f, jwt.SigningMethodHS256, []byte("another-secret-of-at-least-32-bytes"), valid(nil), nil))
	f.Add("eyJhbGciOiJIUzI1NiIsImtpZCI6MX0.eyJleHAiOiJ4In0.x")
	v, err := New(context.Background(), Config{HS256Secret: []byte(secret), Now: clock})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		id, err := v.Verify(context.Background(), tok)
		if err == nil {
			// Only a correctly signed token verifies; the fuzzer cannot
			// forge an HMAC, so acceptance is a bug.
			t.Fatalf("accepted %q as %+v", tok, id)
		}
		if !errors.Is(err, ErrInvalid) {
			t.Fatalf("err %v does not wrap ErrInvalid", err)
		}
	})
}

// jwksDoc builds a JWKS document holding the given public keys (RSA, EC
// P-256) or symmetric secrets ([]byte), by kid.
func jwksDoc(t testing.TB, keys map[string]any) []byte {
	t.Helper()
	b64 := base64.RawURLEncoding.EncodeToString
	var out []map[string]any
	for kid, key := range keys {
		switch key := key.(type) {
		case *rsa.PublicKey:
			out = append(out, map[string]any{"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": b64(key.N.Bytes()), "e": b64(big.NewInt(int64(key.E)).Bytes())})
		case *ecdsa.PublicKey:
			raw, err := key.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, map[string]any{"kty": "EC", "kid": kid, "use": "sig", "crv": "P-256", "x": b64(raw[1:33]), "y": b64(raw[33:])})
		case []byte:
			out = append(out, map[string]any{"kty": "oct", "kid": kid, "k": b64(key)})
		default:
			t.Fatalf("jwksDoc: %T", key)
		}
	}
	b, err := json.Marshal(map[string]any{"keys": out})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

func newJWKSServer(t testing.TB, doc []byte) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(doc)
	}))
	t.Cleanup(srv.Close)
	return srv
}
