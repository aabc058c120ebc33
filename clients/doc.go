// Package clients proves the gateway from its users' side, with the tools
// they use: GraphiQL at GET / driven in headless Chromium, a web page on
// another origin calling /graphql with fetch, graphql-codegen over the SDL
// served at /schema.graphql and the example operations in
// ../examples/operations, the persisted-operations manifest codegen writes
// loaded by a gateway that runs nothing else, the schema-evolution
// check of .ci/schema-diff.sh, and live updates through the client
// libraries apps use: npm's graphql-ws and graphql-sse with two members
// who each hear only their own events, an Apollo Client chat screen whose
// cache takes in what it sends, and GraphiQL running subscriptions.
//
// A live test never writes before the gateway's cable subscriptions are
// confirmed (gateway_cable_channels_confirmed on /metrics), so that no
// event can be lost to a race; who received what is decided from what each
// subscription recorded, never from a wait.
//
// The Go tests here start the real gateway binary in sandbox mode and run
// the Node.js tooling pinned in package.json / package-lock.json (npm ci in
// this directory) and Debian's Chromium. Without node, node_modules or
// Chromium they skip on a developer machine and fail when CI is set, so CI
// can never pass them silently. The Playground's CDN assets come from
// node_modules at the exact versions the page pins, checked by the page's
// SRI hashes; no third-party build is committed, and no test reaches the
// internet.
//
// This package has no non-test code: it must never be imported.
package clients
