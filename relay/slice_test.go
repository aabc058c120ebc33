package relay

import (
	"context"
	"reflect"
	"testing"

	"github.com/circle-gateway/gateway/circle"
)

// Slice gives what Fetch gives over the same list: a connection served
// from embedded records pages exactly like a fetched one.
func TestSliceMatchesFetch(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, 5, 23} {
		all := make([]int, n)
		for i := range all {
			all[i] = 100 + i
		}
		fetch := func(_ context.Context, p PageRequest) (*circle.Page[int], error) {
			start := min((p.Page-1)*p.PerPage, n)
			end := min(start+p.PerPage, n)
			return &circle.Page[int]{Page: p.Page, PerPage: p.PerPage, HasNextPage: end < n, Count: n, Records: all[start:end]}, nil
		}
		for _, w := range []Window{{0, 0}, {0, 1}, {0, 5}, {3, 5}, {5, 5}, {2, 20}, {22, 1}, {23, 4}, {40, 3}} {
			want, err := Fetch(context.Background(), w, fetch)
			if err != nil {
				t.Fatal(err)
			}
			got := Slice(w, all)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%d items, window %+v: Slice %+v, Fetch %+v", n, w, got, want)
			}
		}
	}
}
