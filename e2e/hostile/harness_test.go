// Package hostile runs attacks against the built gateway binary and a
// Circle double on loopback, and asserts what they cost Circle and that
// the legitimate members are still served. Each scenario is bounded in
// requests and stops by itself; add new ones beside budget_test.go, using
// the harness here (start, Circle, forged tokens).
package hostile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	hx "github.com/circle-gateway/gateway/internal/hostile"
	"github.com/circle-gateway/gateway/internal/logbuf"
	"github.com/circle-gateway/gateway/internal/testenv"
)

// gateway is the binary these tests run, built once per test run.
var gateway hx.Binary

// gatewayBinary builds the gateway once per test run.
func gatewayBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the gateway binary")
	}
	return gateway.Path(t)
}

func TestMain(m *testing.M) {
	code := m.Run()
	gateway.Remove()
	os.Exit(code)
}

// circleKey is the double's signing key: tokens it signed are Circle's;
// any other signature is a forgery it answers 401.
var circleKey = []byte("the-circle-double-signing-key")

// Circle is a Circle double for hostile scenarios: it verifies member
// tokens as Circle does (401 for a bad signature), issues tokens through
// the Auth API, and counts the calls it received by whether their token
// was Circle's own.
type Circle struct {
	URL      string
	AppToken string

	mu     sync.Mutex
	forged map[string]int // calls by forged token
	good   int            // calls with tokens Circle signed
	auth   int            // Auth API calls
}

// NewCircle starts the double.
func NewCircle(t *testing.T) *Circle {
	t.Helper()
	c := &Circle{AppToken: "hostile-app-token", forged: map[string]int{}}
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)
	c.URL = srv.URL
	return c
}

// Issue signs a member token as Circle would.
func (c *Circle) Issue(t *testing.T, memberID int64) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"community_id": 1, "community_member_id": memberID, "exp": time.Now().Add(time.Hour).Unix(), "jti": fmt.Sprint(time.Now().UnixNano()),
	}).SignedString(circleKey)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Forge makes a token that looks like Circle's (future exp, a jti of its
// own) but is signed with the attacker's key.
func Forge(t *testing.T, n int) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"community_id": 1, "community_member_id": 100 + n, "exp": time.Now().Add(time.Hour).Unix(), "jti": fmt.Sprintf("forged-%d-%d", n, time.Now().UnixNano()),
	}).SignedString([]byte("attacker-key"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// memberOf returns the member a token Circle signed acts for, or false.
func memberOf(token string) (int64, bool) {
	var claims struct {
		CommunityMemberID int64 `json:"community_member_id"`
		jwt.RegisteredClaims
	}
	_, err := jwt.ParseWithClaims(token, &claims, func(*jwt.Token) (any, error) { return circleKey, nil }, jwt.WithValidMethods([]string{"HS256"}))
	return claims.CommunityMemberID, err == nil
}

func (c *Circle) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if strings.HasPrefix(r.URL.Path, "/api/v1/headless/") {
		c.mu.Lock()
		c.auth++
		c.mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer "+c.AppToken {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"message":"Your account could not be authenticated."}`)
			return
		}
		var body struct {
			CommunityMemberID int64 `json:"community_member_id"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		if r.URL.Path != "/api/v1/headless/auth_token" || body.CommunityMemberID == 0 {
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"message":"Not found."}`)
			return
		}
		tok, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
			"community_id": 1, "community_member_id": body.CommunityMemberID, "exp": time.Now().Add(time.Hour).Unix(), "jti": fmt.Sprint(time.Now().UnixNano()),
		}).SignedString(circleKey)
		exp := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "refresh_token": "refresh-" + fmt.Sprint(time.Now().UnixNano()),
			"access_token_expires_at": exp, "refresh_token_expires_at": exp, "community_member_id": body.CommunityMemberID, "community_id": 1})
		return
	}
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	member, ok := memberOf(token)
	c.mu.Lock()
	if ok {
		c.good++
	} else {
		c.forged[token]++
	}
	c.mu.Unlock()
	if !ok {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"message":"The access token is invalid."}`)
		return
	}
	path := strings.TrimPrefix(r.URL.Path, "/api/headless/v1")
	switch {
	case path == "/community_member":
		fmt.Fprintf(w, `{"id":%d,"user_id":%d,"name":"Member %d","roles":{"admin":false}}`, member, member+5000, member)
	case strings.HasPrefix(path, "/community_members/") && strings.HasSuffix(path, "/public_profile"):
		id, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(path, "/community_members/"), "/public_profile"), 10, 64)
		fmt.Fprintf(w, `{"id":%d,"name":"Profile %d","roles":{"admin":false}}`, id, id)
	default:
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"message":"Not found."}`)
	}
}

// Counts are the calls the double received.
type Counts struct {
	Forged       int // calls with forged tokens
	ForgedTokens int // distinct forged tokens that reached Circle
	MaxPerForged int // most calls one forged token made
	Good         int // calls with tokens Circle signed
	Auth         int // Auth API calls
}

// Counts returns what Circle received so far.
func (c *Circle) Counts() Counts {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := Counts{Good: c.good, Auth: c.auth, ForgedTokens: len(c.forged)}
	for _, k := range c.forged {
		n.Forged += k
		n.MaxPerForged = max(n.MaxPerForged, k)
	}
	return n
}

// Gateway is a running gateway binary.
type Gateway struct {
	Base string
	Logs *logbuf.Buffer
}

// Start runs the gateway binary against c with env added (JSON logs, a
// free port) until the test ends.
func Start(t *testing.T, c *Circle, env ...string) *Gateway {
	t.Helper()
	g, err := hx.Start(gatewayBinary(t), append([]string{"CIRCLE_API_URL=" + c.URL, "CIRCLE_HEADLESS_AUTH_TOKEN=" + c.AppToken}, env...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Kill)
	return &Gateway{Base: g.URL, Logs: g.Logs}
}

// Answer is a GraphQL answer with its HTTP status.
type Answer struct {
	Status int
	Data   json.RawMessage
	Errors []struct {
		Message    string
		Path       []any
		Extensions map[string]any
	}
}

// Codes counts the answer's errors by code.
func (a Answer) Codes() map[string]int {
	m := map[string]int{}
	for _, e := range a.Errors {
		c, _ := e.Extensions["code"].(string)
		m[c]++
	}
	return m
}

// RetryAfter is the first error's retryAfterSeconds (0 if none).
func (a Answer) RetryAfter() float64 {
	for _, e := range a.Errors {
		if s, ok := e.Extensions["retryAfterSeconds"].(float64); ok {
			return s
		}
	}
	return 0
}

// client has no keep-alive pool limits worth speaking of and a bound on
// every request.
var client = &http.Client{Timeout: 60 * time.Second}

// Do posts query with headers.
func (g *Gateway) Do(t *testing.T, headers map[string]string, query string, vars map[string]any) Answer {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, g.Base+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Error(err)
		return Answer{}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := Answer{Status: resp.StatusCode}
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Errorf("answer %d is not GraphQL JSON: %s", resp.StatusCode, raw)
	}
	return a
}

// Backends are the two ways a scenario runs: the budget in the gateway's
// memory, and shared through Redis (testenv.Redis: skipped on a developer
// machine without one, a failure under CI). With Redis the budget's Redis
// timeout is long, so that a loaded machine never makes the healthy Redis
// look slow and the counts stay exact.
func Backends(t *testing.T) map[string]func(*testing.T) []string {
	return map[string]func(*testing.T) []string{
		"memory": func(*testing.T) []string { return nil },
		"redis": func(t *testing.T) []string {
			return []string{"REDIS_URL=" + testenv.Redis(t), "REDIS_BUDGET_TIMEOUT=1m"}
		},
	}
}

// Bearer is the Authorization header of token.
func Bearer(token string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + token}
}
