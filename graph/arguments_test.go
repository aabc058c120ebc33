package graph

import (
	"errors"
	"strings"
	"testing"
)

func TestParseID(t *testing.T) {
	t.Parallel()
	for in, ok := range map[string]bool{"1": true, "9007199254740993": true, "0": false, "-4": false, "abc": false, "": false, "1.5": false, " 7": false, strings.Repeat("9", 400): false} {
		_, err := parseID("id", in)
		if (err == nil) != ok {
			t.Errorf("parseID(%q) err = %v", in, err)
		}
		if err != nil && (!errors.Is(err, ErrBadInput) || len(err.Error()) > 200) {
			t.Errorf("parseID(%q) err = %v", in, err)
		}
	}
}
