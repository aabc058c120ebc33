package subgraph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"github.com/circle-gateway/gateway/graph"
	"github.com/circle-gateway/gateway/graph/generated"
	"github.com/circle-gateway/gateway/graph/model"
)

// Root is the subgraph executor's resolver root: the resolvers of package
// graph, through the main executor's resolver root, plus the entity
// lookups. gqlgen generates the subgraph's resolver interfaces from the
// same schema and models as the main executor's (gqlgen.subgraph.yml), so
// each of the main root's resolvers is also the subgraph's; a resolver type
// added to the schema adds a method to both roots, and one line here.
type Root struct {
	// Resolver is the dependency root both executors share.
	Resolver *graph.Resolver
}

// New is the subgraph executor over r's resolvers.
func New(r *graph.Resolver) graphql.ExecutableSchema {
	return NewExecutableSchema(Config{Resolvers: Root{Resolver: r}})
}

var _ ResolverRoot = Root{}

func (r Root) main() generated.ResolverRoot { return r.Resolver }

// Bookmark is the main executor's Bookmark resolver.
func (r Root) Bookmark() BookmarkResolver { return r.main().Bookmark() }

// ChatMessage is the main executor's ChatMessage resolver.
func (r Root) ChatMessage() ChatMessageResolver { return r.main().ChatMessage() }

// ChatRoom is the main executor's ChatRoom resolver.
func (r Root) ChatRoom() ChatRoomResolver { return r.main().ChatRoom() }

// Comment is the main executor's Comment resolver.
func (r Root) Comment() CommentResolver { return r.main().Comment() }

// CommentSearchResult is the main executor's CommentSearchResult resolver.
func (r Root) CommentSearchResult() CommentSearchResultResolver {
	return r.main().CommentSearchResult()
}

// Course is the main executor's Course resolver.
func (r Root) Course() CourseResolver { return r.main().Course() }

// Event is the main executor's Event resolver.
func (r Root) Event() EventResolver { return r.main().Event() }

// Lesson is the main executor's Lesson resolver.
func (r Root) Lesson() LessonResolver { return r.main().Lesson() }

// Member is the main executor's Member resolver.
func (r Root) Member() MemberResolver { return r.main().Member() }

// Mutation is the main executor's Mutation resolver.
func (r Root) Mutation() MutationResolver { return r.main().Mutation() }

// Notification is the main executor's Notification resolver.
func (r Root) Notification() NotificationResolver { return r.main().Notification() }

// Post is the main executor's Post resolver.
func (r Root) Post() PostResolver { return r.main().Post() }

// PostSearchResult is the main executor's PostSearchResult resolver.
func (r Root) PostSearchResult() PostSearchResultResolver { return r.main().PostSearchResult() }

// Query is the main executor's Query resolver.
func (r Root) Query() QueryResolver { return r.main().Query() }

// QuizAttempt is the main executor's QuizAttempt resolver.
func (r Root) QuizAttempt() QuizAttemptResolver { return r.main().QuizAttempt() }

// Space is the main executor's Space resolver.
func (r Root) Space() SpaceResolver { return r.main().Space() }

// Subscription is the main executor's Subscription resolver.
func (r Root) Subscription() SubscriptionResolver { return r.main().Subscription() }

// Entity resolves the references of _entities, one call per entity type
// with all of its representations (entity_resolver_multi).
func (r Root) Entity() EntityResolver { return entityResolver(r) }

// entityResolver hands representations to graph's entity functions, which
// read them through the operation's loaders.
type entityResolver Root

// FindManyMemberByIDs resolves Member references (key: id).
func (r entityResolver) FindManyMemberByIDs(ctx context.Context, reps []*MemberByIDsInput) ([]*model.Member, error) {
	ids := make([]string, len(reps))
	for i, rep := range reps {
		ids[i] = rep.ID
	}
	return r.Resolver.MemberEntities(ctx, ids)
}

// FindManySpaceByIDs resolves Space references (key: id).
func (r entityResolver) FindManySpaceByIDs(ctx context.Context, reps []*SpaceByIDsInput) ([]*model.Space, error) {
	ids := make([]string, len(reps))
	for i, rep := range reps {
		ids[i] = rep.ID
	}
	return r.Resolver.SpaceEntities(ctx, ids)
}

// FindManyPostByIDAndSpaceIDs resolves Post references (key: id space { id }).
func (r entityResolver) FindManyPostByIDAndSpaceIDs(ctx context.Context, reps []*PostByIDAndSpaceIDsInput) ([]*model.Post, error) {
	refs := make([]graph.PostRef, len(reps))
	for i, rep := range reps {
		refs[i] = graph.PostRef{ID: rep.ID, SpaceID: rep.SpaceID}
	}
	return r.Resolver.PostEntities(ctx, refs)
}

// FindManyCommentByIDAndPostIDs resolves Comment references (key: id post { id }).
func (r entityResolver) FindManyCommentByIDAndPostIDs(ctx context.Context, reps []*CommentByIDAndPostIDsInput) ([]*model.Comment, error) {
	refs := make([]graph.CommentRef, len(reps))
	for i, rep := range reps {
		refs[i] = graph.CommentRef{ID: rep.ID, PostID: rep.PostID}
	}
	return r.Resolver.CommentEntities(ctx, refs)
}
