package relay

import (
	"errors"
	"fmt"
	"slices"
	"testing"
)

const room = "65f3668c-46fe-4f62-9b31-6a3fa1d4e883"

func TestIDCursorRoundTrip(t *testing.T) {
	t.Parallel()
	for _, id := range []int64{1, 9, 10, 120001, 9_007_199_254_740_993, 1<<63 - 1} {
		got, err := DecodeIDCursor(room, "before", EncodeIDCursor(room, id))
		if err != nil || got != id {
			t.Errorf("DecodeIDCursor(EncodeIDCursor(%d)) = %d, %v", id, got, err)
		}
	}
}

func TestDecodeIDCursorRejects(t *testing.T) {
	t.Parallel()
	tag := scopeTag(room)
	for name, c := range map[string]string{
		"empty":                "",
		"not base64":           "!!!",
		"padded base64":        EncodeIDCursor(room, 5) + "=",
		"an offset cursor":     EncodeCursor(5),
		"plain id":             "120001",
		"another room's":       EncodeIDCursor("dd556b52-4e5e-419e-976c-ba79c30d0fc5", 5),
		"no tag":               EncodeRaw("i1:5"),
		"wrong version":        EncodeRaw("i2:" + tag + ":5"),
		"zero":                 EncodeRaw("i1:" + tag + ":0"),
		"negative":             EncodeRaw("i1:" + tag + ":-5"),
		"leading zero":         EncodeRaw("i1:" + tag + ":05"),
		"not digits":           EncodeRaw("i1:" + tag + ":1e3"),
		"beyond int64":         EncodeRaw("i1:" + tag + ":9223372036854775808"),
		"trailing data":        EncodeRaw("i1:" + tag + ":5:6"),
		"upper-case tag":       EncodeRaw(fmt.Sprintf("i1:%X:5", tag)),
		"too long":             EncodeRaw("i1:" + tag + ":12345678901234567890"),
		"huge input":           string(make([]byte, 10000)),
		"non-canonical base64": EncodeIDCursor(room, 5)[:len(EncodeIDCursor(room, 5))-1] + "Z",
	} {
		if id, err := DecodeIDCursor(room, "before", c); err == nil || !errors.Is(err, ErrBadArgument) {
			t.Errorf("%s: DecodeIDCursor(%q) = %d, %v; want ErrBadArgument", name, c, id, err)
		}
	}
}

func TestNewBackWindow(t *testing.T) {
	t.Parallel()
	cursor := EncodeIDCursor(room, 120050)
	bad := "nope"
	tests := []struct {
		name    string
		last    *int
		before  *string
		want    BackWindow
		wantErr bool
	}{
		{"defaults", nil, nil, BackWindow{Last: 20}, false},
		{"zero", ptr(0), nil, BackWindow{Last: 0}, false},
		{"max", ptr(100), &cursor, BackWindow{Last: 100, Before: 120050}, false},
		{"over max", ptr(101), nil, BackWindow{}, true},
		{"negative", ptr(-1), nil, BackWindow{}, true},
		{"bad cursor", nil, &bad, BackWindow{}, true},
	}
	for _, tt := range tests {
		got, err := NewBackWindow(room, tt.last, tt.before)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("%s: %+v, %v; want %+v, error %v", tt.name, got, err, tt.want, tt.wantErr)
		}
		if err != nil && !errors.Is(err, ErrBadArgument) {
			t.Errorf("%s: %v does not wrap ErrBadArgument", tt.name, err)
		}
	}
}

// Cut gives the page whether Circle counts the reference message among
// previous_per_page or not, and whatever it sends after it.
func TestCut(t *testing.T) {
	t.Parallel()
	idOf := func(v *int64) int64 { return *v }
	span := func(from, to int64) []int64 {
		var out []int64
		for i := from; i <= to; i++ {
			out = append(out, i)
		}
		return out
	}
	tests := []struct {
		name       string
		w          BackWindow
		answer     []int64
		circlePrev bool
		want       []int64
		wantPrev   bool
	}{
		// The newest page asks for Last before the newest.
		{"newest, reference counted apart", BackWindow{Last: 3}, span(96, 100), true, span(98, 100), true},
		{"newest, reference counted in", BackWindow{Last: 3}, span(98, 100), true, span(98, 100), true},
		{"newest, the whole room", BackWindow{Last: 3}, span(1, 3), false, span(1, 3), false},
		// A page back asks for Last+1 before the reference.
		{"back, reference counted apart", BackWindow{Last: 3, Before: 50}, span(46, 50), true, span(47, 49), true},
		{"back, reference counted in", BackWindow{Last: 3, Before: 50}, span(47, 50), true, span(47, 49), true},
		{"back, reaching the start", BackWindow{Last: 3, Before: 3}, span(1, 3), false, span(1, 2), false},
		{"back, with messages after", BackWindow{Last: 2, Before: 50}, span(47, 60), true, span(48, 49), true},
		{"back, unsorted", BackWindow{Last: 2, Before: 50}, []int64{49, 50, 47, 48}, false, span(48, 49), true},
		{"empty page", BackWindow{Last: 0}, span(99, 100), true, []int64{}, true},
		{"empty room", BackWindow{Last: 20}, nil, false, []int64{}, false},
	}
	for _, tt := range tests {
		got, prev := Cut(tt.w, slices.Clone(tt.answer), idOf, tt.circlePrev)
		if !slices.Equal(got, tt.want) || prev != tt.wantPrev {
			t.Errorf("%s: %v prev %v, want %v prev %v", tt.name, got, prev, tt.want, tt.wantPrev)
		}
	}
}

// Walking a room back page by page sees every message once, newest page
// first, one upstream call per page, whichever way Circle counts.
func TestWalkBackOneCallPerPage(t *testing.T) {
	t.Parallel()
	for _, counted := range []bool{false, true} {
		for _, last := range []int{1, 3, 7, 20, 100} {
			const n = 95
			var seen []int64
			var before *string
			calls := 0
			for {
				w, err := NewBackWindow(room, &last, before)
				if err != nil {
					t.Fatal(err)
				}
				// A room with messages 1..n answering like Circle.
				calls++
				ref := int64(n)
				if w.Before > 0 {
					ref = w.Before
				}
				from := ref - int64(w.Previous())
				if counted {
					from++
				}
				var answer []int64
				for id := max(from, 1); id <= ref; id++ {
					answer = append(answer, id)
				}
				page, prev := Cut(w, answer, func(v *int64) int64 { return *v }, max(from, 1) > 1)
				seen = append(slices.Clone(page), seen...)
				if !prev {
					break
				}
				c := EncodeIDCursor(room, page[0])
				before = &c
			}
			want := make([]int64, n)
			for i := range want {
				want[i] = int64(i + 1)
			}
			if !slices.Equal(seen, want) {
				t.Errorf("counted %v last %d: saw %v", counted, last, seen)
			}
			if pages := (n + last - 1) / last; calls != pages {
				t.Errorf("counted %v last %d: %d calls for %d pages", counted, last, calls, pages)
			}
		}
	}
}

func TestCheckBackWindow(t *testing.T) {
	t.Parallel()
	ok, other, bad := EncodeIDCursor(room, 7), EncodeIDCursor("another list", 7), EncodeCursor(7)
	for _, tt := range []struct {
		last    *int
		before  *string
		wantErr bool
	}{
		{nil, nil, false}, {ptr(0), &ok, false}, {ptr(100), &other, false},
		{ptr(101), nil, true}, {ptr(-1), nil, true}, {nil, &bad, true},
	} {
		if err := CheckBackWindow(tt.last, tt.before); (err != nil) != tt.wantErr || (err != nil && !errors.Is(err, ErrBadArgument)) {
			t.Errorf("CheckBackWindow(%v, %v) = %v", tt.last, tt.before, err)
		}
	}
}

func FuzzDecodeIDCursor(f *testing.F) {
	f.Add(EncodeIDCursor(room, 120001))
	f.Add(EncodeIDCursor("other", 1))
	f.Add(EncodeRaw("i1:00000000:1"))
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := DecodeIDCursor(room, "before", s)
		if err != nil {
			if !errors.Is(err, ErrBadArgument) {
				t.Fatalf("error %v does not wrap ErrBadArgument", err)
			}
			return
		}
		if id <= 0 {
			t.Fatalf("id %d out of range", id)
		}
		if EncodeIDCursor(room, id) != s {
			t.Fatalf("cursor %q decodes to %d which encodes differently", s, id)
		}
	})
}

func TestNewBackWindowFromArguments(t *testing.T) {
	t.Parallel()
	c := EncodeIDCursor(room, 42)
	for _, tt := range []struct {
		args    map[string]any
		want    BackWindow
		wantErr bool
	}{
		{map[string]any{}, BackWindow{Last: 20}, false},
		{map[string]any{"last": int64(5), "before": c}, BackWindow{Last: 5, Before: 42}, false},
		{map[string]any{"last": "7"}, BackWindow{Last: 7}, false},
		{map[string]any{"before": EncodeIDCursor("elsewhere", 42)}, BackWindow{}, true},
		{map[string]any{"last": 101}, BackWindow{}, true},
	} {
		got, err := NewBackWindowFromArguments(room, tt.args)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("%v: %+v, %v", tt.args, got, err)
		}
	}
}
