package graph

import (
	"errors"
	"fmt"
)

// The errors the resolvers make themselves. Each is typed, so that the one
// error presenter (transport/errors.go) can give it its code with
// errors.Is/As; nothing here knows GraphQL error codes. Errors from below
// (auth, relay, circle, loaders) pass through wrapped, keeping their types.

// ErrBadInput marks arguments the gateway refuses before any upstream call
// (BAD_USER_INPUT). Every such error made here is an *InputError.
var ErrBadInput = errors.New("invalid argument")

// InputError is an argument refused before any upstream call; Message is
// for the caller ("id must be a positive integer id, got \"x\"").
type InputError struct {
	Message string
}

func (e *InputError) Error() string { return ErrBadInput.Error() + ": " + e.Message }

// Is makes every InputError match ErrBadInput.
func (e *InputError) Is(target error) bool { return target == ErrBadInput }

// badInput returns an *InputError with a message for the caller.
func badInput(format string, args ...any) error {
	return &InputError{Message: fmt.Sprintf(format, args...)}
}

// ErrForbidden marks operations the caller may not perform (FORBIDDEN): a
// missing or wrong service key, a feature that is not configured. Every
// such error made here is a *ForbiddenError.
var ErrForbidden = errors.New("forbidden")

// ForbiddenError is an operation refused to this caller; Message says why
// and, for a feature that is not configured, which setting it needs.
type ForbiddenError struct {
	Message string
}

func (e *ForbiddenError) Error() string { return ErrForbidden.Error() + ": " + e.Message }

// Is makes every ForbiddenError match ErrForbidden.
func (e *ForbiddenError) Is(target error) bool { return target == ErrForbidden }

// forbidden returns a *ForbiddenError with a message for the caller.
func forbidden(format string, args ...any) error {
	return &ForbiddenError{Message: fmt.Sprintf(format, args...)}
}

// RereadError is a re-read that failed after its write went through
// (mutations.go). It keeps the code of its cause, and the presenter's
// message says that the change was made, so that the client does not
// repeat the write.
type RereadError struct {
	// What names the object re-read ("the post").
	What string
	Err  error
}

func (e *RereadError) Error() string {
	return fmt.Sprintf("%s changed, but re-reading it failed: %v", e.What, e.Err)
}

func (e *RereadError) Unwrap() error { return e.Err }
