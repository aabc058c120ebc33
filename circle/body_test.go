package circle

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/circle-gateway/gateway/memcap"
)

// sized answers GET /spaces/{n}/posts with a valid page of about n bytes
// (a post title padded to size), with or without Content-Length.
func sized(chunked bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		parts := strings.Split(r.URL.Path, "/")
		n, _ := strconv.Atoi(parts[len(parts)-2])
		body := `{"page":1,"per_page":1,"has_next_page":false,"count":1,"records":[{"id":1,"name":"` + strings.Repeat("x", max(n-100, 0)) + `"}]}`
		if !chunked {
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}
}

// readOf fetches a page of about n bytes in the operation of ctx.
func readOf(ctx context.Context, c *Client, n int) error {
	_, err := c.Member("tok").SpacePosts(ctx, int64(n), ListParams{Page: 1, PerPage: 1})
	return err
}

func capScope(err error) memcap.Scope {
	var e *memcap.Error
	if errors.As(err, &e) {
		return e.Scope
	}
	return 0
}

// Each cap refuses the answer that would cross it, and the call is not
// retried; answers under it are read whole. An answer of unknown length
// is charged at most a quarter more than its size (the buffer it grows
// into).
func TestReadCaps(t *testing.T) {
	t.Parallel()
	const mb = 1 << 20
	for _, chunked := range []bool{false, true} {
		t.Run("chunked="+strconv.FormatBool(chunked), func(t *testing.T) {
			t.Parallel()
			t.Run("one answer over the per-call cap", func(t *testing.T) {
				t.Parallel()
				c, calls := newTestClient(t, sized(chunked))
				ctx, acct := memcap.NewPool(memcap.Limits{}).Start(context.Background())
				defer acct.End()
				var tooLarge *BodyTooLargeError
				if err := readOf(ctx, c, DefaultMaxBody+1000); !errors.As(err, &tooLarge) {
					t.Fatalf("err = %v, want the per-call cap", err)
				}
				if calls.Load() != 1 {
					t.Fatalf("%d calls, want 1 (no retry)", calls.Load())
				}
				if err := readOf(ctx, c, DefaultMaxBody-1000); err != nil {
					t.Fatalf("an answer under the cap: %v", err)
				}
			})
			t.Run("an operation over its read cap", func(t *testing.T) {
				t.Parallel()
				c, calls := newTestClient(t, sized(chunked))
				pool := memcap.NewPool(memcap.Limits{MaxReadBytes: 3 * mb})
				ctx, acct := pool.Start(context.Background())
				if err := readOf(ctx, c, 2*mb); err != nil {
					t.Fatal(err)
				}
				if err := readOf(ctx, c, 2*mb); capScope(err) != memcap.ScopeRead {
					t.Fatalf("err = %v, want the read cap", err)
				}
				// Once over, the operation sends nothing more.
				if err := readOf(ctx, c, 1000); capScope(err) != memcap.ScopeRead {
					t.Fatalf("err = %v after the cap, want the read cap", err)
				}
				if calls.Load() != 2 {
					t.Fatalf("%d calls, want 2", calls.Load())
				}
				if u := acct.End(); u.Read < 2*mb-1000 || u.Read > 3*mb {
					t.Fatalf("the operation read %d bytes", u.Read)
				}
				ctx2, acct2 := pool.Start(context.Background())
				defer acct2.End()
				if err := readOf(ctx2, c, 2*mb); err != nil {
					t.Fatalf("the next operation: %v", err)
				}
			})
			t.Run("operations together over the process cap", func(t *testing.T) {
				t.Parallel()
				c, _ := newTestClient(t, sized(chunked))
				pool := memcap.NewPool(memcap.Limits{MaxBytesInFlight: 2 * mb})
				a, acctA := pool.Start(context.Background())
				if err := readOf(a, c, memcap.Allowance+mb); err != nil {
					t.Fatal(err)
				}
				b, acctB := pool.Start(context.Background())
				if err := readOf(b, c, memcap.Allowance+mb*3/2); capScope(err) != memcap.ScopeProcess {
					t.Fatalf("err = %v, want the process cap", err)
				}
				// An operation within its allowance is served meanwhile.
				small, acctSmall := pool.Start(context.Background())
				if err := readOf(small, c, memcap.Allowance/2); err != nil {
					t.Fatalf("a small operation was refused: %v", err)
				}
				acctSmall.End()
				if held := pool.Held(); held < mb-1000 || held > 2*mb {
					t.Fatalf("held %d bytes", held)
				}
				acctA.End()
				acctB.End()
				if held := pool.Held(); held != 0 {
					t.Fatalf("%d bytes still held after every operation ended", held)
				}
				again, acctAgain := pool.Start(context.Background())
				defer acctAgain.End()
				if err := readOf(again, c, memcap.Allowance+mb*3/2); err != nil {
					t.Fatalf("after the others ended: %v", err)
				}
			})
		})
	}
}

// A write's answer and a GET outside any operation are capped per call
// only.
func TestReadCapsSpareWrites(t *testing.T) {
	t.Parallel()
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":5,"name":"` + strings.Repeat("x", 3000) + `"}`))
	})
	pool := memcap.NewPool(memcap.Limits{MaxReadBytes: 1000, MaxBytesInFlight: 1})
	ctx, acct := pool.Start(context.Background())
	defer acct.End()
	var out struct{ ID int64 }
	if err := c.Member("tok").write(ctx, http.MethodPost, "/spaces/{id}/join", "/spaces/5/join", nil, &out); err != nil || out.ID != 5 {
		t.Fatalf("write: %v %+v", err, out)
	}
	if _, err := c.Member("tok").Space(context.Background(), 5); err != nil {
		t.Fatalf("GET outside an operation: %v", err)
	}
}
