// Package live bridges the gateway's GraphQL subscriptions to Circle's
// real-time cable: an ActionCable endpoint (wss://app.circle.so/cable, or
// the sandbox's own /cable) on which Circle pushes notification and chat
// events to each member (docs/contract.md §8, Circle's "Websockets (Beta)" page).
//
// A Bridge holds at most one upstream WebSocket per member access token,
// shared by every subscription of that token in the process: the first
// subscriber dials it, each further one only adds (or shares) an ActionCable
// channel subscription on it, and the last one to leave closes it. The
// token goes upstream as "Authorization: Bearer", with the Origin the
// community allows. A connection that drops, or whose server stops pinging,
// is dialled again with jittered exponential backoff while its subscribers
// keep their subscriptions; while it is down, a Poller (when configured)
// reads the member's notification count every PollInterval instead, so that
// notifications still arrive, later.
//
// What one member's connection receives is delivered only to the
// subscriptions made with that member's token: connections are keyed by the
// token itself, never shared between tokens, and a subscription can only be
// attached to the connection of the token it was made with. Tokens are never
// logged.
package live
