// Package statuswriter records the status an http.Handler answered with,
// for the middlewares that report it afterwards (observe's request log and
// metrics, tracing's server span). It must stay a transparent wrapper:
// flushes reach streaming transports, and http.ResponseController (the
// WebSocket upgrade's hijack) finds the writer beneath.
package statuswriter

import "net/http"

// Recorder is an http.ResponseWriter that remembers the status code
// written; Status is 200 until WriteHeader says otherwise, as net/http
// answers.
type Recorder struct {
	http.ResponseWriter
	Status int
}

// New wraps w.
func New(w http.ResponseWriter) *Recorder {
	return &Recorder{ResponseWriter: w, Status: http.StatusOK}
}

// WriteHeader records code and passes it on.
func (r *Recorder) WriteHeader(code int) {
	r.Status = code
	r.ResponseWriter.WriteHeader(code)
}

// Flush passes flushes through (streaming transports).
func (r *Recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap exposes the underlying writer (http.ResponseController, WebSocket
// upgrades).
func (r *Recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
