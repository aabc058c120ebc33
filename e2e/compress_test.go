package e2e

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/circle-gateway/gateway/internal/testenv"
	"github.com/circle-gateway/gateway/transport"
)

// Answers of 1 KiB or more are gzipped for clients that accept it
// (RESPONSE_COMPRESSION), in both GraphQL media types, and decompress to
// exactly the answer sent without it; only gzip, even to a client that
// offers zstd; small answers, clients that do not ask for gzip, SSE
// streams and a gateway with compression off get the bytes as they are.
func TestAnswersAreGzippedForClientsThatAccept(t *testing.T) {
	t.Parallel()
	on := testenv.New(t, testenv.Options{Transport: transport.Options{Compression: true}})
	off := testenv.New(t, testenv.Options{})
	const feed = `{ homeFeed(first: 20) { nodes { title author { name } comments(first: 3) { nodes { bodyText } } } } }`
	// A client that never asks for gzip itself (net/http would, and then
	// decompress out of sight): each request says what it accepts.
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	t.Cleanup(client.CloseIdleConnections)
	send := func(env *testenv.Env, method, query, accept, encoding string) *http.Response {
		t.Helper()
		var req *http.Request
		if method == http.MethodGet {
			req, _ = http.NewRequestWithContext(t.Context(), method, env.URL+"/graphql?"+url.Values{"query": {query}}.Encode(), nil)
		} else {
			body, _ := json.Marshal(map[string]string{"query": query})
			req, _ = http.NewRequestWithContext(t.Context(), method, env.URL+"/graphql", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Authorization", "Bearer "+env.DemoToken(t))
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		if encoding != "" {
			req.Header.Set("Accept-Encoding", encoding)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	plain, err := io.ReadAll(send(on, http.MethodPost, feed, "", "").Body)
	if err != nil || len(plain) < 2048 {
		t.Fatalf("the feed answer without compression: %d bytes, %v; too small to show compression", len(plain), err)
	}
	for _, tc := range []struct {
		name     string
		env      *testenv.Env
		method   string
		query    string
		accept   string
		encoding string
		gzipped  bool
	}{
		{"a feed page, gzip accepted", on, http.MethodPost, feed, "", "gzip, deflate, br", true},
		{"what a browser accepts: gzip, not zstd", on, http.MethodPost, feed, "", "gzip, deflate, br, zstd", true},
		{"the graphql-response+json media type", on, http.MethodPost, feed, "application/graphql-response+json", "gzip", true},
		{"the same over GET", on, http.MethodGet, feed, "", "gzip", true},
		{"gzip not accepted", on, http.MethodPost, feed, "", "", false},
		{"only brotli and zstd accepted", on, http.MethodPost, feed, "", "br, zstd", false},
		{"a small answer", on, http.MethodPost, `{ me { name } }`, "", "gzip", false},
		{"compression off", off, http.MethodPost, feed, "", "gzip", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := send(tc.env, tc.method, tc.query, tc.accept, tc.encoding)
			raw, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			got := raw
			if enc := resp.Header.Get("Content-Encoding"); enc == "gzip" {
				zr, err := gzip.NewReader(bytes.NewReader(raw))
				if err != nil {
					t.Fatal(err)
				}
				if got, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
			} else if enc != "" {
				t.Fatalf("Content-Encoding %q", enc)
			}
			if gzipped := resp.Header.Get("Content-Encoding") == "gzip"; gzipped != tc.gzipped {
				t.Fatalf("gzipped: %v, want %v (%d bytes)", gzipped, tc.gzipped, len(raw))
			}
			if tc.gzipped && len(raw) >= len(got)/2 {
				t.Errorf("%d bytes gzipped to %d", len(got), len(raw))
			}
			want := tc.accept
			if want == "" {
				want = "application/json"
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, want) {
				t.Errorf("Content-Type %q, want %s", ct, want)
			}
			if tc.query == feed && !bytes.Equal(got, plain) {
				t.Fatalf("the answer differs from the one sent without compression:\n%s\nwant\n%s", got, plain)
			}
			if tc.env == on && !strings.Contains(strings.Join(resp.Header.Values("Vary"), ","), "Accept-Encoding") && tc.query == feed {
				t.Errorf("Vary %q lacks Accept-Encoding: a cache would serve gzip to a client that cannot read it", resp.Header.Values("Vary"))
			}
		})
	}

	// An SSE stream goes by the compression altogether. (gzhttp would send
	// it uncompressed even without that, as the transport flushes every
	// event; this pins the result, not the bypass.)
	t.Run("an SSE stream", func(t *testing.T) {
		resp := send(on, http.MethodPost, `subscription { notificationReceived { text } }`, "text/event-stream", "gzip")
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") || resp.Header.Get("Content-Encoding") != "" {
			t.Fatalf("Content-Type %q, Content-Encoding %q: want an uncompressed event stream", ct, resp.Header.Get("Content-Encoding"))
		}
	})
}
