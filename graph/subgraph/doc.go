// Package subgraph is the gateway as an Apollo Federation v2 subgraph
// (FEDERATION=true, docs/federation.md): a second gqlgen executor generated
// from the same schema/ plus federation.graphqls by gqlgen's federation
// plugin (gqlgen.subgraph.yml), serving _service and _entities beside every
// field of the main executor. It runs the resolvers of package graph and
// reads through the same per-operation loaders; it never has resolvers of
// its own beyond the entity lookups.
package subgraph

//go:generate sh -c "cd ../.. && go run github.com/99designs/gqlgen generate --config gqlgen.subgraph.yml"
