package hostile

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	hx "github.com/circle-gateway/gateway/internal/hostile"
	"github.com/circle-gateway/gateway/relay"
)

// postRaw sends body as is to the gateway as the holder of token.
func postRaw(ctx context.Context, g *hx.Gateway, token, contentType, body string) (hx.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.URL+"/graphql", strings.NewReader(body))
	if err != nil {
		return hx.Response{}, err
	}
	req.Header.Set("Content-Type", contentType)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return hx.Response{}, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := hx.Response{Status: resp.StatusCode, Size: len(raw)}
	if err := json.Unmarshal(raw, &out); err != nil {
		return out, fmt.Errorf("answer %d is not GraphQL JSON: %.200s", resp.StatusCode, raw)
	}
	return out, nil
}

// Issue 14, items 5 and 6, against the built binary: each hostile request
// gets its code, at the upstream-call cost asserted (none for a request
// refused), and a member is served after each.
func TestHostileRequests(t *testing.T) {
	t.Parallel()
	d := hx.NewDouble()
	t.Cleanup(d.Close)
	g := startGateway(t, gatewayBinary(t), d)
	attacker, err := d.Token(d.Members()[1])
	if err != nil {
		t.Fatal(err)
	}
	member, err := d.Token(d.Members()[0])
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var vars, frags strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&vars, "$v%d: Int ", i)
	}
	for i := range 2000 {
		fmt.Fprintf(&frags, "fragment F%d on Member { id } ", i)
	}
	body := func(query string) string {
		b, _ := json.Marshal(map[string]string{"query": query})
		return string(b)
	}
	c49 := relay.EncodeCursor(49)
	tests := []struct {
		name        string
		contentType string
		body        string
		status      int
		codes       map[string]int // error codes of the answer, by count
		calls       int            // upstream calls it makes
		maxSize     int            // largest answer allowed, 0 for any
	}{
		{"3000 unused variables", "application/json", body("query(" + vars.String() + ") { me { id } }"), 422, map[string]int{"GRAPHQL_VALIDATION_FAILED": 21}, 0, 8 << 10},
		{"2000 unused fragments", "application/json", body("{ me { id } } " + frags.String()), 422, map[string]int{"GRAPHQL_VALIDATION_FAILED": 21}, 0, 8 << 10},
		{"the answer's media type as the request's", "application/graphql-response+json", body("{ me { id } }"), 415, map[string]int{"HTTP_415": 1}, 0, 0},
		{"a UTF-16 body", "application/json; charset=utf-16", body("{ me { id } }"), 415, map[string]int{"HTTP_415": 1}, 0, 0},
		{"two query keys", "application/json", `{"query": "{ me { id } }", "query": "mutation { revokeAccessToken }"}`, 400, map[string]int{"BAD_REQUEST": 1}, 0, 0},
		// Two pages per post: 41 calls, which the limit of 200 counts.
		{"misaligned cursors under the limit", "application/json", body(`{ homeFeed(first: 20) { nodes { comments(first: 60, after: "` + c49 + `") { totalCount } } } }`), 200, nil, 41, 0},
		// Counted as 1 + 100 × 2 = 201 > 200 (it was 101, and made 145
		// calls against the sandbox's 72 posts).
		{"misaligned cursors over the limit", "application/json", body(`{ homeFeed(first: 100) { nodes { comments(first: 60, after: "` + c49 + `") { totalCount } } } }`), 200, map[string]int{"COMPLEXITY_LIMIT_EXCEEDED": 1}, 0, 0},
		{"a 150-character search of two-byte characters", "application/json", body(`{ members(search: "` + strings.Repeat("é", 150) + `", first: 1) { totalCount } }`), 200, nil, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(d.Upstream.Calls())
			r, err := postRaw(ctx, g, attacker, tt.contentType, tt.body)
			if err != nil {
				t.Fatal(err)
			}
			codes := map[string]int{}
			for _, c := range r.Codes() {
				codes[c]++
			}
			if r.Status != tt.status || fmt.Sprint(codes) != fmt.Sprint(tt.codes) && !(len(codes) == 0 && len(tt.codes) == 0) {
				t.Fatalf("status %d codes %v, want %d %v: %+v", r.Status, codes, tt.status, tt.codes, r.Errors)
			}
			if tt.maxSize > 0 && r.Size > tt.maxSize {
				t.Fatalf("a %d-byte answer", r.Size)
			}
			if n := len(d.Upstream.Calls()) - before; n != tt.calls {
				t.Fatalf("%d upstream calls, want %d", n, tt.calls)
			}
			m, err := g.Post(ctx, nil, member, `{ me { name } }`, nil)
			if err != nil || len(m.Errors) > 0 {
				t.Fatalf("the member afterwards: %v %+v", err, m.Errors)
			}
		})
	}

	t.Run("a list answered with null, a negative count", func(t *testing.T) {
		d.Upstream.SetFault(func(r *http.Request) (int, string, bool) {
			switch {
			case r.Header.Get("Authorization") != "Bearer "+attacker:
			case strings.HasSuffix(r.URL.Path, "/spaces"):
				return http.StatusOK, `null`, true
			case strings.HasSuffix(r.URL.Path, "/comments"):
				return http.StatusOK, `{"page":1,"per_page":1,"has_next_page":false,"count":-5,"records":[]}`, true
			}
			return 0, "", false
		})
		defer d.Upstream.SetFault(nil)
		r, err := g.Post(ctx, nil, attacker, `{ spaces { id } homeFeed(first: 1) { nodes { comments(first: 1) { totalCount } } } }`, nil)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(r.Data), "-5") || len(r.Errors) != 2 || r.Errors[0].Code() != "INTERNAL_SERVER_ERROR" || r.Errors[1].Code() != "INTERNAL_SERVER_ERROR" {
			t.Fatalf("data %s errors %+v", r.Data, r.Errors)
		}
		if err := g.WaitFor(ctx, 20*time.Millisecond, func() (bool, error) {
			logs := g.Logs.String()
			return strings.Contains(logs, "decode response: the answer is null") && strings.Contains(logs, "negative count"), nil
		}); err != nil {
			t.Fatalf("the operator's log does not say what was wrong (%v):\n%s", err, g.Logs.String())
		}
	})
}

// Issue 14, item 6, against the binary: a wrong app token reaches the
// member as UPSTREAM_UNAVAILABLE with a log line for the operator; signIn
// by email takes only a JSON true email_verified; sandbox mode listens on
// loopback only.
func TestHostileConfigurations(t *testing.T) {
	t.Parallel()
	bin := gatewayBinary(t)
	bounded := func(t *testing.T) context.Context {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		t.Cleanup(cancel)
		return ctx
	}

	t.Run("a wrong app token", func(t *testing.T) {
		t.Parallel()
		ctx := bounded(t)
		d := hx.NewDouble()
		t.Cleanup(d.Close)
		g, err := hx.Start(bin, "CIRCLE_API_URL="+d.URL, "CIRCLE_HEADLESS_AUTH_TOKEN=not-the-community-token", "GATEWAY_SERVICE_KEY=hostile-service-key-0123456789")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(g.Kill)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, g.URL+"/graphql", strings.NewReader(`{"query":"mutation { createMemberToken(identity: {ssoUserId: \"demo-user\"}) { accessToken } }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Service-Key", "hostile-service-key-0123456789")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var r hx.Response
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
			t.Fatal(err)
		}
		if len(r.Errors) != 1 || r.Errors[0].Code() != "UPSTREAM_UNAVAILABLE" || !strings.Contains(r.Errors[0].Message, "app token") {
			t.Fatalf("errors %+v", r.Errors)
		}
		if err := g.WaitFor(ctx, 20*time.Millisecond, func() (bool, error) {
			return strings.Contains(g.Logs.String(), "CIRCLE_HEADLESS_AUTH_TOKEN is fixed"), nil
		}); err != nil {
			t.Fatalf("no operator log line: %v\n%s", err, g.Logs.String())
		}
	})

	t.Run("email_verified", func(t *testing.T) {
		t.Parallel()
		ctx := bounded(t)
		d := hx.NewDouble()
		t.Cleanup(d.Close)
		const secret = "an-hs256-secret-of-at-least-32-bytes!!"
		g := startGateway(t, bin, d, "ID_TOKEN_HS256_SECRET="+secret, "ID_TOKEN_IDENTITY_CLAIM=email")
		for _, v := range []any{0, "no", nil, "true", false, 1} {
			tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
				"sub": "x", "email": "demo@example.com", "email_verified": v, "exp": time.Now().Add(time.Minute).Unix(),
			}).SignedString([]byte(secret))
			if err != nil {
				t.Fatal(err)
			}
			before := len(d.Upstream.Calls())
			r, err := g.Post(ctx, nil, "", `mutation($t: String!) { signIn(idToken: $t) { accessToken } }`, map[string]any{"t": tok})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Errors) != 1 || r.Errors[0].Code() != "UNAUTHENTICATED" || !strings.Contains(r.Errors[0].Message, "not verified") {
				t.Fatalf("email_verified %#v: errors %+v", v, r.Errors)
			}
			if n := len(d.Upstream.Calls()) - before; n != 0 {
				t.Fatalf("email_verified %#v: %d upstream calls", v, n)
			}
		}
	})

	t.Run("sandbox mode on loopback", func(t *testing.T) {
		t.Parallel()
		g, err := hx.Start(bin)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(g.Kill)
		if host, _, err := net.SplitHostPort(g.Addr); err != nil || host != "127.0.0.1" {
			t.Fatalf("sandbox mode listens on %q", g.Addr)
		}
	})
}
