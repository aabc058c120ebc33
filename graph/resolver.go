// Package graph is the GraphQL layer: the resolvers (one *.resolvers.go per
// schema/*.graphqls file, run by gqlgen's executor in graph/generated) and
// the typed errors they make (errors.go), which the error presenter of
// package transport turns into GraphQL error codes. Resolvers never build
// URLs: they read through package loaders, which call package circle, with
// the helpers of load.go (the loaders prologue written once), after checking
// their id arguments (arguments.go); mutations.go holds what the writes
// share, connections.go how connections are built.
package graph

//go:generate go run github.com/99designs/gqlgen generate

import (
	"log/slog"
	"time"

	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/idtoken"
	"github.com/circle-gateway/gateway/live"
)

// Resolver is the dependency root of the GraphQL layer: everything a
// resolver needs beyond the per-operation loaders (found in the context)
// hangs off it. It holds no per-request state.
type Resolver struct {
	// Log receives resolver-level diagnostics; never tokens.
	Log *slog.Logger
	// Client calls Circle's Auth API for the token mutations (it holds the
	// app token; member reads go through the loaders instead). Nil makes
	// every Auth mutation answer FORBIDDEN, as without the app token.
	Client *circle.Client
	// ServiceKey is GATEWAY_SERVICE_KEY: createMemberToken issues tokens for
	// any member, so only callers sending it in X-Service-Key may use it.
	// Empty disables createMemberToken.
	ServiceKey string
	// IDTokens verifies signIn's identity tokens before any Auth API call;
	// nil (no ID_TOKEN_* key configured) disables signIn.
	IDTokens *idtoken.Verifier
	// Now is the clock for checking access tokens passed as arguments
	// (default time.Now).
	Now func() time.Time
	// Live bridges subscriptions to Circle's real-time cable; nil makes
	// every subscription answer UPSTREAM_UNAVAILABLE.
	Live *live.Bridge
}
