package apq

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"

	"github.com/99designs/gqlgen/graphql"
	"github.com/go-viper/mapstructure/v2"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// The protocol (Apollo's): a client sends extensions.persistedQuery
// {"version": 1, "sha256Hash": "<hex>"}, without the query once the gateway
// knows it. Extension speaks it as gqlgen's own AutomaticPersistedQuery
// does, decoding the extension the same way, but its refusals are typed,
// so that the error presenter gives them their codes without reading
// their text.

// ErrNotFound is a hash sent alone that the store does not hold: the client
// must send the query with it (PERSISTED_QUERY_NOT_FOUND). Its message is
// the one Apollo's clients look for, "PersistedQueryNotFound".
var ErrNotFound = errors.New("PersistedQueryNotFound")

// ErrBadExtension marks a persistedQuery extension the gateway cannot use
// (BAD_REQUEST); every such refusal is an *ExtensionError.
var ErrBadExtension = errors.New("persisted query extension")

// ExtensionError is a persistedQuery extension refused; Problem says what
// is wrong with it.
type ExtensionError struct {
	Problem string
}

func (e *ExtensionError) Error() string { return ErrBadExtension.Error() + ": " + e.Problem }

// Is makes every ExtensionError match ErrBadExtension.
func (e *ExtensionError) Is(target error) bool { return target == ErrBadExtension }

// The problems an ExtensionError reports.
const (
	problemUndecodable = "invalid APQ extension data"
	problemVersion     = "unsupported APQ version"
	problemMismatch    = "provided APQ hash does not match query"
)

// Extension is the gqlgen handler extension serving Automatic Persisted
// Queries from Cache (in memory, or Redis shared by replicas).
type Extension struct {
	Cache graphql.Cache[string]
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = Extension{}

// ExtensionName names the extension for gqlgen.
func (Extension) ExtensionName() string { return "AutomaticPersistedQuery" }

// Validate refuses to start without a cache.
func (e Extension) Validate(graphql.ExecutableSchema) error {
	if e.Cache == nil {
		return errors.New("apq: Extension.Cache is nil")
	}
	return nil
}

// MutateOperationParameters fills the query of a request that sent only a
// known hash, and registers the query of one that sent both, after
// checking that the hash is the query's.
func (e Extension) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if p.Extensions["persistedQuery"] == nil {
		return nil
	}
	var ext struct {
		Sha256  string `mapstructure:"sha256Hash"`
		Version int64  `mapstructure:"version"`
	}
	if err := mapstructure.Decode(p.Extensions["persistedQuery"], &ext); err != nil {
		return refusal(&ExtensionError{Problem: problemUndecodable})
	}
	if ext.Version != 1 {
		return refusal(&ExtensionError{Problem: problemVersion})
	}
	if p.Query == "" {
		q, ok := e.Cache.Get(ctx, ext.Sha256)
		if !ok {
			return refusal(ErrNotFound)
		}
		p.Query = q
		return nil
	}
	if sum := sha256.Sum256([]byte(p.Query)); hex.EncodeToString(sum[:]) != ext.Sha256 {
		return refusal(&ExtensionError{Problem: problemMismatch})
	}
	e.Cache.Add(ctx, ext.Sha256, p.Query)
	return nil
}

func refusal(err error) *gqlerror.Error {
	return &gqlerror.Error{Message: err.Error(), Err: err}
}
