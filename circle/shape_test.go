package circle

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

// An answer of the wrong shape is an error of its endpoint, never data:
// null for a list or a page, a negative count, a page without records
// that counts some. Well-shaped answers, empty ones included, pass.
func TestWrongShapeIsAnError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		call       func(c *Client) error
		bad        bool
	}{
		{"spaces: null", `null`, spacesCall, true},
		{"spaces: empty", `[]`, spacesCall, false},
		{"comments: null", `null`, commentsCall, true},
		{"comments: negative count", `{"page":1,"per_page":1,"has_next_page":false,"count":-5,"records":[]}`, commentsCall, true},
		{"comments: negative page", `{"page":-1,"per_page":1,"has_next_page":false,"count":0,"records":[]}`, commentsCall, true},
		{"comments: counted but no records", `{"page":1,"per_page":1,"has_next_page":false,"count":3}`, commentsCall, true},
		{"comments: null records, counted", `{"page":1,"per_page":1,"has_next_page":false,"count":3,"records":null}`, commentsCall, true},
		{"comments: none", `{"page":1,"per_page":1,"has_next_page":false,"count":0,"records":[]}`, commentsCall, false},
		{"comments: past the end", `{"page":9,"per_page":1,"has_next_page":false,"count":3,"records":[]}`, commentsCall, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, tt.body) })
			err := tt.call(c)
			if tt.bad && (err == nil || !strings.Contains(err.Error(), "decode response")) {
				t.Fatalf("err = %v, want a decode error", err)
			}
			if !tt.bad && err != nil {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

func spacesCall(c *Client) error {
	_, err := c.Member("t").Spaces(context.Background())
	return err
}

func commentsCall(c *Client) error {
	_, err := c.Member("t").Comments(context.Background(), 1, ListParams{Page: 1, PerPage: 1})
	return err
}
