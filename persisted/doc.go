// Package persisted lets production apps lock the gateway to the operations
// they ship. An app's build produces an operations manifest — the JSON map of
// hash → document that graphql-codegen's client preset (persistedDocuments)
// or Apollo's generate-persisted-query-manifest write — and the gateway loads
// it at start (PERSISTED_OPERATIONS_FILE).
//
// With a manifest loaded, a request may carry only the operation's hash in
// extensions.persistedQuery.sha256Hash (the Automatic Persisted Queries
// shape, so the same client links work) and the gateway fills in the
// document. With PERSISTED_OPERATIONS_ONLY=true every operation whose
// document is not in the manifest is refused with extensions.code
// PERSISTED_QUERY_NOT_ALLOWED (HTTP 422), before it is parsed and without
// any upstream call.
//
// The package must never run or store a document that is not byte for byte
// one of the manifest's: every manifest key is checked at load to be the
// SHA-256 of its document, and lookups are by that hash only.
package persisted
