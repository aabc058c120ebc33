package safe

import (
	"errors"
	"strings"
	"testing"
)

func TestCall(t *testing.T) {
	t.Parallel()
	if v, err := Call(func() (int, error) { return 7, nil }); v != 7 || err != nil {
		t.Fatalf("%d %v", v, err)
	}
	boom := errors.New("boom")
	if _, err := Call(func() (int, error) { return 0, boom }); !errors.Is(err, boom) {
		t.Fatalf("%v", err)
	}
	_, err := Call(func() (int, error) {
		var m map[string]int
		m["x"]++
		return 0, nil
	})
	if err == nil || !strings.Contains(err.Error(), "assignment to entry in nil map") || !strings.Contains(err.Error(), "safe_test.go") {
		t.Fatalf("panic not turned into an error with its stack: %v", err)
	}
}
