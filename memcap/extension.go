package memcap

import (
	"context"
	"errors"
	"reflect"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Extension is the gqlgen handler extension that gives an answer past its
// Account's cap (MAX_RESPONSE_BYTES and the shared bytes) its final shape;
// CountFields is the field middleware that counts the answer, field by
// field as values are resolved, before anything is marshalled, so an
// answer is never built past the cap. What happens at the cap:
//
//   - a query stops: no field still to resolve runs its resolver (nothing
//     more is fetched), and its answer is one error naming the cap, with
//     null data — a truncated answer would look like Circle's own nulls;
//   - a mutation's writes (its root fields) always run, so this guard never
//     drops a write; past the cap the nullable fields of their payloads are
//     left out (null, without running), the rest still resolve, and the
//     answer keeps its data with one error naming the cap.
//
// A value counts what it takes in JSON: strings with their escapes and
// raw JSON scalars exactly, other scalars a bound, plus a constant per
// field for its name and punctuation; objects and lists count their
// punctuation only, as their fields count themselves.
type Extension struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
} = Extension{}

// ExtensionName names the extension for gqlgen.
func (Extension) ExtensionName() string { return "ResponseCap" }

// Validate accepts any schema.
func (Extension) Validate(graphql.ExecutableSchema) error { return nil }

// CountFields returns the field middleware of one operation whose answer
// a counts (nil: next itself): it counts each resolved field, and leaves
// out the fields still to resolve once the answer has crossed a cap.
// mutation says whether the operation is a mutation (see leftOut). It is
// installed per operation, with a and mutation known once, because it
// runs for every field of every answer: a server-wide interceptor would
// look both up in the field's context each time.
func CountFields(a *Account, mutation bool, next graphql.FieldMiddleware) graphql.FieldMiddleware {
	if a == nil {
		return next
	}
	return func(ctx context.Context, resolve graphql.Resolver) (any, error) {
		fc := graphql.GetFieldContext(ctx)
		if over := a.Over(); over != nil && leftOut(mutation, fc) {
			return nil, over
		}
		res, err := next(ctx, resolve)
		if err != nil {
			return res, err
		}
		n := fieldOverhead + valueSize(res)
		if fc != nil {
			n += int64(len(fc.Field.Alias))
		}
		if err := a.Write(n); err != nil && leftOut(mutation, fc) {
			return nil, err
		}
		return res, nil
	}
}

// leftOut reports whether the field of fc is left out of an answer past
// its cap: every field of a query; in a mutation, the nullable fields of
// the payloads, never a root field (a write).
func leftOut(mutation bool, fc *graphql.FieldContext) bool {
	if !mutation {
		return true
	}
	return fc != nil && fc.Object != "Mutation" && fc.Field.Definition != nil && !fc.Field.Definition.Type.NonNull
}

// isMutation reports whether the operation in ctx is a mutation.
func isMutation(ctx context.Context) bool {
	if !graphql.HasOperationContext(ctx) {
		return false
	}
	op := graphql.GetOperationContext(ctx).Operation
	return op != nil && op.Operation == ast.Mutation
}

// InterceptResponse gives an answer past its cap its final shape: one
// error naming the cap, and no data for a query.
func (Extension) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	a := FromContext(ctx)
	over := a.Over()
	if resp == nil || over == nil {
		return resp
	}
	var capErr *gqlerror.Error
	kept := resp.Errors[:0]
	for _, e := range resp.Errors {
		var ce *Error
		if !errors.As(e, &ce) || ce != over {
			kept = append(kept, e)
		} else if capErr == nil {
			capErr = e
		}
	}
	if capErr == nil {
		return resp // no field was left out
	}
	if !isMutation(ctx) {
		capErr.Path, capErr.Locations = nil, nil
		resp.Data = nil
		resp.Errors = gqlerror.List{capErr}
		return resp
	}
	resp.Errors = append(kept, capErr)
	return resp
}

// fieldOverhead is what a field takes in JSON besides its name and value:
// the quotes around the name, the colon and the comma.
const fieldOverhead = 4

// valueSize is what a resolved value takes in JSON: exact for strings
// (escapes included) and raw JSON scalars (graph/model.JSON), a bound for
// the rest; objects and lists count their punctuation only, as their
// fields and items count themselves.
func valueSize(v any) int64 {
	switch v := v.(type) {
	case nil:
		return 4
	case string:
		return quotedSize(v)
	case *string:
		if v == nil {
			return 4
		}
		return quotedSize(*v)
	case bool, int, int64, float64, *bool, *int, *int64, *float64:
		return 24
	case time.Time, *time.Time:
		return 32
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return 4
		}
		rv = rv.Elem()
	}
	switch rv.Kind() {
	case reflect.String: // enums
		return quotedSize(rv.String())
	case reflect.Slice:
		if rv.Type().Elem().Kind() == reflect.Uint8 { // raw JSON
			return int64(rv.Len())
		}
		if rv.Type().Elem().Kind() == reflect.String {
			n := int64(2)
			for i := range rv.Len() {
				n += quotedSize(rv.Index(i).String()) + 1
			}
			return n
		}
		return 2 + int64(rv.Len())
	}
	return 2
}

// quotedSize is the length of s as a JSON string: its quotes, a backslash
// before each quote and backslash, and at most six bytes for each control
// character.
func quotedSize(s string) int64 {
	n := int64(len(s)) + 2
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			n++
		case c < 0x20:
			n += 5
		}
	}
	return n
}

// isMutationRoot reports whether the field in ctx is a root field of a
// mutation: a write, which no size guard may skip.
func isMutationRoot(ctx context.Context) bool {
	fc := graphql.GetFieldContext(ctx)
	return fc != nil && fc.Object == "Mutation"
}
