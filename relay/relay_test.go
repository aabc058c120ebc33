package relay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/circle-gateway/gateway/circle"
)

func ptr[T any](v T) *T { return &v }

func TestCursorRoundTrip(t *testing.T) {
	t.Parallel()
	for _, offset := range []int{0, 1, 19, 20, 99, 12345, MaxOffset - 1} {
		got, err := DecodeCursor(EncodeCursor(offset))
		if err != nil || got != offset {
			t.Errorf("DecodeCursor(EncodeCursor(%d)) = %d, %v", offset, got, err)
		}
	}
}

func TestDecodeCursorRejects(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]string{
		"empty":          "",
		"not base64":     "!!!",
		"plain number":   "20",
		"wrong prefix":   "eDE6MjA", // "x1:20"
		"negative":       EncodeRaw("o1:-1"),
		"leading zero":   EncodeRaw("o1:007"),
		"not digits":     EncodeRaw("o1:1e3"),
		"too deep":       EncodeRaw(fmt.Sprintf("o1:%d", MaxOffset)),
		"too long":       EncodeRaw("o1:1234567890123"),
		"huge input":     string(make([]byte, 10000)),
		"no digits":      EncodeRaw("o1:"),
		"std base64 pad": "bzE6MjA=",
	} {
		if _, err := DecodeCursor(c); !errors.Is(err, ErrBadArgument) {
			t.Errorf("%s: DecodeCursor(%q) error = %v, want ErrBadArgument", name, c, err)
		}
	}
}

func TestNewWindow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		first   *int
		after   *string
		want    Window
		wantErr bool
	}{
		{"defaults", nil, nil, Window{Offset: 0, Limit: 20}, false},
		{"zero", ptr(0), nil, Window{Offset: 0, Limit: 0}, false},
		{"max", ptr(100), nil, Window{Offset: 0, Limit: 100}, false},
		{"over max", ptr(101), nil, Window{}, true},
		{"negative", ptr(-1), nil, Window{}, true},
		{"after", ptr(5), ptr(EncodeCursor(9)), Window{Offset: 10, Limit: 5}, false},
		{"bad after", ptr(5), ptr("nope"), Window{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NewWindow(tt.first, tt.after)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrBadArgument) {
				t.Fatalf("err = %v, want ErrBadArgument", err)
			}
			if got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestPlan(t *testing.T) {
	t.Parallel()
	tests := []struct {
		w    Window
		want []PageRequest
	}{
		{Window{0, 20}, []PageRequest{{1, 20}}},
		{Window{20, 20}, []PageRequest{{2, 20}}},
		{Window{40, 20}, []PageRequest{{3, 20}}},
		{Window{5, 10}, []PageRequest{{1, 15}}},              // one bigger page covers [5,15)
		{Window{0, 0}, []PageRequest{{1, 1}}},                // probe for count / hasNext
		{Window{37, 0}, []PageRequest{{38, 1}}},              // probe at the offset
		{Window{99, 100}, []PageRequest{{1, 100}, {2, 100}}}, // no page size fits
	}
	for _, tt := range tests {
		if got := tt.w.Plan(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%+v.Plan() = %v, want %v", tt.w, got, tt.want)
		}
	}
}

// fakeList serves a list of n items numbered from 0 like Circle pages it.
type fakeList struct {
	n     int
	mu    sync.Mutex
	calls []PageRequest
}

func (f *fakeList) fetch(_ context.Context, p PageRequest) (*circle.Page[int], error) {
	f.mu.Lock()
	f.calls = append(f.calls, p)
	f.mu.Unlock()
	out := &circle.Page[int]{Page: p.Page, PerPage: p.PerPage, Count: f.n}
	start := (p.Page - 1) * p.PerPage
	for i := start; i < start+p.PerPage && i < f.n; i++ {
		out.Records = append(out.Records, i)
	}
	out.HasNextPage = start+p.PerPage < f.n
	return out, nil
}

func TestFetchWindows(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		n         int
		w         Window
		wantItems []int
		wantNext  bool
		wantCalls int
	}{
		{"first page", 45, Window{0, 20}, seq(0, 20), true, 1},
		{"last page", 45, Window{40, 20}, seq(40, 45), false, 1},
		{"exact end", 40, Window{20, 20}, seq(20, 40), false, 1},
		{"straddling in one bigger page", 45, Window{5, 10}, seq(5, 15), true, 1},
		{"straddling two pages", 300, Window{99, 100}, seq(99, 199), true, 2},
		{"past the end", 10, Window{20, 5}, nil, false, 1},
		{"empty window with items after", 10, Window{3, 0}, nil, true, 1},
		{"empty window at the end", 10, Window{10, 0}, nil, false, 1},
		{"empty list", 0, Window{0, 20}, nil, false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeList{n: tt.n}
			res, err := Fetch(context.Background(), tt.w, f.fetch)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(res.Items, tt.wantItems) {
				t.Errorf("items = %v, want %v", res.Items, tt.wantItems)
			}
			if res.HasNext != tt.wantNext {
				t.Errorf("HasNext = %v, want %v", res.HasNext, tt.wantNext)
			}
			if res.Total != tt.n {
				t.Errorf("Total = %d, want %d", res.Total, tt.n)
			}
			if len(f.calls) != tt.wantCalls {
				t.Errorf("upstream calls = %d (%v), want %d", len(f.calls), f.calls, tt.wantCalls)
			}
			if res.HasPrevious() != (tt.w.Offset > 0) {
				t.Errorf("HasPrevious = %v", res.HasPrevious())
			}
		})
	}
}

// Walking a list with the same first costs exactly one call per page and
// visits every item once.
func TestWalkOneCallPerPage(t *testing.T) {
	t.Parallel()
	for _, first := range []int{1, 3, 7, 20, 100} {
		f := &fakeList{n: 95}
		var seen []int
		var after *string
		pages := 0
		for {
			w, err := NewWindow(&first, after)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Fetch(context.Background(), w, f.fetch)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			seen = append(seen, res.Items...)
			if !res.HasNext {
				break
			}
			c := res.Cursor(len(res.Items) - 1)
			after = &c
		}
		if !reflect.DeepEqual(seen, seq(0, 95)) {
			t.Errorf("first=%d: walked %v", first, seen)
		}
		if len(f.calls) != pages {
			t.Errorf("first=%d: %d calls for %d pages", first, len(f.calls), pages)
		}
	}
}

func TestFetchError(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	_, err := Fetch(context.Background(), Window{0, 5}, func(context.Context, PageRequest) (*circle.Page[int], error) { return nil, boom })
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
}

func FuzzDecodeCursor(f *testing.F) {
	for _, s := range []string{EncodeCursor(0), EncodeCursor(42), "", "bzE6", "!!", EncodeRaw("o1:-5")} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		offset, err := DecodeCursor(s)
		if err != nil {
			if !errors.Is(err, ErrBadArgument) {
				t.Fatalf("error %v does not wrap ErrBadArgument", err)
			}
			return
		}
		if offset < 0 || offset >= MaxOffset {
			t.Fatalf("offset %d out of range", offset)
		}
		if EncodeCursor(offset) != s {
			t.Fatalf("cursor %q decodes to %d which encodes differently", s, offset)
		}
	})
}

func seq(from, to int) []int {
	var out []int
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

// A panicking fetch of one of two pages fails the window, not the process.
func TestFetchPanicBecomesError(t *testing.T) {
	t.Parallel()
	_, err := Fetch(context.Background(), Window{99, 100}, func(_ context.Context, p PageRequest) (*circle.Page[int], error) {
		if p.Page == 2 {
			panic("bug in a fetch")
		}
		return &circle.Page[int]{}, nil
	})
	if err == nil || !strings.Contains(err.Error(), "bug in a fetch") {
		t.Fatalf("err = %v", err)
	}
}

// The query limits read connection arguments as gqlgen decodes them from a
// document and its variables; the verdict is NewWindow's.
func TestWindowFromArguments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    map[string]any
		want    Window
		message string // of the *ArgumentError, when refused
	}{
		{"none", map[string]any{}, Window{Limit: DefaultFirst}, ""},
		{"literal", map[string]any{"first": int64(5)}, Window{Limit: 5}, ""},
		{"int", map[string]any{"first": 7}, Window{Limit: 7}, ""},
		{"json number", map[string]any{"first": json.Number("9")}, Window{Limit: 9}, ""},
		{"float", map[string]any{"first": float64(3)}, Window{Limit: 3}, ""},
		{"numeric string", map[string]any{"first": "12"}, Window{Limit: 12}, ""},
		{"null", map[string]any{"first": nil, "after": nil}, Window{Limit: DefaultFirst}, ""},
		{"after", map[string]any{"first": int64(2), "after": EncodeCursor(3)}, Window{Offset: 4, Limit: 2}, ""},
		{"over the maximum", map[string]any{"first": int64(101)}, Window{}, "`first` must be between 0 and 100, got 101"},
		{"numeric string over the maximum", map[string]any{"first": "1000"}, Window{}, "`first` must be between 0 and 100, got 1000"},
		{"bad cursor", map[string]any{"after": "x"}, Window{}, "`after` is not a cursor this API returned"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := WindowFromArguments(tt.args)
			if tt.message == "" {
				if err != nil || got != tt.want {
					t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
				}
				return
			}
			var ae *ArgumentError
			if !errors.As(err, &ae) || ae.Message != tt.message || !errors.Is(err, ErrBadArgument) {
				t.Fatalf("err = %v, want an *ArgumentError saying %q", err, tt.message)
			}
			if err.Error() != ErrBadArgument.Error()+": "+tt.message {
				t.Fatalf("Error() = %q", err.Error())
			}
		})
	}
}
