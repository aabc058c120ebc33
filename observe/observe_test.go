package observe

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
)

// Operation names become metric labels only when they are GraphQL names,
// and only the first maxOperationNames of them: a client cannot blow up
// the series.
func TestOperationLabels(t *testing.T) {
	t.Parallel()
	o := New(slog.New(slog.NewTextHandler(io.Discard, nil)), func(context.Context) string { return "" })
	for in, want := range map[string]string{
		"":                      "anonymous",
		"HomeFeed":              "HomeFeed",
		"with space":            "other",
		"dash-ed":               "other",
		strings.Repeat("a", 65): "other",
	} {
		if got := o.label(in); got != want {
			t.Errorf("label(%q) = %q, want %q", in, got, want)
		}
	}
	for i := range maxOperationNames {
		o.label(fmt.Sprintf("Op%d", i))
	}
	if got := o.label("OneTooMany"); got != "other" {
		t.Errorf("past the cap: %q", got)
	}
	if got := o.label("HomeFeed"); got != "HomeFeed" {
		t.Errorf("a known name after the cap: %q", got)
	}
}
