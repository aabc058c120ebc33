package circle

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
)

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
	// What the next call reading into this buffer would do.
	all := buf[:cap(buf)]
	for i := range all {
		all[i] = 'x'
	}
	var fresh Page[Post]
	if err := json.Unmarshal(want, &fresh); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, fresh) {
		t.Fatalf("the decoded page changed when its buffer was overwritten:\n%+v\nwant\n%+v", got.Records[0], fresh.Records[0])
	}
}

// Only an answer nothing else holds gives its buffer back: one the response
// cache keeps is read again later.
func TestOnlyUncachedAnswersGiveTheirBufferBack(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":101,"name":"Ava"}`)
	}))
	t.Cleanup(srv.Close)
	for _, tc := range []struct {
		name  string
		cache ResponseCache
		owned bool
	}{
		{"no cache", nil, true},
		{"cached", keepAll{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(srv.URL, WithResponseCache(tc.cache))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := c.Member("tok").Fetch(context.Background(), GetRequest{Endpoint: "GET /community_member", Target: "/community_member"})
			if err != nil {
				t.Fatal(err)
			}
			if owned := resp.buffers != nil; owned != tc.owned {
				t.Fatalf("buffer given back once decoded: %v, want %v", owned, tc.owned)
			}
		})
	}
}

// keepAll is a response cache that keeps nothing but says it would: enough
// for Fetch to treat the body as held elsewhere.
type keepAll struct{}

func (keepAll) Get(context.Context, CacheKey) ([]byte, uint64, bool) { return nil, 0, false }
func (keepAll) Put(context.Context, CacheKey, uint64, []byte)        {}
func (keepAll) Forget(context.Context, string) error                 { return nil }
