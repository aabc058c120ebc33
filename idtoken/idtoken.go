package idtoken

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
)

// Size bounds, checked before a token is decoded.
const (
	// MaxTokenBytes is the largest identity token accepted. Provider id
	// tokens are 1–4 KiB even with group claims; 16 KiB leaves room while
	// keeping a hostile megabyte from ever being decoded.
	MaxTokenBytes = 16 << 10
	// MaxHeaderBytes bounds the encoded JOSE header (alg, kid, typ: a few
	// dozen bytes in practice).
	MaxHeaderBytes = 1 << 10
)

// Leeway bounds for exp and nbf.
const (
	// DefaultLeeway is the clock skew tolerated when Config.Leeway is 0.
	DefaultLeeway = 30 * time.Second
	// MaxLeeway is the most clock skew a Verifier may tolerate.
	MaxLeeway = 30 * time.Second
)

// JWKS fetching bounds.
const (
	// jwksTimeout bounds each fetch of the JWKS document.
	jwksTimeout = 5 * time.Second
	// maxJWKSBytes bounds the JWKS document read; real ones are a few KiB.
	maxJWKSBytes = 1 << 20
	// jwksRefresh is how often the JWKS is fetched again for key rotation
	// (an unknown kid also triggers a fetch, at most once per 5 minutes).
	jwksRefresh = time.Hour
)

// Claim names the identity claim that says who signs in.
type Claim string

// The identity claims a Verifier can read.
const (
	// ClaimSub reads sub, sent to Circle as sso_user_id (the default).
	ClaimSub Claim = "sub"
	// ClaimEmail reads email, sent to Circle as email; a token whose
	// email_verified is false is refused.
	ClaimEmail Claim = "email"
)

// ErrInvalid wraps every refusal of an identity token. Its messages say only
// why (expired, wrong issuer, …), never the token or a claim value, so they
// may be shown to clients.
// Every refusal is an *InvalidError.
var ErrInvalid = errors.New("invalid identity token")

// InvalidError is a refused identity token. Reason says why ("it has
// expired"), never quoting the token or a claim value.
type InvalidError struct {
	Reason string
}

func (e *InvalidError) Error() string { return ErrInvalid.Error() + ": " + e.Reason }

// Is makes every InvalidError match ErrInvalid.
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

func invalid(format string, args ...any) error {
	return &InvalidError{Reason: fmt.Sprintf(format, args...)}
}

// Config says how identity tokens are verified. Exactly one of HS256Secret,
// PublicKeyPEM and JWKSURL must be set.
type Config struct {
	// HS256Secret is a shared secret (ID_TOKEN_HS256_SECRET); only HS256 is
	// then accepted. At least 32 bytes.
	HS256Secret []byte
	// PublicKeyPEM is a PEM public key (the contents of
	// ID_TOKEN_PUBLIC_KEY_FILE): RSA (only RS256 accepted) or EC P-256 (only
	// ES256 accepted).
	PublicKeyPEM []byte
	// JWKSURL is the provider's JWKS document (ID_TOKEN_JWKS_URL); RS256 and
	// ES256 are accepted, each only with a key of its own type.
	JWKSURL string
	// Issuer, when set, must equal the token's iss (ID_TOKEN_ISSUER).
	Issuer string
	// Audience, when set, must be among the token's aud (ID_TOKEN_AUDIENCE).
	Audience string
	// IdentityClaim is sub (default) or email (ID_TOKEN_IDENTITY_CLAIM).
	IdentityClaim Claim
	// Leeway is the clock skew tolerated on exp and nbf (0: DefaultLeeway;
	// at most MaxLeeway).
	Leeway time.Duration
	// HTTPClient fetches the JWKS (default: a client with a 5 s timeout).
	// Responses are read up to 1 MiB.
	HTTPClient *http.Client
	// Log receives JWKS refresh failures (default slog.Default()); never tokens.
	Log *slog.Logger
	// Now is the clock for exp and nbf (default time.Now).
	Now func() time.Time
}

// Identity is who a verified token names: exactly one field is set,
// according to the configured identity claim.
type Identity struct {
	// SSOUserID is the sub claim (ClaimSub).
	SSOUserID string
	// Email is the email claim (ClaimEmail).
	Email string
}

// Verifier checks identity tokens. It is safe for concurrent use and holds
// no per-request state.
type Verifier struct {
	parser  *jwt.Parser
	keyfunc func(ctx context.Context) jwt.Keyfunc
	claim   Claim
}

// New builds a Verifier from c. With a JWKS URL it fetches the keys once now
// (a failure is logged, not fatal: the keys are fetched again when a token
// needs them) and refreshes them until ctx ends.
func New(ctx context.Context, c Config) (*Verifier, error) {
	set := 0
	for _, ok := range []bool{len(c.HS256Secret) > 0, len(c.PublicKeyPEM) > 0, c.JWKSURL != ""} {
		if ok {
			set++
		}
	}
	if set != 1 {
		return nil, fmt.Errorf("idtoken: exactly one of an HS256 secret, a PEM public key and a JWKS URL is needed, %d given", set)
	}
	if c.Leeway == 0 {
		c.Leeway = DefaultLeeway
	}
	if c.Leeway < 0 || c.Leeway > MaxLeeway {
		return nil, fmt.Errorf("idtoken: leeway must be between 0 and %s, got %s", MaxLeeway, c.Leeway)
	}
	switch c.IdentityClaim {
	case "":
		c.IdentityClaim = ClaimSub
	case ClaimSub, ClaimEmail:
	default:
		return nil, fmt.Errorf("idtoken: identity claim must be sub or email, got %q", c.IdentityClaim)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}

	v := &Verifier{claim: c.IdentityClaim}
	var methods []string
	switch {
	case len(c.HS256Secret) > 0:
		if len(c.HS256Secret) == 0 {
			return nil, errors.New("idtoken: the HS256 secret is empty")
		}
		secret := append([]byte(nil), c.HS256Secret...)
		methods = []string{jwt.SigningMethodHS256.Alg()}
		v.keyfunc = staticKey(secret)
	case len(c.PublicKeyPEM) > 0:
		key, alg, err := ParsePublicKey(c.PublicKeyPEM)
		if err != nil {
			return nil, err
		}
		methods = []string{alg}
		v.keyfunc = staticKey(key)
	default:
		if err := CheckJWKSURL(c.JWKSURL); err != nil {
			return nil, err
		}
		kf, err := newJWKS(ctx, c)
		if err != nil {
			return nil, err
		}
		methods = []string{jwt.SigningMethodRS256.Alg(), jwt.SigningMethodES256.Alg()}
		v.keyfunc = func(ctx context.Context) jwt.Keyfunc { return publicKeysOnly(kf.KeyfuncCtx(ctx)) }
	}

	opts := []jwt.ParserOption{
		jwt.WithValidMethods(methods),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(c.Leeway),
		jwt.WithTimeFunc(c.Now),
	}
	if c.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(c.Issuer))
	}
	if c.Audience != "" {
		opts = append(opts, jwt.WithAudience(c.Audience))
	}
	v.parser = jwt.NewParser(opts...)
	return v, nil
}

// staticKey is the keyfunc of a single configured key.
func staticKey(key any) func(context.Context) jwt.Keyfunc {
	return func(context.Context) jwt.Keyfunc {
		return func(*jwt.Token) (any, error) { return key, nil }
	}
}

// CheckHS256Secret reports secrets too short for HS256 (RFC 7518 §3.2: at
// least the hash size, 32 bytes); config warns about them at start.
func CheckHS256Secret(secret []byte) error {
	if len(secret) < 32 {
		return fmt.Errorf("idtoken: the HS256 secret must be at least 32 bytes, it has %d", len(secret))
	}
	return nil
}

// CheckJWKSURL accepts an absolute https URL, or http to a loopback host
// (local development): keys fetched over plain http from elsewhere could be
// swapped in transit.
func CheckJWKSURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("idtoken: the JWKS URL must be an absolute https URL, got %q", raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if h := u.Hostname(); h == "localhost" || h == "127.0.0.1" || h == "::1" {
			return nil
		}
	}
	return fmt.Errorf("idtoken: the JWKS URL must be https (http only to localhost), got %q", raw)
}

// ParsePublicKey reads a PEM public key (PKIX "PUBLIC KEY", or PKCS#1 "RSA
// PUBLIC KEY") and returns it with the one algorithm it verifies: RS256 for
// RSA of at least 2048 bits, ES256 for EC P-256.
func ParsePublicKey(data []byte) (crypto.PublicKey, string, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, "", errors.New("idtoken: no PEM block in the public key")
	}
	var key any
	var err error
	switch block.Type {
	case "PUBLIC KEY":
		key, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		key, err = x509.ParsePKCS1PublicKey(block.Bytes)
	default:
		return nil, "", fmt.Errorf("idtoken: the PEM block is a %q, want a PUBLIC KEY (a private key must never be given to the gateway)", block.Type)
	}
	if err != nil {
		return nil, "", fmt.Errorf("idtoken: parse public key: %w", err)
	}
	switch k := key.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return nil, "", fmt.Errorf("idtoken: the RSA key has %d bits, at least 2048 are needed", k.N.BitLen())
		}
		return k, jwt.SigningMethodRS256.Alg(), nil
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return nil, "", fmt.Errorf("idtoken: the EC key is on %s, only P-256 (ES256) is supported", k.Curve.Params().Name)
		}
		return k, jwt.SigningMethodES256.Alg(), nil
	default:
		return nil, "", fmt.Errorf("idtoken: unsupported public key type %T, want RSA (RS256) or EC P-256 (ES256)", key)
	}
}

// newJWKS starts keyfunc's JWKS cache: keys fetched now and every hour, and
// again (at most every 5 minutes) when a token names an unknown kid.
func newJWKS(ctx context.Context, c Config) (keyfunc.Keyfunc, error) {
	client := c.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: jwksTimeout}
	}
	limited := *client
	limited.Transport = bodyLimit{next: client.Transport, max: maxJWKSBytes}
	kf, err := keyfunc.NewDefaultOverrideCtx(ctx, []string{c.JWKSURL}, keyfunc.Override{
		Client:      &limited,
		HTTPTimeout: jwksTimeout,
		// A hostile token with an unknown kid must not hold a request for
		// long: this bounds the wait for the refresh limiter and the fetch.
		RateLimitWaitMax: jwksTimeout,
		RefreshInterval:  jwksRefresh,
		RefreshErrorHandlerFunc: func(u string) func(context.Context, error) {
			return func(ctx context.Context, err error) {
				c.Log.WarnContext(ctx, "idtoken: fetching the JWKS failed; signIn refuses tokens it cannot verify", "jwks_url", u, "err", err.Error())
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("idtoken: JWKS: %w", err)
	}
	return kf, nil
}

// bodyLimit caps response bodies, so a huge JWKS document cannot exhaust
// memory (keyfunc decodes the body as it streams).
type bodyLimit struct {
	next http.RoundTripper
	max  int64
}

func (b bodyLimit) RoundTrip(r *http.Request) (*http.Response, error) {
	next := b.next
	if next == nil {
		next = http.DefaultTransport
	}
	resp, err := next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.LimitReader(resp.Body, b.max), resp.Body}
	return resp, nil
}

// publicKeysOnly narrows a JWKS keyfunc to public keys of the token's
// algorithm family: a symmetric ("oct") or private key published in a JWKS
// never verifies anything, and an RSA key never verifies ES256 (nor the
// reverse).
func publicKeysOnly(next jwt.Keyfunc) jwt.Keyfunc {
	return func(t *jwt.Token) (any, error) {
		got, err := next(t)
		if err != nil {
			return nil, err
		}
		fits := func(k any) bool {
			switch k := k.(type) {
			case *rsa.PublicKey:
				return t.Method == jwt.SigningMethodRS256
			case *ecdsa.PublicKey:
				return t.Method == jwt.SigningMethodES256 && k.Curve == elliptic.P256()
			}
			return false
		}
		if set, ok := got.(jwt.VerificationKeySet); ok {
			var keys jwt.VerificationKeySet
			for _, k := range set.Keys {
				if fits(k) {
					keys.Keys = append(keys.Keys, k)
				}
			}
			if len(keys.Keys) == 0 {
				return nil, errors.New("no key of the token's type")
			}
			return keys, nil
		}
		if !fits(got) {
			return nil, errors.New("the key does not fit the token's algorithm")
		}
		return got, nil
	}
}

// claims are the claims read from an identity token.
type claims struct {
	Email string `json:"email"`
	// EmailVerified is kept raw, so that a null can be told from an
	// absent claim.
	EmailVerified json.RawMessage `json:"email_verified"`
	jwt.RegisteredClaims
}

// Verify checks token and returns the identity it names. Every refusal wraps
// ErrInvalid. Oversized tokens are refused before anything is decoded.
func (v *Verifier) Verify(ctx context.Context, token string) (Identity, error) {
	if token == "" {
		return Identity{}, invalid("it is empty")
	}
	if len(token) > MaxTokenBytes {
		return Identity{}, invalid("it is larger than %d bytes", MaxTokenBytes)
	}
	if i := strings.IndexByte(token, '.'); i < 0 || i > MaxHeaderBytes {
		return Identity{}, invalid("it is not a JWT or its header is too large")
	}
	if strings.Count(token, ".") != 2 {
		return Identity{}, invalid("it is not a signed JWT")
	}
	var c claims
	if _, err := v.parser.ParseWithClaims(token, &c, v.keyfunc(ctx)); err != nil {
		return Identity{}, invalid("%s", reason(err))
	}
	switch v.claim {
	case ClaimEmail:
		if strings.TrimSpace(c.Email) == "" {
			return Identity{}, invalid("it has no email claim")
		}
		if !emailVerified(c.EmailVerified) {
			return Identity{}, invalid("its email is not verified (email_verified is present and not true)")
		}
		return Identity{Email: strings.TrimSpace(c.Email)}, nil
	default:
		if strings.TrimSpace(c.Subject) == "" {
			return Identity{}, invalid("it has no sub claim")
		}
		return Identity{SSOUserID: c.Subject}, nil
	}
}

// emailVerified reports whether an email_verified claim lets the email
// sign in: only JSON true does, or no claim at all (a provider that never
// sends it; docs/contract.md §1 asks only that it not be false). Anything
// else a provider might mean as "no" or nothing — false, null, 0, "no",
// "false", even the string "true" — is refused rather than guessed at.
func emailVerified(raw json.RawMessage) bool {
	return len(raw) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("true"))
}

// reason turns a jwt error into a short client-safe reason: jwt's own
// messages may quote header values (a kid, an alg) that the caller chose.
func reason(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "it is malformed"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return "its algorithm or signature is not accepted"
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return "no configured key verifies it"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return "it lacks a required claim (exp; iss and aud when they are checked)"
	case errors.Is(err, jwt.ErrTokenExpired):
		return "it has expired"
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return "it is not valid yet (nbf)"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return "its issuer (iss) is not the configured one"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return "its audience (aud) is not the configured one"
	default:
		return "it does not verify"
	}
}
