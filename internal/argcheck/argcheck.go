// Package argcheck holds the checks of GraphQL arguments that both the
// resolvers and the pre-flight walk of package limits apply, so that an
// argument nested under a field that would be fetched first (a space's
// posts' topicIds under space(id:)) is refused before any upstream call,
// with the same message the resolver would give. Errors are plain: the
// callers mark them as the client's mistake.
package argcheck

import (
	"fmt"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// ID reads a Circle id: a positive decimal integer.
func ID(arg, v string) (int64, error) {
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%s must be a positive integer id, got %q", arg, Truncate(v, 40))
	}
	return id, nil
}

// IDs reads a list of at most max ids, dropping repeats (nil for none).
func IDs(arg string, vs []string, max int) ([]int64, error) {
	if len(vs) > max {
		return nil, fmt.Errorf("%s takes at most %d ids, got %d", arg, max, len(vs))
	}
	var out []int64
	for _, v := range vs {
		id, err := ID(arg, v)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out, nil
}

// Day checks a day written as YYYY-MM-DD.
func Day(arg, v string) error {
	if _, err := time.Parse(time.DateOnly, v); err != nil {
		return fmt.Errorf("%s must be a day as YYYY-MM-DD, got %q", arg, Truncate(v, 40))
	}
	return nil
}

// Truncate keeps at most n characters of s (not bytes: a message never
// ends in half a character).
func Truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
