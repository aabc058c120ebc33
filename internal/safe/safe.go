// Package safe runs code in goroutines the gateway starts itself (the
// loaders' and pagination's concurrent fetches), where neither gqlgen's nor
// the dataloader's panic recovery reaches: a panic there would end the
// process. Call turns it into an error for that one fetch, which the API
// reports as INTERNAL_SERVER_ERROR with the details only in the log.
package safe

import (
	"fmt"
	"runtime/debug"
)

// Call runs fn and returns its results, or an error carrying the panic
// value and stack when fn panics.
func Call[V any](fn func() (V, error)) (v V, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	return fn()
}
