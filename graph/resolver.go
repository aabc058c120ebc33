// Package graph is the GraphQL layer: the gqlgen executor (generated.go),
// the resolvers (one *.resolvers.go per schema/*.graphqls file) and the one
// place errors become GraphQL error codes (errors.go). Resolvers never build
// URLs: they read through package loaders, which call package circle.
package graph

//go:generate go run github.com/99designs/gqlgen generate

import (
	"log/slog"
)

// Resolver is the dependency root of the GraphQL layer: everything a
// resolver needs beyond the per-operation loaders (found in the context)
// hangs off it. It holds no per-request state.
type Resolver struct {
	// Log receives resolver-level diagnostics; never tokens.
	Log *slog.Logger
}
