package circle

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
)

// scribble overwrites the whole capacity of buf, as a later call reading
// into the same buffer would.
func scribble(buf []byte) {
	all := buf[:cap(buf)]
	for i := range all {
		all[i] = 'x'
	}
}

func TestBufferClasses(t *testing.T) {
	t.Parallel()
	b := newBuffers()
	for _, tc := range []struct {
		n, cap int
	}{
		{0, 4 << 10},
		{1, 4 << 10},
		{4 << 10, 4 << 10},
		{4<<10 + 1, 8 << 10},
		{37_001, 64 << 10},
		{1 << 20, 1 << 20},
		{1<<20 + 1, 1<<20 + 1}, // past the largest class: a buffer of its own
	} {
		if got := cap(b.get(tc.n)); got != tc.cap {
			t.Errorf("get(%d): capacity %d, want %d", tc.n, got, tc.cap)
		}
	}
	if n := len(b.byClass); n != 9 {
		t.Errorf("%d classes, want 9 (4 KiB to 1 MiB)", n)
	}
	// A buffer whose capacity is not a class's is never handed out.
	b.put(make([]byte, 0, 5000))
	for range 10 {
		if got := cap(b.get(5000)); got != 8<<10 {
			t.Fatalf("get(5000) after putting a 5000-byte buffer: capacity %d", got)
		}
	}
}

// The decoded answer owns nothing of the buffer it was read into: once the
// buffer is handed on, whatever the next answer writes into it leaves the
// first answer as it was.
func TestDecodedAnswerOutlivesItsBuffer(t *testing.T) {
	t.Parallel()
	c := &Client{buffers: newBuffers()}
	want := page(20)
	buf := c.buffers.get(len(want))
	buf = append(buf, want...)
	r := c.ownedResponse(buf)
	var got Page[Post]
	if err := r.DecodeInto(&got); err != nil {
		t.Fatal(err)
	}
	scribble(buf) // what the next call reading into this buffer would do
	var fresh Page[Post]
	if err := json.Unmarshal(want, &fresh); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, fresh) {
		t.Fatalf("the decoded page changed when its buffer was overwritten:\n%+v\nwant\n%+v", got.Records[0], fresh.Records[0])
	}
}

// The response cache keeps a copy of its own: the answer's buffer is
// handed on once decoded, whatever the cache does with what it was given.
func TestCacheKeepsACopyOfItsOwn(t *testing.T) {
	t.Parallel()
	const answer = `{"id":101,"name":"Ava"}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, answer)
	}))
	t.Cleanup(srv.Close)
	kept := &keeper{}
	c, err := New(srv.URL, WithResponseCache(kept))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Member("tok").Fetch(context.Background(), GetRequest{Endpoint: "GET /community_member", Target: "/community_member"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.buffers == nil {
		t.Fatal("the answer does not give its buffer back")
	}
	scribble(resp.body) // what the next call reading into it would do
	if string(kept.body) != answer {
		t.Fatalf("the cache keeps %q, want %q", kept.body, answer)
	}
}

// keeper is a response cache that remembers the last body it was given.
type keeper struct{ body []byte }

func (*keeper) Get(context.Context, CacheKey) ([]byte, uint64, bool) { return nil, 0, false }
func (k *keeper) Put(_ context.Context, _ CacheKey, _ uint64, body []byte) {
	k.body = body
}
func (*keeper) Forget(context.Context, string) error { return nil }

// Answers read at the same time, in growing buffers (no Content-Length),
// each keep their own bytes until decoded: a buffer goes back to the pool
// only once nothing reads it.
func TestAnswersReadTogetherKeepTheirBytes(t *testing.T) {
	t.Parallel()
	pages := map[string][]byte{}
	for i, n := range []int{300, 600, 900} { // about 100, 200 and 300 KB
		pages[fmt.Sprintf("/home?page=%d", i+1)] = page(n)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := pages[r.URL.RequestURI()[len("/api/headless/v1"):]]
		w.Header().Set("Content-Type", "application/json")
		for len(body) > 0 { // flushed in pieces: chunked, no Content-Length
			n := min(len(body), 16<<10)
			_, _ = w.Write(body[:n])
			w.(http.Flusher).Flush()
			body = body[n:]
		}
	}))
	t.Cleanup(srv.Close)
	c, err := New(srv.URL, WithCoalescing(false))
	if err != nil {
		t.Fatal(err)
	}
	api := c.Member("tok")
	resps := map[string]*Response{}
	for target := range pages {
		resp, err := api.Fetch(context.Background(), GetRequest{Endpoint: "GET /home", Target: target})
		if err != nil {
			t.Fatal(err)
		}
		resps[target] = resp
	}
	for target, resp := range resps {
		var got, want Page[Post]
		if err := resp.DecodeInto(&got); err != nil {
			t.Fatalf("%s: %v", target, err)
		}
		if err := json.Unmarshal(pages[target], &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: the decoded page is not the one Circle sent", target)
		}
	}
}

// A body that failed to decode keeps its buffer: the next caller decodes
// the same bytes.
func TestFailedDecodeKeepsTheBytes(t *testing.T) {
	t.Parallel()
	c := &Client{buffers: newBuffers()}
	const answer = `{"id":"not a number","name":"Ava"}`
	buf := append(c.buffers.get(len(answer)), answer...)
	r := c.ownedResponse(buf)
	var wrong struct{ ID int64 }
	if err := r.DecodeInto(&wrong); err == nil {
		t.Fatal("decoding a string id as a number should fail")
	}
	for range 4 { // what later calls would do with a buffer handed back
		b := c.buffers.get(len(answer))
		scribble(b)
		c.buffers.put(b)
	}
	var got map[string]any
	if err := r.DecodeInto(&got); err != nil {
		t.Fatal(err)
	}
	if got["name"] != "Ava" || got["id"] != "not a number" {
		t.Fatalf("after a failed decode: %v", got)
	}
}
