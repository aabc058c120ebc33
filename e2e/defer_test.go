package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/circle-gateway/gateway/internal/testenv"
)

// @defer is ignored: a deferred fragment's fields come in the one answer,
// exactly as without the directive, over HTTP and over a WebSocket; the
// answer never says "hasNext" (the client would wait for payloads that
// cannot come). Before, the deferred fields were null and lost.
func TestDeferredFragmentsComeInTheOneAnswer(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	const plain = `{ homeFeed(first: 3) { nodes { title author { name } space { name } } } }`
	want, _ := postRaw(t, env, tok, plain)
	if !bytes.Contains(want, []byte(`"author":{"name":`)) {
		t.Fatalf("the query without @defer: %s", want)
	}
	for _, tc := range []struct{ name, query string }{
		{"inline fragment", `{ homeFeed(first: 3) { nodes { title ... @defer { author { name } } space { name } } } }`},
		{"labelled, beside @include", `{ homeFeed(first: 3) { nodes { title ... @defer(label: "who", if: true) @include(if: true) { author { name } } space { name } } } }`},
		{"fragment spread", `{ homeFeed(first: 3) { nodes { title ...Who @defer space { name } } } } fragment Who on Post { author { name } }`},
		{"inside a fragment", `{ homeFeed(first: 3) { ...Feed } } fragment Feed on PostConnection { nodes { title ... @defer { author { name } } space { name } } }`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, status := postRaw(t, env, tok, tc.query)
			if status != http.StatusOK || !bytes.Equal(got, want) {
				t.Fatalf("status %d, answer\n%s\nwant the answer without @defer\n%s", status, got, want)
			}
		})
	}

	t.Run("over a WebSocket", func(t *testing.T) {
		c := dialWS(t, env, tok)
		if err := c.Subscribe(bounded(t), "1", `{ homeFeed(first: 3) { nodes { title ... @defer { author { name } } space { name } } } }`, nil); err != nil {
			t.Fatal(err)
		}
		next, err := c.Next(bounded(t))
		if err != nil {
			t.Fatal(err)
		}
		if next.Type != "next" || strings.Contains(string(next.Payload), "hasNext") {
			t.Fatalf("first message %s %s", next.Type, next.Payload)
		}
		var data, plainData struct{ Data json.RawMessage }
		if err := json.Unmarshal(next.Payload, &data); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(want, &plainData); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(data.Data, plainData.Data) {
			t.Fatalf("data %s, want %s", data.Data, plainData.Data)
		}
		if done, err := c.Next(bounded(t)); err != nil || done.Type != "complete" {
			t.Fatalf("after the answer: %+v, %v; want complete", done, err)
		}
	})
}
