package e2e

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/circle-gateway/gateway/internal/refqueries"
	"github.com/circle-gateway/gateway/internal/testenv"
	"github.com/circle-gateway/gateway/transport"
)

// FEDERATION=true (docs/federation.md): the gateway as a Federation v2
// subgraph. These tests run the real HTTP surface with the subgraph
// executor in front of the recording sandbox; clients/federation_test.go
// composes it with a second subgraph and serves both through a real router.

func federationEnv(t *testing.T, o testenv.Options) *testenv.Env {
	t.Helper()
	o.Transport.Federation = true
	return testenv.New(t, o)
}

// entitiesQuery asks for the objects behind representations, with sel on
// each entity type.
const entitiesQuery = `query($r: [_Any!]!) { _entities(representations: $r) { __typename %s } }`

// fedSeed is what the sandbox holds for the demo member: ids to make
// representations of.
type fedSeed struct {
	Members struct {
		Nodes []struct{ ID string }
	}
	HomeFeed struct {
		Nodes []struct {
			ID    string
			Space struct{ ID string }
			// Comments are the post's first comments (their post is
			// this one).
			Comments struct {
				Nodes []struct{ ID string }
			}
		}
	}
	Spaces []struct{ ID string }
}

func seedIDs(t *testing.T, env *testenv.Env, tok string) fedSeed {
	t.Helper()
	r := env.Do(t, tok, `{ members(first: 20) { nodes { id } } homeFeed(first: 20) { nodes { id space { id } comments(first: 2) { nodes { id } } } } spaces { id } }`, nil)
	mustNoErrors(t, r)
	var s fedSeed
	r.Decode(t, &s)
	if len(s.Members.Nodes) != 20 || len(s.HomeFeed.Nodes) != 20 || len(s.Spaces) < 2 {
		t.Fatalf("the sandbox should show 20 members, 20 feed posts and several spaces: %s", r.Data)
	}
	return s
}

func rep(typename string, fields ...any) map[string]any {
	m := map[string]any{"__typename": typename}
	for i := 0; i+1 < len(fields); i += 2 {
		m[fields[i].(string)] = fields[i+1]
	}
	return m
}

// sortedTargets lists calls as "METHOD path?query", sorted: the same calls
// in any order compare equal.
func sortedTargets(calls []testenv.Call) []string {
	out := targets(calls)
	slices.Sort(out)
	return out
}

// An _entities call with N references costs exactly what N fields reading
// those objects cost through the loaders in one operation, call for call,
// and answers the same objects: members one profile per distinct member,
// posts one post_ids call per space, spaces one GET /spaces.
func TestFederationEntitiesCostWhatTheirFieldsCost(t *testing.T) {
	t.Parallel()
	env := federationEnv(t, testenv.Options{})
	tok := env.DemoToken(t)
	seed := seedIDs(t, env, tok)

	type entityCase struct {
		name string
		reps []any
		// sel is selected on the entity type in _entities and on each
		// root field of fields.
		onType, sel string
		// fields reads the same objects as root fields, aliased f0, f1, …
		fields []string
		// wantCalls is the exact number of upstream calls both make.
		wantCalls int
		// wantPath is what each of those calls reads.
		wantPath func(path string) bool
	}
	var members, dupMembers, posts, spaces entityCase
	members = entityCase{name: "20 members", onType: "Member", sel: "id name bio postsCount", wantCalls: 20,
		wantPath: func(p string) bool { return strings.HasSuffix(p, "/public_profile") }}
	for _, m := range seed.Members.Nodes {
		members.reps = append(members.reps, rep("Member", "id", m.ID))
		members.fields = append(members.fields, fmt.Sprintf("member(id: %q)", m.ID))
	}
	dupMembers = entityCase{name: "20 references to 10 members", onType: "Member", sel: "id name", wantCalls: 10, wantPath: members.wantPath}
	for i := range 20 {
		m := seed.Members.Nodes[i%10]
		dupMembers.reps = append(dupMembers.reps, rep("Member", "id", m.ID))
		dupMembers.fields = append(dupMembers.fields, fmt.Sprintf("member(id: %q)", m.ID))
	}
	postSpaces := map[string]bool{}
	posts = entityCase{name: "20 posts", onType: "Post", sel: "id title author { name } space { id name }",
		wantPath: func(p string) bool { return strings.HasPrefix(p, "/spaces/") && strings.HasSuffix(p, "/posts") }}
	for _, p := range seed.HomeFeed.Nodes {
		posts.reps = append(posts.reps, rep("Post", "id", p.ID, "space", map[string]any{"id": p.Space.ID}))
		posts.fields = append(posts.fields, fmt.Sprintf("post(spaceId: %q, id: %q)", p.Space.ID, p.ID))
		postSpaces[p.Space.ID] = true
	}
	posts.wantCalls = len(postSpaces)
	if posts.wantCalls < 2 {
		t.Fatalf("the feed's posts should come from several spaces, got %v", postSpaces)
	}
	spaces = entityCase{name: "every space", onType: "Space", sel: "id name url isPrivate", wantCalls: 1,
		wantPath: func(p string) bool { return p == "/spaces" }}
	for _, s := range seed.Spaces {
		spaces.reps = append(spaces.reps, rep("Space", "id", s.ID))
		spaces.fields = append(spaces.fields, fmt.Sprintf("space(id: %q)", s.ID))
	}

	for _, tc := range []entityCase{members, dupMembers, posts, spaces} {
		t.Run(tc.name, func(t *testing.T) {
			env.Upstream.Reset()
			ents := env.Do(t, tok, fmt.Sprintf(entitiesQuery, "... on "+tc.onType+" { "+tc.sel+" }"), map[string]any{"r": tc.reps})
			mustNoErrors(t, ents)
			entityCalls := env.Upstream.Calls()

			var q strings.Builder
			q.WriteString("{ ")
			for i, f := range tc.fields {
				fmt.Fprintf(&q, "f%d: %s { __typename %s } ", i, f, tc.sel)
			}
			q.WriteString("}")
			env.Upstream.Reset()
			byField := env.Do(t, tok, q.String(), nil)
			mustNoErrors(t, byField)
			fieldCalls := env.Upstream.Calls()

			if len(entityCalls) != tc.wantCalls || len(fieldCalls) != tc.wantCalls {
				t.Fatalf("_entities made %d calls, the fields %d; want exactly %d each:\n%s\n--\n%s", len(entityCalls), len(fieldCalls), tc.wantCalls,
					strings.Join(sortedTargets(entityCalls), "\n"), strings.Join(sortedTargets(fieldCalls), "\n"))
			}
			if a, b := sortedTargets(entityCalls), sortedTargets(fieldCalls); !slices.Equal(a, b) {
				t.Fatalf("different calls:\n_entities: %v\nfields:    %v", a, b)
			}
			for _, c := range entityCalls {
				if c.Method != "GET" || !tc.wantPath(c.Path) {
					t.Errorf("unexpected call %s %s", c.Method, c.Target())
				}
				if c.Authorization != "Bearer "+tok {
					t.Errorf("%s was not sent with the requester's own token", c.Target())
				}
			}

			var got struct {
				Entities []json.RawMessage `json:"_entities"`
			}
			ents.Decode(t, &got)
			var fields map[string]json.RawMessage
			byField.Decode(t, &fields)
			if len(got.Entities) != len(tc.fields) {
				t.Fatalf("%d entities for %d references", len(got.Entities), len(tc.fields))
			}
			for i, e := range got.Entities {
				if want := fields[fmt.Sprintf("f%d", i)]; string(e) != string(want) {
					t.Errorf("entity %d is %s, the field answers %s", i, e, want)
				}
			}
		})
	}
}

// Comments are read one GET each, under their post; the post each
// comment's post field asks for joins one post_ids batch per space, as
// _entities counts among the fields that may ask for posts. All four
// entity types in one call cost the sum of their calls.
func TestFederationCommentsAndMixedEntities(t *testing.T) {
	t.Parallel()
	env := federationEnv(t, testenv.Options{})
	tok := env.DemoToken(t)
	seed := seedIDs(t, env, tok)

	var reps []any
	wantGets := map[string]bool{}
	spaces := map[string]bool{}
	for _, p := range seed.HomeFeed.Nodes {
		for _, c := range p.Comments.Nodes {
			reps = append(reps, rep("Comment", "id", c.ID, "post", map[string]any{"id": p.ID}))
			wantGets["GET /posts/"+p.ID+"/comments/"+c.ID] = true
			spaces[p.Space.ID] = true
		}
	}
	if len(reps) < 4 || len(spaces) < 2 {
		t.Fatalf("the feed's posts should have comments in several spaces: %d comments, spaces %v", len(reps), spaces)
	}
	env.Upstream.Reset()
	r := env.Do(t, tok, fmt.Sprintf(entitiesQuery, "... on Comment { id bodyText post { id title } }"), map[string]any{"r": reps})
	mustNoErrors(t, r)
	calls := env.Upstream.Calls()
	postCalls := 0
	for _, c := range calls {
		switch {
		case wantGets[c.Method+" "+c.Path]:
			delete(wantGets, c.Method+" "+c.Path)
		case c.Method == "GET" && strings.HasSuffix(c.Path, "/posts") && strings.Contains(c.Query, "post_ids="):
			postCalls++
		default:
			t.Errorf("unexpected call %s %s", c.Method, c.Target())
		}
	}
	if len(wantGets) != 0 || postCalls != len(spaces) || len(calls) != len(reps)+len(spaces) {
		t.Fatalf("%d calls, want one GET per comment (%d) and one post_ids call per space (%d); missing %v:\n%s",
			len(calls), len(reps), len(spaces), wantGets, strings.Join(targets(calls), "\n"))
	}
	var got struct {
		Entities []struct {
			ID   string
			Post struct{ ID string }
		} `json:"_entities"`
	}
	r.Decode(t, &got)
	for i, e := range got.Entities {
		want := reps[i].(map[string]any)
		if e.ID != want["id"] || e.Post.ID != want["post"].(map[string]any)["id"] {
			t.Errorf("entity %d is comment %s of post %s, want %v", i, e.ID, e.Post.ID, want)
		}
	}

	// All four types at once: 3 profiles, one GET /spaces, one post_ids
	// call for two posts of one space, one GET for a comment.
	p0 := seed.HomeFeed.Nodes[0]
	var p1 = p0
	for _, p := range seed.HomeFeed.Nodes[1:] {
		if p.Space.ID == p0.Space.ID {
			p1 = p
			break
		}
	}
	if p1.ID == p0.ID {
		t.Fatal("the feed should have two posts of one space")
	}
	c := reps[0].(map[string]any)
	mixed := []any{
		rep("Member", "id", seed.Members.Nodes[0].ID), rep("Space", "id", seed.Spaces[0].ID),
		rep("Post", "id", p0.ID, "space", map[string]any{"id": p0.Space.ID}), c,
		rep("Member", "id", seed.Members.Nodes[1].ID), rep("Post", "id", p1.ID, "space", map[string]any{"id": p1.Space.ID}),
		rep("Member", "id", seed.Members.Nodes[2].ID), rep("Space", "id", seed.Spaces[1].ID),
	}
	env.Upstream.Reset()
	r = env.Do(t, tok, fmt.Sprintf(entitiesQuery, "... on Member { name bio } ... on Space { name url } ... on Post { title } ... on Comment { bodyText }"), map[string]any{"r": mixed})
	mustNoErrors(t, r)
	calls = env.Upstream.Calls()
	if len(calls) != 6 {
		t.Fatalf("%d calls, want 6 (3 profiles, GET /spaces, one post_ids, one comment):\n%s", len(calls), strings.Join(targets(calls), "\n"))
	}
	var typed struct {
		Entities []struct {
			Typename string `json:"__typename"`
		} `json:"_entities"`
	}
	r.Decode(t, &typed)
	for i, e := range typed.Entities {
		if want := mixed[i].(map[string]any)["__typename"]; e.Typename != want {
			t.Errorf("entity %d is a %s, want a %s", i, e.Typename, want)
		}
	}
}

// Entity resolution is a read as the requester, like every field: without
// a member token every reference fails UNAUTHENTICATED and Circle is not
// called; an unknown id is NOT_FOUND at its own index, the others answer.
func TestFederationEntitiesAuthAndMissing(t *testing.T) {
	t.Parallel()
	env := federationEnv(t, testenv.Options{})
	tok := env.DemoToken(t)
	seed := seedIDs(t, env, tok)
	reps := []any{rep("Member", "id", seed.Members.Nodes[0].ID), rep("Post", "id", seed.HomeFeed.Nodes[0].ID, "space", map[string]any{"id": seed.HomeFeed.Nodes[0].Space.ID})}

	env.Upstream.Reset()
	r := env.Do(t, "", fmt.Sprintf(entitiesQuery, "... on Member { name } ... on Post { title }"), map[string]any{"r": reps})
	mustOnlyCode(t, r, transport.CodeUnauthenticated)
	if calls := env.Upstream.Calls(); len(calls) != 0 {
		t.Fatalf("Circle called without a token: %v", targets(calls))
	}

	missing := append(reps, rep("Member", "id", "999999"))
	r = env.Do(t, tok, fmt.Sprintf(entitiesQuery, "... on Member { name } ... on Post { title }"), map[string]any{"r": missing})
	if len(r.Errors) != 1 || r.Errors[0].Code() != transport.CodeNotFound || fmt.Sprint(r.Errors[0].Path) != "[_entities 2]" {
		t.Fatalf("errors %+v, want one NOT_FOUND at _entities[2]", r.Errors)
	}
	var got struct {
		Entities []json.RawMessage `json:"_entities"`
	}
	r.Decode(t, &got)
	if len(got.Entities) != 3 || string(got.Entities[2]) != "null" || string(got.Entities[0]) == "null" || string(got.Entities[1]) == "null" {
		t.Fatalf("entities %s, want the first two and null", r.Data)
	}
}

// A representation the subgraph cannot look up is refused before the
// operation runs, BAD_USER_INPUT and no upstream call; so is a batch of
// references costlier than MAX_QUERY_COMPLEXITY.
func TestFederationRepresentationsRefused(t *testing.T) {
	t.Parallel()
	env := federationEnv(t, testenv.Options{})
	tok := env.DemoToken(t)
	for _, tc := range []struct {
		name string
		rep  any
		want string
	}{
		{"not an object", "Member:1", "is an object"},
		{"no typename", map[string]any{"id": "1"}, `__typename ""`},
		{"not an entity", rep("PageInfo", "id", "1"), `"PageInfo" is not an entity`},
		{"no id", rep("Member"), "Member needs id"},
		{"id not an integer", rep("Member", "id", "abc"), "Member needs id"},
		{"id not positive", rep("Space", "id", "0"), "Space needs id"},
		{"post without its space", rep("Post", "id", "1"), "Post needs space.id"},
		{"post with a flat space", rep("Post", "id", "1", "space", "3"), "Post needs space.id"},
		{"comment without its post", rep("Comment", "id", "1", "post", map[string]any{}), "Comment needs post.id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env.Upstream.Reset()
			r := env.Do(t, tok, fmt.Sprintf(entitiesQuery, "... on Member { name }"), map[string]any{"r": []any{rep("Member", "id", "1"), tc.rep}})
			if len(r.Errors) != 1 || r.Errors[0].Code() != transport.CodeBadUserInput || !strings.Contains(r.Errors[0].Message, "representations[1]: ") || !strings.Contains(r.Errors[0].Message, tc.want) {
				t.Fatalf("errors %+v, want one BAD_USER_INPUT about representations[1] saying %q", r.Errors, tc.want)
			}
			if calls := env.Upstream.Calls(); len(calls) != 0 {
				t.Fatalf("upstream called: %v", targets(calls))
			}
		})
	}

	many := make([]any, 201)
	for i := range many {
		many[i] = rep("Member", "id", fmt.Sprint(i+1))
	}
	env.Upstream.Reset()
	r := env.Do(t, tok, fmt.Sprintf(entitiesQuery, "... on Member { name bio }"), map[string]any{"r": many})
	if len(r.Errors) != 1 || r.Errors[0].Code() != transport.CodeComplexityLimitExceeded || !strings.Contains(r.Errors[0].Message, "about 201 upstream calls") {
		t.Fatalf("errors %+v, want COMPLEXITY_LIMIT_EXCEEDED for 201 calls", r.Errors)
	}
	if calls := env.Upstream.Calls(); len(calls) != 0 {
		t.Fatalf("upstream called: %v", targets(calls))
	}
}

// _service answers the subgraph's SDL, with the keys and the Federation v2
// link, and follows INTROSPECTION: off, it is refused like __schema.
func TestFederationService(t *testing.T) {
	t.Parallel()
	env := federationEnv(t, testenv.Options{})
	r := env.Do(t, "", `{ _service { sdl } }`, nil)
	mustNoErrors(t, r)
	var got struct {
		Service struct{ SDL string } `json:"_service"`
	}
	r.Decode(t, &got)
	for _, want := range []string{
		`@link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])`,
		`extend type Member @key(fields: "id")`, `extend type Space @key(fields: "id")`,
		`extend type Post @key(fields: "id space { id }")`, `extend type Comment @key(fields: "id post { id }")`,
		"homeFeed(", "type Member {",
	} {
		if !strings.Contains(got.Service.SDL, want) {
			t.Errorf("the SDL lacks %q", want)
		}
	}
	if strings.Contains(got.Service.SDL, "_entities") || strings.Contains(got.Service.SDL, "union _Entity") {
		t.Error("the SDL holds the federation plugin's own definitions, which routers add themselves")
	}

	off := federationEnv(t, testenv.Options{DisableIntrospection: true})
	r = off.Do(t, "", `{ _service { sdl } }`, nil)
	if len(r.Errors) != 1 || r.Errors[0].Code() != transport.CodeValidationFailed || r.Data != nil && string(r.Data) != "null" {
		t.Fatalf("with introspection off: %s %+v", r.Data, r.Errors)
	}
}

// Without FEDERATION nothing of it is served: no _service, no _entities,
// no federation type or directive in the SDL or the introspection result.
func TestFederationOffByDefault(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	for _, q := range []string{`{ _service { sdl } }`, fmt.Sprintf(entitiesQuery, "")} {
		r := env.Do(t, tok, q, map[string]any{"r": []any{rep("Member", "id", "1")}})
		if len(r.Errors) == 0 || r.Errors[0].Code() != transport.CodeValidationFailed {
			t.Fatalf("%s: %+v, want GRAPHQL_VALIDATION_FAILED", q, r.Errors)
		}
	}
	for _, path := range []string{"/schema.graphql", "/schema.json"} {
		_, body := getBody(t, env.URL+path)
		for _, name := range []string{"_entities", "_service", "_Entity", "_Any", "@key", "FieldSet", "federation__", "@link"} {
			if strings.Contains(body, name) {
				t.Errorf("%s mentions %s", path, name)
			}
		}
	}
}

// The subgraph executor serves the ordinary fields with the same calls:
// every reference query costs its budget in subgraph mode too.
func TestFederationReferenceQueryBudgets(t *testing.T) {
	t.Parallel()
	env := federationEnv(t, testenv.Options{})
	tok := env.DemoToken(t)
	for _, rq := range refqueries.All {
		t.Run(rq.Name, func(t *testing.T) {
			if calls, want := referenceCalls(t, env, tok, rq); len(calls) != want {
				t.Fatalf("%d upstream calls, budget %d:\n%s", len(calls), want, strings.Join(targets(calls), "\n"))
			}
		})
	}
}
