package statuswriter

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestRecorder(t *testing.T) {
	t.Parallel()
	w := httptest.NewRecorder()
	r := New(w)
	if r.Status != http.StatusOK {
		t.Fatalf("status before any write: %d", r.Status)
	}
	r.WriteHeader(http.StatusTeapot)
	r.Flush()
	if r.Status != http.StatusTeapot || w.Code != http.StatusTeapot || !w.Flushed {
		t.Fatalf("recorded %d, written %d, flushed %v", r.Status, w.Code, w.Flushed)
	}
	if http.NewResponseController(r).Flush() != nil {
		t.Fatal("the controller did not reach the writer beneath")
	}
}
