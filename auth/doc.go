// Package auth reads the caller's identity from a request: the Circle member
// access token in "Authorization: Bearer …".
//
// The gateway does not hold Circle's signing key, so it cannot verify member
// tokens; Circle verifies them on every call. What this package does is
// refuse early — a missing, malformed, oversized or expired token never
// costs an upstream call — and read the member id so per-member state can be
// keyed. The token itself is forwarded to Circle unchanged and must never
// be logged, put in an error message, or used as a metrics label.
package auth
