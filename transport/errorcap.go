package transport

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// maxRequestErrors is the most errors an answer without data carries (a
// document that does not parse or validate); the rest are counted in one
// last error. A small document can fail validation thousands of times
// (3,000 unused variables, 2,000 unused fragments), and the answer must not
// grow with that: twenty errors say what is wrong.
const maxRequestErrors = 20

// errorCap is the gqlgen response interceptor that caps the errors of an
// answer without data at maxRequestErrors, then one "… and N more" error
// with the first error's code. Answers with data keep every error: each
// names a field of the answer.
type errorCap struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
} = errorCap{}

// ExtensionName names the extension for gqlgen.
func (errorCap) ExtensionName() string { return "ErrorCap" }

// Validate accepts any schema.
func (errorCap) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptResponse caps the errors of an answer without data.
func (errorCap) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp == nil || resp.Data != nil || len(resp.Errors) <= maxRequestErrors {
		return resp
	}
	more := len(resp.Errors) - maxRequestErrors
	summary := &gqlerror.Error{
		Message:    fmt.Sprintf("… and %d more errors like these", more),
		Extensions: map[string]any{"code": resp.Errors[0].Extensions["code"]},
	}
	resp.Errors = append(resp.Errors[:maxRequestErrors:maxRequestErrors], summary)
	return resp
}
