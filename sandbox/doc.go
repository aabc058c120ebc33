// Package sandbox is an embedded Circle Headless sandbox: an in-memory demo
// community that answers the Circle Member API (/api/headless/v1/…) and Auth
// API (/api/v1/headless/…) with the same paths, query parameters, status
// codes, error messages and JSON shapes as app.circle.so, as documented in
// Circle's OpenAPI documents (docs/contract.md §7 says where they are).
//
// It is a product feature, not a test stub: the gateway runs against it when
// no Circle is configured (sandbox mode) so that anyone can develop and demo
// without a Circle plan, and cmd/circle-sandbox serves it on its own port for
// other clients. It issues real HS256 JWT access tokens (1 hour) and opaque
// refresh tokens (1 month), honours revocation on every endpoint, paginates
// as Circle does, and starts with a deterministic community (spaces, one of
// them for events and two private, dozens of members, posts, comments,
// replies, likes, events and RSVPs) whose id kinds live in disjoint ranges,
// so that a user id used as a member id shows at once. The Member API's
// writes (posts, comments and replies, likes, RSVPs, space memberships)
// change that state per member; counts are derived from the records, so
// they stay exact under concurrent writes. Each member also has in-app
// notifications (a comment on their post makes one) and direct and group
// chat rooms (notifications.go, chat.go), whose changes are published on
// the live hub (live.go) as the events Circle's cable pushes.
//
// It must never be used as, or in front of, a real community: it keeps
// everything in memory, its app token and signing key are for local
// development only (random per start unless given), and its data is made up.
// Nothing in the gateway may depend on sandbox-only behaviour: whatever works
// against the sandbox must work against Circle, which is why its answers are
// checked against Circle's OpenAPI documents in conformance_test.go.
package sandbox
