package graph

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"

	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/graph/generated"
	"github.com/circle-gateway/gateway/loaders"
)

// tracked plans the post lookups of query and returns its context, its
// loaders and a counter of post batches sent.
func tracked(t *testing.T, query string) (context.Context, *graphql.OperationContext, *loaders.Loaders, *atomic.Int32) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"page":1,"per_page":1,"count":0,"records":[]}`))
	}))
	t.Cleanup(srv.Close)
	c, err := circle.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	var batches atomic.Int32
	l := loaders.New(c.Member("token"), loaders.Config{OnBatch: func(name string, _ int) {
		if name == "PostsBySpaceAndID" {
			batches.Add(1)
		}
	}})
	schema := generated.NewExecutableSchema(generated.Config{Resolvers: &Resolver{}}).Schema()
	doc, errs := gqlparser.LoadQuery(schema, query)
	if errs != nil {
		t.Fatalf("%s: %v", query, errs)
	}
	oc := &graphql.OperationContext{Doc: doc, Operation: doc.Operations[0], Variables: map[string]any{}}
	return TrackPostLookups(context.Background(), oc, schema, l), oc, l, &batches
}

// The root fields that may ask for a post are expected before anything
// runs, so a post batch waits for them; nothing else holds a batch back.
func TestPostLookupRoots(t *testing.T) {
	t.Parallel()
	tests := map[string]bool{ // query → a batch waits
		`{ me { name } spaces { name } }`:                                  false,
		`{ post(spaceId: "1", id: "2") { title } }`:                        true,
		`{ homeFeed { nodes { title author { name } } } }`:                 false,
		`{ homeFeed { nodes { comments { nodes { post { title } } } } } }`: true,
		`{ homeFeed { nodes { ...P } } } fragment P on Post { comments { nodes { ...C } } } fragment C on Comment { post { id } }`: true,
		`{ member(id: "1") { comments { nodes { ... on Comment { post { id } } } } } }`:                                            true,
		// Counted until it runs: its skipped comments then add nothing.
		`{ homeFeed { nodes { comments @skip(if: true) { nodes { post { id } } } } } }`: true,
	}
	for q, waits := range tests {
		ctx, _, l, batches := tracked(t, q)
		thunk := l.PostsBySpaceAndID.Load(ctx, loaders.PostKey{SpaceID: 1, PostID: 2})
		if got := batches.Load() == 0; got != waits {
			t.Errorf("%s: batch waiting = %v, want %v", q, got, waits)
		}
		if !waits {
			_, _ = thunk()
		}
	}
}

// A counted field that fails before its resolver runs no longer counts,
// once however many errors it reports; an error of a running resolver
// changes nothing (the field ends through the middleware).
func TestPostLookupErrorBeforeResolver(t *testing.T) {
	t.Parallel()
	ctx, oc, l, batches := tracked(t, `{ post(spaceId: "1", id: "2") { title } }`)
	fields := graphql.CollectFields(oc, oc.Operation.SelectionSet, []string{"Query"})
	fc := &graphql.FieldContext{Object: "Query", Field: fields[0]}
	fieldCtx := graphql.WithFieldContext(ctx, fc)

	NotePostLookupError(context.WithValue(fieldCtx, resolvingKey{}, fc))
	thunk := l.PostsBySpaceAndID.Load(ctx, loaders.PostKey{SpaceID: 1, PostID: 2})
	if batches.Load() != 0 {
		t.Fatal("an error of the running resolver ended the field's count")
	}
	NotePostLookupError(fieldCtx)
	NotePostLookupError(fieldCtx)
	_, _ = thunk()
	if n := batches.Load(); n != 1 {
		t.Fatalf("%d batches after the field failed early, want 1", n)
	}
	if _, ok := ctx.Value(postLookupPlanKey{}).(*postLookupPlan); !ok {
		t.Fatal("no plan in the query's context")
	}
}

// Mutations are not tracked: their fields run one after another.
func TestPostLookupsNotTrackedForMutations(t *testing.T) {
	t.Parallel()
	ctx, _, _, _ := tracked(t, `mutation { likePost(spaceId: "1", postId: "2") { post { title } } }`)
	if _, ok := ctx.Value(postLookupPlanKey{}).(*postLookupPlan); ok {
		t.Fatal("a mutation got a post lookup plan")
	}
}
