// Package budget shares Circle's budget of calls (CIRCLE_RATE_LIMIT, about
// 2000 per 5 minutes per egress IP) among the gateway's callers and
// replicas, so that nobody — least of all a client making up member
// tokens — can spend it for everyone.
//
//   - Local and SharedLimiter are the client-side rate limit: sliding-window
//     logs (no window ever holds more than the limit, and the whole limit is
//     usable at once) of every part of the budget: all calls, the Member
//     API's part (the rest is the Auth API's reserve), the share of calls on
//     tokens Circle has not accepted yet, and each member's share.
//     SharedLimiter keeps the logs in Redis so every replica draws on one
//     budget, and falls back to Local while Redis fails.
//   - Tokens remembers, by hash, what Circle answered for member
//     credentials (accepted, refused) until they expire, so a refused token
//     costs no second call and a proven one needs no probe (package circle
//     uses it to send one call at a time on unproven tokens).
//   - Clients is the inbound per-client-address limit on requests whose
//     token Circle has not accepted.
//
// It must never store or label anything by a token: keys are SHA-256
// hashes of tokens and community member ids. A Redis that fails or is slow
// must never fail or hold up a call beyond DefaultRedisTimeout: the
// process then decides alone, and says so (Redis.Status).
package budget
