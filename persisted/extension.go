package persisted

import (
	"context"
	"errors"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// ErrNotAllowed marks an operation refused because it is not in the
// manifest while only persisted operations may run; the error presenter
// gives it PERSISTED_QUERY_NOT_ALLOWED (HTTP 422).
var ErrNotAllowed = errors.New("operation not in the manifest")

// Extension is the gqlgen handler extension that serves a manifest. Add it
// with (*handler.Server).Use before the Automatic Persisted Queries extension, so
// that a hash in the manifest is answered from it and the APQ cache is
// consulted only for the others.
type Extension struct {
	manifest *Manifest
	only     bool
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = (*Extension)(nil)

// NewExtension serves m. With only set, every operation whose document is
// not in m is refused (PERSISTED_OPERATIONS_ONLY).
func NewExtension(m *Manifest, only bool) (*Extension, error) {
	if m == nil {
		return nil, errors.New("persisted operations: no manifest")
	}
	return &Extension{manifest: m, only: only}, nil
}

// ExtensionName names the extension in gqlgen's stats.
func (*Extension) ExtensionName() string { return "PersistedOperations" }

// Validate is gqlgen's start-up check; the manifest was checked when it was
// parsed.
func (*Extension) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters fills the document of a hash-only request from
// the manifest and, when only persisted operations may run, refuses any
// other document before it is parsed.
func (e *Extension) MutateOperationParameters(_ context.Context, p *graphql.RawParams) *gqlerror.Error {
	hash, hashed := requestedHash(p.Extensions)
	if p.Query == "" && hashed {
		if doc, ok := e.manifest.Document(hash); ok {
			p.Query = doc
			// APQ, next, checks the hash against the document: give it the
			// canonical form of a "sha256:"-prefixed or upper-case hash.
			p.Extensions["persistedQuery"].(map[string]any)["sha256Hash"] = Hash(doc)
			return nil
		}
		if e.only {
			return notAllowed("persisted operation " + quoteHash(hash) + " is not in this gateway's operations manifest")
		}
		return nil // an Automatic Persisted Query, perhaps: APQ answers it
	}
	if e.only && !e.manifest.Contains(p.Query) {
		return notAllowed("this gateway runs only the operations in its manifest; send the hash of a persisted operation in extensions.persistedQuery.sha256Hash")
	}
	return nil
}

// requestedHash reads extensions.persistedQuery.sha256Hash.
func requestedHash(ext map[string]any) (string, bool) {
	pq, _ := ext["persistedQuery"].(map[string]any)
	hash, _ := pq["sha256Hash"].(string)
	return hash, hash != ""
}

// quoteHash echoes a client's hash only when it looks like one.
func quoteHash(hash string) string {
	if len(hash) != 64 || strings.Trim(strings.ToLower(hash), "0123456789abcdef") != "" {
		return "(not a sha256 hex hash)"
	}
	return hash
}

// notAllowed refuses an operation with msg, which says what to send instead.
func notAllowed(msg string) *gqlerror.Error {
	return &gqlerror.Error{Message: msg, Err: ErrNotAllowed}
}
