package circle

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Error is a non-2xx answer from Circle. Message is Circle's own "message"
// field: the only part of an upstream error body that may reach a client.
type Error struct {
	// Status is the HTTP status Circle answered with.
	Status int
	// Message is Circle's "message", or the status text when it sent none.
	Message string
	// Details is Circle's "error_details", kept for logs only; it may name
	// internals and is never shown to clients.
	Details string
	// RetryAfter is the wait Circle asked for on a 429 or 503, zero if none.
	RetryAfter time.Duration
	// retryAfterSent tells a Retry-After of zero (retry at once) from none.
	retryAfterSent bool
	// refused marks a 401 the client answered itself: Circle refused the
	// credential before, so the call was not made again.
	refused bool
	// Gateway marks an answer the gateway gave itself, not Circle (its
	// rate limiter's refusal, a token Circle refused before): Message is
	// then the gateway's, and may be shown as it is.
	Gateway bool
	// Endpoint is the endpoint template called, e.g. "GET /spaces/{id}".
	Endpoint string
}

// Error describes the failure for logs; clients see only Message.
func (e *Error) Error() string {
	return fmt.Sprintf("circle: %s: %d %s", e.Endpoint, e.Status, e.Message)
}

// ErrUnavailable marks failures where Circle could not be reached or did not
// answer in time: connection errors, timeouts, unreadable bodies. Callers
// test for it with errors.Is.
var ErrUnavailable = errors.New("circle is unavailable")

// ErrOutcomeUnknown marks a write or token call that may have reached Circle
// but whose answer never arrived (a timeout or a dropped connection after the
// request was sent). It is never retried; the caller must say the outcome is
// unknown. It wraps ErrUnavailable.
var ErrOutcomeUnknown = fmt.Errorf("%w: the request may have been applied; its outcome is unknown", ErrUnavailable)

// IsStatus reports whether err is an *Error with the given HTTP status.
func IsStatus(err error, status int) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == status
}

// Transient reports whether err is a failure that may not happen again on
// the next try: Circle unreachable or too slow (ErrUnavailable, a deadline),
// a 5xx or a 429. Loaders do not remember such failures for the rest of an
// operation, so a field that asks again gets a fresh call; a 4xx other than
// 429 is Circle's answer about the request and is kept.
func Transient(err error) bool {
	if errors.Is(err, ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var e *Error
	return errors.As(err, &e) && (e.Status == http.StatusTooManyRequests || e.Status >= 500)
}

// NotFound builds the error the gateway reports for an object Circle did not
// return, as if Circle had answered 404 for it.
func NotFound(endpoint, what string) *Error {
	return &Error{Status: http.StatusNotFound, Message: what + " not found", Endpoint: endpoint}
}
