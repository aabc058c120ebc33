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

// MaxSlugLength bounds a slug put in a path, in bytes (Circle's are short,
// made from the name).
const MaxSlugLength = 200

// IsSlug reports whether s has the form of Circle's slugs: lower-case
// ASCII letters, digits, '-' and '_', at most MaxSlugLength of them.
func IsSlug(s string) bool {
	if s == "" || len(s) > MaxSlugLength {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// OneRef checks a record named by id or by slug: exactly one of them is
// given, the id is a Circle id and the slug has the form of Circle's.
func OneRef(idArg string, id *string, slugArg string, slug *string) error {
	switch {
	case (id == nil) == (slug == nil):
		return fmt.Errorf("give exactly one of %s and %s", idArg, slugArg)
	case id != nil:
		_, err := ID(idArg, *id)
		return err
	case !IsSlug(*slug):
		return fmt.Errorf("%s must be a slug of lower-case letters, digits, '-' and '_' (at most %d), got %q", slugArg, MaxSlugLength, Truncate(*slug, 40))
	}
	return nil
}
