// Package circle is the gateway's only HTTP client of Circle's Headless APIs:
// the Member API, called with a member's own access token, and the Auth API,
// called with the community's app token.
//
// It knows Circle's paths, query parameters and JSON shapes (the types in
// models.go follow the official OpenAPI documents) and turns Circle's error
// bodies into *Error values. It knows nothing of GraphQL: callers map its
// errors to GraphQL codes, and batching and deduplication across one GraphQL
// operation belong to package loaders, which plugs in through MemberAPI.WithGetter.
//
// It must never log or echo a token, and never return an upstream error body
// beyond Circle's "message" field.
package circle
