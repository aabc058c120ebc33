package e2e

import (
	"net/http"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/internal/testenv"
)

// A hung upstream fails each call by its timeout, the operation answers
// UPSTREAM_UNAVAILABLE, and nothing is left running afterwards: every
// goroutine an operation starts (loaders, fan-out, HTTP calls) ends with it.
// Not parallel: it counts goroutines.
func TestHungUpstreamLeavesNoGoroutines(t *testing.T) {
	env := testenv.New(t, testenv.Options{ClientOptions: []circle.Option{circle.WithTimeout(100 * time.Millisecond), circle.WithMaxRetries(0)}})
	tok := env.DemoToken(t)
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	query := `{ homeFeed(first: 5) { nodes { comments(first: 2) { nodes { id } } author { bio } space { url } } } me { id } }`

	// Warm up the connection pools and caches, so that the baseline holds
	// what outlives operations by design. Whether this run's calls beat
	// the 100 ms timeout on a loaded machine does not matter here: what is
	// asserted is the hung runs below.
	env.Do(t, tok, query, nil)
	http.DefaultClient.CloseIdleConnections()
	baseline := goleak.IgnoreCurrent()

	env.Upstream.SetDelay(time.Hour) // Circle stops answering
	for i := 0; i < 10; i++ {
		r := env.DoClient(t, client, tok, query)
		mustOnlyCode(t, r, "UPSTREAM_UNAVAILABLE")
	}
	env.Upstream.SetDelay(0)
	goleak.VerifyNone(t, baseline,
		// The gateway's pooled idle connections to the upstream may stay
		// open between operations by design; they are not per-operation.
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
	)
}
