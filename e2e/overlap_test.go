package e2e

import (
	"sync"
	"testing"

	"github.com/circle-gateway/gateway/internal/testenv"
)

// The verdict on fields that cannot be merged is remembered per query text
// and each request gets a copy of its own: the error presenter writes into
// the error it is given, so requests sending the same text at once once
// wrote into one map together (under -race this test caught it; in
// production, a concurrent map write ends the process).
func TestSameUnmergeableQueryAtOnce(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	const query = `{ me { x: name x: id } }`
	first := env.Do(t, tok, query, nil)
	mustOnlyCode(t, first, "GRAPHQL_VALIDATION_FAILED")
	var wg sync.WaitGroup
	answers := make([]testenv.Response, 40)
	for i := range answers {
		wg.Go(func() { answers[i] = env.Do(t, tok, query, nil) })
	}
	wg.Wait()
	for _, r := range answers {
		mustOnlyCode(t, r, "GRAPHQL_VALIDATION_FAILED")
		if r.Errors[0].Message != first.Errors[0].Message {
			t.Fatalf("message %q, the first request got %q", r.Errors[0].Message, first.Errors[0].Message)
		}
	}
	if calls := len(env.Upstream.Calls()); calls != 0 {
		t.Fatalf("%d upstream calls for operations refused before they ran", calls)
	}
}
