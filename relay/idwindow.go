package relay

import (
	"cmp"
	"encoding/base64"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
)

// Backward connections over an id window: Circle pages a chat room's
// messages around a reference message id (id, previous_per_page,
// next_per_page) instead of by page number, so those connections take
// `last`/`before` and their cursors name a message id rather than a
// position. The cursor also carries a short tag of the list it came from (a
// room's uuid), so that a cursor of one room passed to another is refused
// before any upstream call instead of paging that room from a message it
// does not hold.

// idCursorPrefix versions the id cursor format.
const idCursorPrefix = "i1:"

// maxIDCursorLen bounds a cursor before it is decoded: the prefix, an
// 8-digit tag, a colon and at most 19 digits, base64-encoded.
const maxIDCursorLen = 48

// scopeTag is the 8 hex digits of the FNV-1a hash of scope.
func scopeTag(scope string) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(scope))
	return fmt.Sprintf("%08x", h.Sum32())
}

// EncodeIDCursor returns the opaque cursor of the item with Circle id id in
// the list named scope.
func EncodeIDCursor(scope string, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(idCursorPrefix + scopeTag(scope) + ":" + strconv.FormatInt(id, 10)))
}

// DecodeIDCursor returns the id a cursor of the list scope names. Anything
// EncodeIDCursor did not make for that list is an error wrapping
// ErrBadArgument; arg names the argument for the message.
func DecodeIDCursor(scope, arg, cursor string) (int64, error) {
	tag, id, ok := parseIDCursor(cursor)
	if !ok || tag != scopeTag(scope) {
		return 0, badArgument("`%s` is not a cursor this API returned for this list", arg)
	}
	return id, nil
}

// parseIDCursor reads a cursor EncodeIDCursor made, for any list.
func parseIDCursor(cursor string) (tag string, id int64, ok bool) {
	if len(cursor) == 0 || len(cursor) > maxIDCursorLen {
		return "", 0, false
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(cursor)
	if err != nil {
		return "", 0, false
	}
	rest, ok := strings.CutPrefix(string(raw), idCursorPrefix)
	if !ok {
		return "", 0, false
	}
	tag, digits, ok := strings.Cut(rest, ":")
	if !ok || len(tag) != 8 || strings.Trim(tag, "0123456789abcdef") != "" || digits == "" || len(digits) > 19 || digits[0] == '0' {
		return "", 0, false
	}
	for _, r := range digits {
		if r < '0' || r > '9' {
			return "", 0, false
		}
	}
	id, err = strconv.ParseInt(digits, 10, 64)
	if err != nil || id <= 0 || base64.RawURLEncoding.EncodeToString(raw) != cursor {
		// The last check refuses non-canonical spellings, so each item
		// has exactly one cursor.
		return "", 0, false
	}
	return tag, id, true
}

// CheckBackWindow validates a backward connection's last and before
// without knowing which list they are for, as the query limits do before
// the operation runs: before must be an id cursor of some list (the
// resolver then checks it is one of its own).
func CheckBackWindow(last *int, before *string) error {
	if last != nil && (*last < 0 || *last > MaxFirst) {
		return badArgument("`last` must be between 0 and %d, got %d", MaxFirst, *last)
	}
	if before != nil {
		if _, _, ok := parseIDCursor(*before); !ok {
			return badArgument("`before` is not a cursor this API returned")
		}
	}
	return nil
}

// NewBackWindowFromArguments is NewBackWindow on a connection field's
// arguments as gqlgen decodes them (ast.Field.ArgumentMap), for a resolver
// checking a list below the field it resolves.
func NewBackWindowFromArguments(scope string, args map[string]any) (BackWindow, error) {
	last, before := backArguments(args)
	return NewBackWindow(scope, last, before)
}

// backArguments reads `last` and `before` from a connection field's
// arguments as gqlgen decodes them; a `last` that is not an integer, or a
// `before` that is not a string, counts as absent.
func backArguments(args map[string]any) (last *int, before *string) {
	if n, ok := intArgument(args["last"]); ok {
		last = &n
	}
	if s, ok := args["before"].(string); ok {
		before = &s
	}
	return last, before
}

// BackWindowFromArguments is CheckBackWindow on a connection field's
// arguments as gqlgen decodes them (ast.Field.ArgumentMap), for the query
// limits; the window has no Before, which only the list's resolver can
// read. A `last` that is not an integer counts as absent.
func BackWindowFromArguments(args map[string]any) (BackWindow, error) {
	last, before := backArguments(args)
	if err := CheckBackWindow(last, before); err != nil {
		return BackWindow{}, err
	}
	w := BackWindow{Last: DefaultFirst}
	if last != nil {
		w.Last = *last
	}
	return w, nil
}

// BackWindow is the slice of an id-windowed list a backward connection
// asks for: the Last items before the item with id Before (0: the newest
// items).
type BackWindow struct {
	Last   int
	Before int64
}

// NewBackWindow validates last (nil means DefaultFirst) and before, a
// cursor of the list scope.
func NewBackWindow(scope string, last *int, before *string) (BackWindow, error) {
	if err := CheckBackWindow(last, nil); err != nil {
		return BackWindow{}, err
	}
	w := BackWindow{Last: DefaultFirst}
	if last != nil {
		w.Last = *last
	}
	if before != nil {
		id, err := DecodeIDCursor(scope, "before", *before)
		if err != nil {
			return BackWindow{}, err
		}
		w.Before = id
	}
	return w, nil
}

// Previous is how many items to ask Circle for before the reference item so
// that Last items before Before are sure to come back, whether Circle counts
// the reference item among them or not, and one more when possible, which
// tells whether more come before. The newest page asks for Last items
// before the newest one, which comes back too; an empty page asks for one.
func (w BackWindow) Previous() int {
	if w.Before > 0 {
		return w.Last + 1
	}
	return max(w.Last, 1)
}

// Cut returns the window's items out of what Circle answered (ids in any
// order, with the reference item and anything after it possibly included):
// the newest Last items before Before, oldest first, and whether items come
// before them. circleHasPrevious is Circle's has_previous_page for its
// answer.
func Cut[T any](w BackWindow, items []T, idOf func(*T) int64, circleHasPrevious bool) (page []T, hasPrevious bool) {
	page = make([]T, 0, len(items))
	for i := range items {
		if w.Before == 0 || idOf(&items[i]) < w.Before {
			page = append(page, items[i])
		}
	}
	// Circle answers oldest first already; sorting makes "the newest
	// Last" hold whatever order an upstream uses.
	slices.SortStableFunc(page, func(a, b T) int { return cmp.Compare(idOf(&a), idOf(&b)) })
	if len(page) > w.Last {
		return page[len(page)-w.Last:], true
	}
	return page, circleHasPrevious
}
