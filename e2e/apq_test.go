package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/circle-gateway/gateway/apq"
	"github.com/circle-gateway/gateway/internal/testenv"
	"github.com/circle-gateway/gateway/transport"
)

const apqQuery = `query APQFeed { homeFeed(first: 2) { nodes { id title } } }`

func apqHash() string {
	sum := sha256.Sum256([]byte(apqQuery))
	return hex.EncodeToString(sum[:])
}

// sendAPQ posts an APQ request: the hash, with the query text or without.
func sendAPQ(t *testing.T, env *testenv.Env, token string, withQuery bool) testenv.Response {
	t.Helper()
	body := map[string]any{"extensions": map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": apqHash()}}}
	if withQuery {
		body["query"] = apqQuery
	}
	return postBody(t, env, token, body)
}

// postBody posts a GraphQL request body as given (extensions included).
func postBody(t *testing.T, env *testenv.Env, token string, body map[string]any) testenv.Response {
	t.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, env.URL+"/graphql", strings.NewReader(string(raw)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	out := testenv.Response{Status: resp.StatusCode}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	return out
}

// getAPQ runs a registered query by hash over GET, as CDNs like.
func getAPQ(t *testing.T, env *testenv.Env, token string) testenv.Response {
	t.Helper()
	ext, _ := json.Marshal(map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": apqHash()}})
	req, _ := http.NewRequest(http.MethodGet, env.URL+"/graphql?extensions="+url.QueryEscape(string(ext)), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := testenv.Response{Status: resp.StatusCode}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return out
}

func TestAPQInMemory(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	if r := sendAPQ(t, env, tok, false); len(r.Errors) != 1 || r.Errors[0].Message != "PersistedQueryNotFound" {
		t.Fatalf("unknown hash: %+v", r.Errors)
	}
	mustNoErrors(t, sendAPQ(t, env, tok, true))
	mustNoErrors(t, sendAPQ(t, env, tok, false))
	mustNoErrors(t, getAPQ(t, env, tok))
}

// With REDIS_URL, a query registered through one gateway process runs by
// hash alone through another: replicas share persisted queries.
func TestAPQSharedThroughRedis(t *testing.T) {
	t.Parallel()
	redisURL := testenv.Redis(t)
	opts, err := redis.ParseURL(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	// A key space of its own per run: REDIS_URL may be long-lived.
	prefix := testenv.RedisScope(t) + ":"
	newStore := func() *apq.Redis {
		c := redis.NewClient(opts)
		t.Cleanup(func() { _ = c.Close() })
		return apq.NewRedis(c, prefix, apq.DefaultTTL, slog.Default())
	}
	a := testenv.New(t, testenv.Options{Transport: transport.Options{APQCache: newStore()}})
	b := testenv.New(t, testenv.Options{Transport: transport.Options{APQCache: newStore()}})
	tok := a.DemoToken(t)
	tokB := b.DemoToken(t)

	if r := sendAPQ(t, b, tokB, false); len(r.Errors) != 1 || r.Errors[0].Message != "PersistedQueryNotFound" {
		t.Fatalf("before registration: %+v", r.Errors)
	}
	mustNoErrors(t, sendAPQ(t, a, tok, true)) // registered through A
	r := sendAPQ(t, b, tokB, false)           // runs by hash through B
	mustNoErrors(t, r)
	var got struct {
		HomeFeed struct{ Nodes []struct{ ID string } }
	}
	r.Decode(t, &got)
	if len(got.HomeFeed.Nodes) != 2 {
		t.Fatalf("B answered %s", r.Data)
	}
	mustNoErrors(t, getAPQ(t, b, tokB))
}

// A Redis that goes away does not fail requests: the client just sends the
// full query again.
func TestAPQRedisDownDegrades(t *testing.T) {
	t.Parallel()
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	t.Cleanup(func() { _ = c.Close() })
	env := testenv.New(t, testenv.Options{Transport: transport.Options{APQCache: apq.NewRedis(c, "x:", 0, slog.Default())}})
	tok := env.DemoToken(t)
	mustNoErrors(t, sendAPQ(t, env, tok, true))
	if r := sendAPQ(t, env, tok, false); len(r.Errors) != 1 || r.Errors[0].Message != "PersistedQueryNotFound" {
		t.Fatalf("%+v", r.Errors)
	}
}

// Anyone can register a persisted query, so one over apq.MaxQueryBytes runs
// but is not kept: the in-memory store stays within its byte budget however
// many large queries arrive.
func TestAPQKeepsNoHugeQuery(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	query := "query Big { me { id } }\n# " + strings.Repeat("a", apq.MaxQueryBytes) + "\n"
	sum := sha256.Sum256([]byte(query))
	ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}
	mustNoErrors(t, postBody(t, env, tok, map[string]any{"query": query, "extensions": ext}))
	if r := postBody(t, env, tok, map[string]any{"extensions": ext}); len(r.Errors) != 1 || r.Errors[0].Message != "PersistedQueryNotFound" {
		t.Fatalf("the huge query was kept: %+v", r.Errors)
	}
}
