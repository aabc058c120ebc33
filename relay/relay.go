// Package relay maps Relay-style connections (first/after, opaque cursors)
// onto Circle's page/per_page lists.
//
// A cursor names an item's absolute position in the list. Walking a list
// with the same `first` lines up with Circle's pages exactly, so each page
// costs one upstream call; a window that straddles pages is served with one
// larger page when one fits, else two. Cursors are opaque to clients and
// validated strictly: a bad one is a user error, never a panic or an
// unbounded request.
package relay

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/internal/safe"
)

// Limits of a window.
const (
	// DefaultFirst is the page size when `first` is not given.
	DefaultFirst = 20
	// MaxFirst is the largest `first` accepted (Circle's largest page).
	MaxFirst = circle.MaxPerPage
	// MaxOffset bounds how deep a cursor may point, keeping page numbers sane.
	MaxOffset = 10_000_000
)

// ErrBadArgument marks invalid `first` or `after` values: the caller's
// mistake, reported as BAD_USER_INPUT. Every such error is an
// *ArgumentError, which holds the message meant for the caller.
var ErrBadArgument = errors.New("invalid pagination argument")

// ArgumentError is an invalid connection argument. Message says what is
// wrong in the caller's terms ("`first` must be between 0 and 100, got
// 101"); Error adds the ErrBadArgument prefix for logs and wrapping.
type ArgumentError struct {
	Message string
}

func (e *ArgumentError) Error() string { return ErrBadArgument.Error() + ": " + e.Message }

// Is makes every ArgumentError match ErrBadArgument.
func (e *ArgumentError) Is(target error) bool { return target == ErrBadArgument }

func badArgument(format string, args ...any) error {
	return &ArgumentError{Message: fmt.Sprintf(format, args...)}
}

// cursorPrefix versions the cursor format so it can change later.
const cursorPrefix = "o1:"

// EncodeCursor returns the opaque cursor of the item at offset.
func EncodeCursor(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + strconv.Itoa(offset)))
}

// DecodeCursor returns the offset a cursor names. Anything not made by
// EncodeCursor is an error wrapping ErrBadArgument.
func DecodeCursor(cursor string) (int, error) {
	bad := badArgument("`after` is not a cursor this API returned")
	if len(cursor) == 0 || len(cursor) > 32 {
		return 0, bad
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(cursor)
	if err != nil {
		return 0, bad
	}
	digits, ok := strings.CutPrefix(string(raw), cursorPrefix)
	if !ok || digits == "" || len(digits) > 9 || (len(digits) > 1 && digits[0] == '0') {
		return 0, bad
	}
	for _, r := range digits {
		if r < '0' || r > '9' {
			return 0, bad
		}
	}
	offset, err := strconv.Atoi(digits)
	if err != nil || offset >= MaxOffset || EncodeCursor(offset) != cursor {
		// The last check refuses non-canonical spellings (base64 ignores
		// line breaks and stray bits), so each position has one cursor.
		return 0, bad
	}
	return offset, nil
}

// Window is the slice of a list a connection field asks for: Limit items
// starting at Offset.
type Window struct {
	Offset int
	Limit  int
}

// NewWindow validates first (nil means DefaultFirst) and after.
func NewWindow(first *int, after *string) (Window, error) {
	w := Window{Limit: DefaultFirst}
	if first != nil {
		if *first < 0 || *first > MaxFirst {
			return Window{}, badArgument("`first` must be between 0 and %d, got %d", MaxFirst, *first)
		}
		w.Limit = *first
	}
	if after != nil {
		offset, err := DecodeCursor(*after)
		if err != nil {
			return Window{}, err
		}
		w.Offset = offset + 1
	}
	return w, nil
}

// WindowFromArguments validates a connection field's arguments as gqlgen
// decodes them from a document and its variables (ast.Field.ArgumentMap):
// the query limits check every connection of an operation with it before
// anything runs, and the resolvers then get the same verdict from
// NewWindow. A `first` that is not an integer counts as absent, as the
// document's validation has refused it already.
func WindowFromArguments(args map[string]any) (Window, error) {
	var first *int
	var after *string
	if n, ok := intArgument(args["first"]); ok {
		first = &n
	}
	if s, ok := args["after"].(string); ok {
		after = &s
	}
	return NewWindow(first, after)
}

// intArgument reads an Int argument as ArgumentMap gives it: a literal, a
// variable's decoded value, or nil when absent or null.
func intArgument(v any) (int, bool) {
	switch v := v.(type) {
	case int:
		return v, true
	case int64:
		return int(v), true
	case float64:
		return int(v), true
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return int(i), true
		}
	case string:
		// gqlgen reads a numeric string sent for an Int variable as that
		// number, so the limits must too.
		if i, err := strconv.Atoi(v); err == nil {
			return i, true
		}
	}
	return 0, false
}

// PageRequest is one upstream page to fetch.
type PageRequest struct {
	Page    int
	PerPage int
}

// Plan returns the upstream pages that cover the window: one page when a
// page size between Limit and MaxFirst holds the whole window (always true
// when Offset is a multiple of Limit), otherwise two pages of Limit items.
// An empty window still fetches one item, to learn hasNextPage and the count.
func (w Window) Plan() []PageRequest {
	if w.Limit == 0 {
		return []PageRequest{{Page: w.Offset + 1, PerPage: 1}}
	}
	last := w.Offset + w.Limit - 1
	for size := w.Limit; size <= MaxFirst; size++ {
		if w.Offset/size == last/size {
			return []PageRequest{{Page: w.Offset/size + 1, PerPage: size}}
		}
	}
	first := w.Offset/w.Limit + 1
	return []PageRequest{{Page: first, PerPage: w.Limit}, {Page: first + 1, PerPage: w.Limit}}
}

// Result is the window's items with what PageInfo needs.
type Result[T any] struct {
	// Items are the window's items, in list order.
	Items []T
	// Offset is the absolute position of Items[0].
	Offset int
	// HasNext is true when items follow the window.
	HasNext bool
	// Total is Circle's count of the whole list.
	Total int
}

// Cursor returns the cursor of Items[i].
func (r Result[T]) Cursor(i int) string { return EncodeCursor(r.Offset + i) }

// HasPrevious is true when items come before the window.
func (r Result[T]) HasPrevious() bool { return r.Offset > 0 }

// FetchFunc fetches one upstream page.
type FetchFunc[T any] func(ctx context.Context, page PageRequest) (*circle.Page[T], error)

// Fetch runs the window's plan (its pages concurrently) and cuts the window
// out of what came back.
func Fetch[T any](ctx context.Context, w Window, fetch FetchFunc[T]) (Result[T], error) {
	plan := w.Plan()
	pages := make([]*circle.Page[T], len(plan))
	errs := make([]error, len(plan))
	if len(plan) == 1 {
		pages[0], errs[0] = fetch(ctx, plan[0])
	} else {
		var wg sync.WaitGroup
		for i, p := range plan {
			wg.Go(func() {
				pages[i], errs[i] = safe.Call(func() (*circle.Page[T], error) { return fetch(ctx, p) })
			})
		}
		wg.Wait()
	}
	if err := errors.Join(errs...); err != nil {
		return Result[T]{}, err
	}
	res := Result[T]{Offset: w.Offset, Items: make([]T, 0, w.Limit)}
	end := w.Offset + w.Limit
	for i, page := range pages {
		start := (plan[i].Page - 1) * plan[i].PerPage
		for j := range page.Records {
			pos := start + j
			switch {
			case pos < w.Offset:
			case pos < end:
				res.Items = append(res.Items, page.Records[j])
			default:
				res.HasNext = true
			}
		}
		res.Total = page.Count
	}
	last := pages[len(pages)-1]
	if w.Limit == 0 {
		res.HasNext = len(last.Records) > 0 || last.HasNextPage
	} else if last.HasNextPage {
		res.HasNext = true
	}
	return res, nil
}
