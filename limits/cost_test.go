package limits

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// The estimated cost of operations on the served schema (schema/), field
// by field: each list field is weighted by its `first` or, for lists
// Circle returns whole, by unboundedListSize; each field that fetches
// costs one; fields that need their object's own record cost one per
// object; alternatives of a union cost the dearest one.

func loadSchema(t *testing.T) *ast.Schema {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "schema", "*.graphqls"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no schema files: %v", err)
	}
	var sources []*ast.Source
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, &ast.Source{Name: p, Input: string(b)})
	}
	s, err := gqlparser.LoadSchema(sources...)
	if err != nil {
		t.Fatalf("schema: %v", err)
	}
	return s
}

// costOf measures query with the default limits raised out of the way and
// returns its estimated cost.
func costOf(t *testing.T, schema *ast.Schema, query string, vars map[string]any) int {
	t.Helper()
	doc, errs := gqlparser.LoadQuery(schema, query)
	if len(errs) > 0 {
		t.Fatalf("query does not validate: %v", errs)
	}
	oc := &graphql.OperationContext{Doc: doc, Operation: doc.Operations[0], Variables: vars}
	if err := (Limits{MaxComplexity: capCost}).MutateOperationContext(context.Background(), oc); err != nil {
		t.Fatalf("refused: %v", err)
	}
	cost, ok := oc.Stats.GetExtension("complexity").(int)
	if !ok {
		t.Fatal("no complexity recorded")
	}
	return cost
}

func TestCourseAndQuizCosts(t *testing.T) {
	t.Parallel()
	schema := loadSchema(t)
	n := unboundedListSize
	tests := []struct {
		name  string
		query string
		want  int
	}{
		{"course page: the outline is one call", `{ course(id: 1) { sections { name lessons { name progress needsToCompletePreviousLesson } } } }`, 1},
		{"lesson bodies cost one call per lesson of the outline", `{ course(id: 1) { sections { lessons { name bodyText tiptapBody featuredMedia { url } } } } }`, 1 + n*n},
		{"lesson page", `{ course(id: 1) { sections { lessons { name } } lesson(id: 2) { name bodyText featuredMedia { url } files(first: 10) { nodes { url } } } } }`, 1 + 1 + 1},
		{"lesson files are a connection", `{ course(id: 1) { sections { lessons { files(first: 5) { totalCount } } } } }`, 1 + n*n},
		{"course space", `{ course(id: 1) { space { name } } }`, 2},
		{"course of every space", `{ spaces { course { sections { name } } } }`, 1 + n*(1+1)},
		{"a lesson's course", `{ course(id: 1) { lesson(id: 2) { course { sections { name } } } } }`, 3},
		{"course topics", `{ courseTopics(first: 50) { nodes { name adminOnly } } }`, 1},
		{"quiz attempts of a course", `{ course(id: 1) { quizAttempts(first: 10) { nodes { grade member { name } } } } }`, 1 + 1},
		{"graded questions of listed attempts cost one call each", `{ course(id: 1) { quizAttempts(first: 10) { nodes { questions { statement } hideAnswers } } } }`, 1 + 1 + 10},
		{"a listed attempt's member profile", `{ course(id: 1) { quizAttempts(first: 10) { nodes { member { bio } } } } }`, 1 + 1 + 10},
		{"one attempt: its questions come with it", `{ quizAttempt(quizId: 1, id: 2) { questions { options { value } } hideAnswers } }`, 1},
		{"a submitted attempt comes graded", `mutation { submitQuizAttempt(quizId: 1, responses: []) { attempt { questions { id } } } }`, 0},
		{"a lesson through a fragment on the lesson page", `query { course(id: 1) { lesson(id: 2) { ...L } sections { lessons { ...L } } } } fragment L on Lesson { bodyText }`, 1 + 1 + n*n},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := costOf(t, schema, tt.query, nil); got != tt.want {
				t.Errorf("cost %d, want %d", got, tt.want)
			}
		})
	}
}

func TestSearchCosts(t *testing.T) {
	t.Parallel()
	schema := loadSchema(t)
	tests := []struct {
		name  string
		query string
		want  int
	}{
		{"a page of mixed results is one call", `{ search(query: "x", first: 20) { totalCount nodes { __typename
			... on PostSearchResult { highlightedTitle space { name } author { name avatarUrl } }
			... on CommentSearchResult { bodyText postName }
			... on MemberSearchResult { highlightedName member { name headline } } } } }`, 1},
		{"alternatives cost the dearest one, not their sum", `{ search(query: "x", first: 20) { nodes {
			... on PostSearchResult { post { isLiked } }
			... on CommentSearchResult { comment { id } }
			... on LessonSearchResult { lesson { bodyText } } } } }`, 1 + 20},
		{"fields of one alternative add up", `{ search(query: "x", first: 20) { nodes {
			... on CommentSearchResult { post { title } comment { id } } } } }`, 1 + 20*2},
		{"named fragments are alternatives too", `query { advancedSearch(query: "x", first: 10) { nodes { ...P ...C } } }
			fragment P on PostSearchResult { post { title } author { bio } }
			fragment C on CommentSearchResult { post { title } }`, 1 + 10*2},
		{"a lesson result's lesson costs its GET", `{ advancedSearch(query: "x", type: LESSONS, first: 5) { nodes { ... on LessonSearchResult { lesson { progress bodyText tiptapBody } } } } }`, 1 + 5},
		{"a member result's profile", `{ advancedSearch(query: "x", type: MEMBERS, first: 10) { nodes { ... on MemberSearchResult { member { bio postsCount } } } } }`, 1 + 10},
		{"member search", `{ searchMembers(input: { query: "a" }, first: 30) { totalCount nodes { name headline isAdmin } } }`, 1},
		{"member search with profiles", `{ searchMembers(first: 30) { nodes { bio } } }`, 1 + 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := costOf(t, schema, tt.query, nil); got != tt.want {
				t.Errorf("cost %d, want %d", got, tt.want)
			}
		})
	}
}
