// Package limits refuses GraphQL operations that are too big for the
// gateway to run safely, before any upstream call: too deep, too many
// aliases or root fields, or too costly — where cost estimates the upstream
// calls the operation could make, with list fields weighted by their
// `first` (docs/contract.md §1, §5).
//
// The checks run as a gqlgen handler extension after parsing and
// validation, walking the operation with its fragments expanded. Every
// fragment is measured once and cycles are cut, so hostile documents cost
// linear time. Before that, the document's tokens and nesting are counted
// (tokens.go). Every refusal wraps ErrOverLimit, which the error presenter
// reports as COMPLEXITY_LIMIT_EXCEEDED.
//
// The same extension validates every connection's `first` and `after`
// (arguments.go) before the operation runs, so that a nested field that
// cannot be fetched is refused as BAD_USER_INPUT before any outer list is.
package limits

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/circle-gateway/gateway/relay"
)

// Defaults of docs/contract.md §1.
const (
	DefaultMaxDepth      = 15
	DefaultMaxAliases    = 30
	DefaultMaxRootFields = 20
	// DefaultMaxComplexity is the upstream-call budget of one operation.
	// The reference queries of docs/contract.md §6 cost at most 21 by this
	// measure; Circle's rate limit is about 2000 calls per 5 minutes.
	DefaultMaxComplexity = 200
)

// Limits is a gqlgen handler extension. A zero field means its default.
type Limits struct {
	MaxDepth      int
	MaxAliases    int
	MaxRootFields int
	MaxComplexity int
	// MaxTokens bounds the tokens of a document (tokens.go).
	MaxTokens int
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
	graphql.OperationContextMutator
} = Limits{}

// ExtensionName names the extension for gqlgen.
func (Limits) ExtensionName() string { return "QueryLimits" }

// Validate accepts any schema.
func (Limits) Validate(graphql.ExecutableSchema) error { return nil }

func (l Limits) withDefaults() Limits {
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxAliases <= 0 {
		l.MaxAliases = DefaultMaxAliases
	}
	if l.MaxRootFields <= 0 {
		l.MaxRootFields = DefaultMaxRootFields
	}
	if l.MaxComplexity <= 0 {
		l.MaxComplexity = DefaultMaxComplexity
	}
	if l.MaxTokens <= 0 {
		l.MaxTokens = DefaultMaxTokens
	}
	return l
}

// MutateOperationContext measures the operation and refuses it when it is
// over a limit. It also records the estimated cost in gqlgen's stats.
func (l Limits) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	l = l.withDefaults()
	m := newMeter(oc)
	fields, aliases := countFields(oc.Doc)
	if fields > maxFields {
		return refuse("the operation selects %d fields; at most %d are allowed", fields, maxFields)
	}
	if n := aliases; n > l.MaxAliases {
		return refuse("the operation uses %d aliases; at most %d are allowed", n, l.MaxAliases)
	}
	if n := m.rootFields(oc.Operation.SelectionSet); n > l.MaxRootFields {
		return refuse("the operation selects %d root fields; at most %d are allowed", n, l.MaxRootFields)
	}
	if d := m.depth(oc.Operation.SelectionSet, l.MaxDepth+1); d > l.MaxDepth {
		return refuse("the operation is nested deeper than %d levels", l.MaxDepth)
	}
	if err := checkConnectionArguments(oc); err != nil {
		return err
	}
	cost := addCapped(m.cost(oc.Operation.SelectionSet), len(m.perOperation))
	oc.Stats.SetExtension("complexity", cost)
	if cost > l.MaxComplexity {
		return refuse("the operation could cost about %d upstream calls; at most %d are allowed — ask for fewer items (`first`) or fewer nested lists", cost, l.MaxComplexity)
	}
	return nil
}

// ErrOverLimit marks every refusal of an operation for its size or cost
// (COMPLEXITY_LIMIT_EXCEEDED, docs/contract.md §5).
var ErrOverLimit = errors.New("query limit exceeded")

// refuse is the refusal of an over-limit operation: its message says which
// limit and by how much, and it wraps ErrOverLimit.
func refuse(format string, args ...any) *gqlerror.Error {
	return &gqlerror.Error{Message: fmt.Sprintf(format, args...), Err: ErrOverLimit}
}

// maxFields caps the field selections written in a document (operations
// and fragments, not expanded). Real operations, GraphiQL's introspection
// query included, use a few hundred at most; the cap bounds the work of
// validating a document (fields that can be merged are compared pairwise)
// before the limits that follow can look at what it costs.
const maxFields = 1000

// countFields counts the field selections and the aliases written in doc.
func countFields(doc *ast.QueryDocument) (fields, aliases int) {
	var walk func(ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				fields++
				if s.Alias != "" && s.Alias != s.Name {
					aliases++
				}
				walk(s.SelectionSet)
			case *ast.InlineFragment:
				walk(s.SelectionSet)
			}
		}
	}
	for _, op := range doc.Operations {
		walk(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		walk(f.SelectionSet)
	}
	return fields, aliases
}

// meter measures an operation with fragments expanded, caching each
// fragment's measures and cutting cycles.
type meter struct {
	oc     *graphql.OperationContext
	depths map[string]int
	costs  map[string]int
	// contextCosts caches fragment costs measured where the objects carry
	// more than usual (see costContext).
	contextCosts map[costContext]map[string]int
	// kindCosts caches connection item and edge costs per context.
	kindCosts map[contextKey]map[string]int
	// perOperation holds the calls of perOperationFields the operation
	// selects somewhere: each costs one call however often it is selected.
	perOperation map[string]bool
	items        map[string]int
	edgeNodes    map[string]int
	roots        map[string]int
	visiting     map[string]bool
	fragments    ast.FragmentDefinitionList
}

func newMeter(oc *graphql.OperationContext) *meter {
	return &meter{oc: oc, depths: map[string]int{}, costs: map[string]int{}, contextCosts: map[costContext]map[string]int{}, kindCosts: map[contextKey]map[string]int{}, perOperation: map[string]bool{}, items: map[string]int{}, edgeNodes: map[string]int{}, roots: map[string]int{}, visiting: map[string]bool{}, fragments: oc.Doc.Fragments}
}

// fragment runs measure on a named fragment's selection set once; a cycle
// (which validation refuses anyway) measures as zero.
func (m *meter) fragment(name string, cache map[string]int, measure func(ast.SelectionSet) int) int {
	if v, ok := cache[name]; ok {
		return v
	}
	def := m.fragments.ForName(name)
	if def == nil || m.visiting[name] {
		return 0
	}
	m.visiting[name] = true
	v := measure(def.SelectionSet)
	delete(m.visiting, name)
	cache[name] = v
	return v
}

// rootFields counts the fields selected at the root, through fragments.
func (m *meter) rootFields(set ast.SelectionSet) int {
	n := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if !strings.HasPrefix(s.Name, "__") {
				n++
			}
		case *ast.InlineFragment:
			n += m.rootFields(s.SelectionSet)
		case *ast.FragmentSpread:
			n += m.fragment(s.Name, m.roots, m.rootFields)
		}
	}
	return n
}

// depth is the deepest field nesting of set; it stops counting at limit so
// that a hostile document costs no more than needed to refuse it.
func (m *meter) depth(set ast.SelectionSet, limit int) int {
	deepest := 0
	for _, sel := range set {
		d := 0
		switch s := sel.(type) {
		case *ast.Field:
			if len(s.SelectionSet) > 0 {
				d = 1 + m.depth(s.SelectionSet, limit-1)
			} else {
				d = 1
			}
		case *ast.InlineFragment:
			d = m.depth(s.SelectionSet, limit)
		case *ast.FragmentSpread:
			d = m.fragment(s.Name, m.depths, func(set ast.SelectionSet) int { return m.depth(set, limit) })
		}
		deepest = max(deepest, d)
		if deepest > limit {
			return deepest
		}
	}
	return deepest
}

// Estimated upstream calls per field, beyond list and connection fields.
var (
	// fetchingFields cost one upstream call each time they are selected:
	// root lookups, and relations not embedded in their parent.
	fetchingFields = map[string]bool{
		"Query.me": true, "Query.space": true, "Query.post": true, "Query.member": true, "Query.homeSpace": true,
		"Comment.post": true, "Comment.parent": true, "Space.post": true, "Query.reply": true,
		"Query.newNotificationsCount": true, "Query.chatRoom": true, "Query.chatMessage": true, "Query.chatThread": true,
		"Query.unreadChatRoomUuids": true, "Query.unreadChatThreadIds": true, "Query.notificationPreferences": true,
		"Notification.post": true, "ChatMessage.thread": true, "Space.notificationPreferences": true,
		// A course read by id costs its outline; a course reached from a
		// space or a lesson costs its outline when a field reads it.
		"Query.course": true, "Space.course": true, "Lesson.course": true,
		"Course.lesson": true, "Course.space": true, "Query.quizAttempt": true,
		// A search result's full object: posts are batched per space, so
		// one call per result is an upper bound; a lesson result's lesson
		// costs its GET whatever is selected beyond id and name.
		"PostSearchResult.post": true, "CommentSearchResult.post": true, "CommentSearchResult.comment": true,
		"LessonSearchResult.lesson": true,
		// A bookmark's post: posts are batched per space, so one call per
		// bookmark is an upper bound.
		"Bookmark.post": true,
	}
	// embeddedLists are plain lists Circle sends inside their parent: they
	// cost nothing themselves, only what their items' fields fetch. The
	// value is true when the list's members come with their bio (chat room
	// participants), so that of the profile fields only the others need
	// the profile.
	embeddedLists = map[string]bool{
		"ChatRoom.participants": true, "ChatThread.participants": false, "ChatThread.replies": false,
		"ChatMessage.reactions": false, "NotificationPreferences.types": false, "NotificationPreferences.spaces": false,
		// A course outline's sections and their lessons, a question's options.
		"Course.sections": false, "CourseSection.lessons": false, "QuizQuestion.options": false,
		// A post's topics, an image post's gallery.
		"Post.topics": false, "Gallery.images": false,
		// A sidebar folder's links.
		"SpaceBookmark.links": false,
	}
	// objectFields need their object's own record, which the list it came
	// from does not carry: the object costs one call however many of them
	// are selected, like a member's profile fields.
	objectFields = map[string]string{
		"Lesson.bodyText": "lesson", "Lesson.tiptapBody": "lesson", "Lesson.featuredMedia": "lesson",
		"Lesson.isFeaturedMediaDownloadEnabled": "lesson", "Lesson.enforceFeaturedMediaCompletion": "lesson",
		"Lesson.autocompleteOnFeaturedMediaCompletion": "lesson", "Lesson.isCommentsEnabled": "lesson",
		"Lesson.chatRoomUuid": "lesson", "Lesson.bookmarkId": "lesson", "Lesson.lessonLabel": "lesson",
		"Lesson.sectionLabel":             "lesson",
		"QuizAttempt.enforcePassingGrade": "attempt", "QuizAttempt.hideAnswers": "attempt",
		"QuizAttempt.correctResponses": "attempt", "QuizAttempt.description": "attempt",
		"QuizAttempt.questions": "attempt",
	}
	// detailedParents return objects with their own record (a single
	// lesson or quiz attempt, read by id or answered by a write): their
	// objectFields cost nothing more.
	detailedParents = map[string]bool{
		"Course.lesson": true, "Query.quizAttempt": true, "LessonSearchResult.lesson": true,
		"QuizAttemptPayload.attempt": true, "LessonProgressPayload.lesson": true,
	}
	// membersWithBio are member fields whose member comes with its bio.
	membersWithBio = map[string]bool{"ChatParticipant.member": true}
	// nameOnlyMembers are member fields whose member comes with no more
	// than its name and avatar (a bookmark's author): there, the fields an
	// embedded author usually carries (headline, roles) cost the profile.
	nameOnlyMembers = map[string]bool{"Bookmark.author": true}
	// authorFields are what an embedded author carries beyond name and
	// avatar.
	authorFields = map[string]bool{"Member.headline": true, "Member.isAdmin": true, "Member.isModerator": true}
	// perOperationFields cost one call per operation, named by the value,
	// however many times they are selected: every space's unread counts
	// come from one GET /space_notification_details.
	perOperationFields = map[string]string{
		"Space.unreadContentCount": "/space_notification_details", "Space.unreadNotificationsCount": "/space_notification_details",
	}
	// spaceRecordFields need the full space record besides their own call
	// (the space member id of Space.notificationPreferences; a space's
	// type, which says whether Space.course is one).
	spaceRecordFields = map[string]bool{"Space.notificationPreferences": true, "Space.course": true}
	// profileFields need the member's public profile wherever the member
	// came from but the profile (or me); the member costs one call however
	// many of them are selected. Member.email never costs one: it is known
	// for the signed-in member and null for everyone else. isAdmin and
	// isModerator are not here: authors embed their roles.
	profileFields = map[string]bool{
		"Member.bio": true, "Member.postsCount": true, "Member.commentsCount": true,
		"Member.largeAvatarUrl": true,
		"Member.profileInfo":    true, "Member.tags": true, "Member.messagingEnabled": true,
		"Member.canReceiveDirectMessage": true, "Member.spacesCount": true,
	}
	// spaceDetailFields need the full space record.
	spaceDetailFields = map[string]bool{
		"Space.url": true, "Space.isPrivate": true, "Space.isMember": true,
		"Space.coverImageUrl": true, "Space.policies": true, "Space.visibleTabs": true, "Space.defaultTab": true,
		"Space.requiresTopic": true, "Space.isPostingDisabled": true,
	}
	// connectionItems are connections whose items come with more than
	// their type's usual source: a member's spaces are full space records,
	// the member directory carries tags and messaging flags.
	connectionItems = map[string]costContext{
		"Member.spaces": {fullSpaces: true},
		"Query.members": {directory: true},
	}
	// directoryFields are the profile fields the member directory carries.
	directoryFields = map[string]bool{"Member.tags": true, "Member.messagingEnabled": true, "Member.canReceiveDirectMessage": true}
)

// unboundedListSize is assumed for plain lists (spaces): Circle returns
// them whole, and communities rarely have more visible spaces.
const unboundedListSize = 20

// cost estimates the upstream calls of set: a connection costs the pages
// relay will fetch for its window (one, or two when `after` does not line
// up with any page size that holds the window) plus `first` times its
// items' cost; a plain list of objects costs one call
// plus unboundedListSize times its items' cost; fields that need a fetch
// cost one.
//
// Fragments on the concrete types of a union or interface (search results)
// are alternatives: an item is one of them, so it costs the most expensive
// one, not their sum.
func (m *meter) cost(set ast.SelectionSet) int { return m.costIn(set, costContext{}) }

// costContext is what the objects of a selection set already carry, which
// makes some of their fields free.
type costContext struct {
	// embeddedMembers: members that come with their bio (the items of
	// some embedded lists, membersWithBio).
	embeddedMembers bool
	// detailed: an object read on its own (detailedParents), whose
	// objectFields come with it.
	detailed bool
	// fullSpaces: spaces that come as full records (connectionItems).
	fullSpaces bool
	// directory: members of the member directory (connectionItems).
	directory bool
	// profiles: members read as their public profile (federation's
	// member references, entities.go), which holds every profile field.
	profiles bool
	// nameOnly: members known by name and avatar only (nameOnlyMembers).
	nameOnly bool
}

// costIn is cost for a selection set in context cc.
func (m *meter) costIn(set ast.SelectionSet, cc costContext) int {
	total := 0
	profile, detail := false, false
	objects := map[string]bool{}
	alternatives := map[string]int{} // type condition → cost of its fragments
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Definition == nil || s.ObjectDefinition == nil || strings.HasPrefix(s.Name, "__") {
				// Introspection (__schema, __type, __typename) is answered
				// from the schema: no upstream call, however many lists
				// GraphiQL's introspection query nests.
				continue
			}
			key := s.ObjectDefinition.Name + "." + s.Name
			switch {
			case key == entitiesField:
				total = addCapped(total, m.entities(s))
			case profileFields[key]:
				profile = profile || !cc.profiles && !(cc.embeddedMembers && key == "Member.bio") && !(cc.directory && directoryFields[key])
			case cc.nameOnly && authorFields[key]:
				profile = true
			case spaceDetailFields[key]:
				detail = detail || !cc.fullSpaces
			case objectFields[key] != "":
				if !cc.detailed {
					objects[objectFields[key]] = true
				}
				items := m.cost(s.SelectionSet)
				if s.Definition.Type.Elem != nil {
					items = mul(unboundedListSize, items)
				}
				total = addCapped(total, items)
			case isConnection(s):
				calls, items := m.pages(s)
				total = addCapped(total, calls+mul(items, m.connectionItemCost(s.SelectionSet, connectionItems[key])))
			case perOperationFields[key] != "":
				m.perOperation[perOperationFields[key]] = true
			case hasKey(embeddedLists, key):
				total = addCapped(total, mul(unboundedListSize, m.costIn(s.SelectionSet, costContext{embeddedMembers: embeddedLists[key]})))
			case s.Definition.Type.Elem != nil && len(s.SelectionSet) > 0:
				total = addCapped(total, 1+mul(unboundedListSize, m.cost(s.SelectionSet)))
			default:
				if fetchingFields[key] {
					total = addCapped(total, 1)
				}
				detail = detail || spaceRecordFields[key]
				total = addCapped(total, m.costIn(s.SelectionSet, costContext{embeddedMembers: membersWithBio[key], detailed: detailedParents[key], nameOnly: nameOnlyMembers[key]}))
			}
		case *ast.InlineFragment:
			c := m.costIn(s.SelectionSet, cc)
			if alt := alternative(s.TypeCondition, s.ObjectDefinition); alt != "" {
				alternatives[alt] = addCapped(alternatives[alt], c)
			} else {
				total = addCapped(total, c)
			}
		case *ast.FragmentSpread:
			c := m.fragment(s.Name, m.costCache(cc), func(set ast.SelectionSet) int { return m.costIn(set, cc) })
			if def := m.fragments.ForName(s.Name); def != nil && alternative(def.TypeCondition, s.ObjectDefinition) != "" {
				alternatives[def.TypeCondition] = addCapped(alternatives[def.TypeCondition], c)
			} else {
				total = addCapped(total, c)
			}
		}
	}
	most := 0
	for _, c := range alternatives {
		most = max(most, c)
	}
	total = addCapped(total, most)
	if profile {
		total = addCapped(total, 1)
	}
	if detail {
		total = addCapped(total, 1)
	}
	return addCapped(total, len(objects))
}

// costCache is the fragment cost cache of context cc: a fragment costs
// differently where its objects carry more.
func (m *meter) costCache(cc costContext) map[string]int {
	if cc == (costContext{}) {
		return m.costs
	}
	if m.contextCosts[cc] == nil {
		m.contextCosts[cc] = map[string]int{}
	}
	return m.contextCosts[cc]
}

// alternative returns the type condition of a fragment when it names one
// concrete type of the abstract type (union or interface) it is spread in,
// else "" (a fragment on the enclosing type itself applies to every item).
func alternative(typeCondition string, enclosing *ast.Definition) string {
	if typeCondition == "" || enclosing == nil || typeCondition == enclosing.Name {
		return ""
	}
	if enclosing.Kind != ast.Union && enclosing.Kind != ast.Interface {
		return ""
	}
	return typeCondition
}

// connectionItemCost is the cost of one item of a connection: what is
// selected under nodes and edges.node (pageInfo and totalCount are free),
// for items that carry what cc says.
func (m *meter) connectionItemCost(set ast.SelectionSet, cc costContext) int {
	total := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			switch s.Name {
			case "nodes":
				total = addCapped(total, m.costIn(s.SelectionSet, cc))
			case "edges":
				total = addCapped(total, m.edgeNodeCost(s.SelectionSet, cc))
			}
		case *ast.InlineFragment:
			total = addCapped(total, m.connectionItemCost(s.SelectionSet, cc))
		case *ast.FragmentSpread:
			total = addCapped(total, m.fragment(s.Name, m.contextCache(m.items, "items", cc), func(set ast.SelectionSet) int { return m.connectionItemCost(set, cc) }))
		}
	}
	return total
}

// edgeNodeCost is the cost of what an edge selects under node, through
// inline fragments and fragment spreads on the edge type.
func (m *meter) edgeNodeCost(set ast.SelectionSet, cc costContext) int {
	total := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name == "node" {
				total = addCapped(total, m.costIn(s.SelectionSet, cc))
			}
		case *ast.InlineFragment:
			total = addCapped(total, m.edgeNodeCost(s.SelectionSet, cc))
		case *ast.FragmentSpread:
			total = addCapped(total, m.fragment(s.Name, m.contextCache(m.edgeNodes, "edges", cc), func(set ast.SelectionSet) int { return m.edgeNodeCost(set, cc) }))
		}
	}
	return total
}

// contextCache is a fragment cache of measure kind for context cc: plain
// when the context adds nothing, else one of its own, since a fragment
// costs differently where its objects carry more.
func (m *meter) contextCache(plain map[string]int, kind string, cc costContext) map[string]int {
	if cc == (costContext{}) {
		return plain
	}
	key := contextKey{kind: kind, cc: cc}
	if m.kindCosts[key] == nil {
		m.kindCosts[key] = map[string]int{}
	}
	return m.kindCosts[key]
}

// contextKey names a contextual fragment cache.
type contextKey struct {
	kind string
	cc   costContext
}

// window is the slice of the list a connection field asks for (`first`
// and `after` from the document, its variables or relay's defaults), whose
// Plan is exactly what the resolver will fetch. An invalid value refuses
// the operation before its cost matters (checkConnectionArguments); it is
// counted meanwhile as the costliest window, the largest one straddling
// two pages.
func (m *meter) window(f *ast.Field) relay.Window {
	w, err := relay.WindowFromArguments(f.ArgumentMap(m.oc.Variables))
	if err != nil {
		return relay.Window{Offset: 1, Limit: relay.MaxFirst}
	}
	return w
}

// pages is how many upstream calls a connection field costs and how many
// items it asks for: the pages its window's Plan fetches and `first`, or,
// for a backward connection (a room's messages, over Circle's id window),
// one call for `last` items. Invalid arguments count as the costliest
// window until checkConnectionArguments refuses them.
func (m *meter) pages(f *ast.Field) (calls, items int) {
	if backward(f) {
		w, err := relay.BackWindowFromArguments(f.ArgumentMap(m.oc.Variables))
		if err != nil {
			return 1, relay.MaxFirst
		}
		return 1, w.Last
	}
	w := m.window(f)
	return len(w.Plan()), w.Limit
}

func hasKey[V any](m map[string]V, k string) bool {
	_, ok := m[k]
	return ok
}

// capCost keeps sums far from overflow on hostile documents.
const capCost = 1 << 30

func addCapped(a, b int) int { return min(a+b, capCost) }

func mul(a, b int) int {
	if a != 0 && b > capCost/a {
		return capCost
	}
	return a * b
}

// String describes the limits, for logs.
func (l Limits) String() string {
	l = l.withDefaults()
	return fmt.Sprintf("depth %d, aliases %d, root fields %d, complexity %d, tokens %d", l.MaxDepth, l.MaxAliases, l.MaxRootFields, l.MaxComplexity, l.MaxTokens)
}
