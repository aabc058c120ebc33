package e2e

// A strict, hand-written Circle double and the tests that run the real
// gateway against it.
//
// The double is independent of package sandbox: its JSON is shaped after the
// examples of Circle's OpenAPI documents (../shared/circle-openapi), extra
// fields the gateway does not use included (policies, gallery, topics,
// member_tags, action, …), and its data lies far from the sandbox's ranges:
// member ids 900_001…999_999, user ids 7_0xx_xxx (never equal to a member
// id), spaces 4_000_00x, posts 55_000_0xx, comments 8_800_xxx, attendees
// 66_000_xxx. Embedded authors carry roles as arrays (and once as null),
// profiles and like lists as objects; one reply comes back without an
// embedded author and /community_events records carry no post_type, both as
// in the OpenAPI examples.
//
// What a member sees depends on the token's community_member_id (read
// without verification, as Circle's would be verified): is_liked,
// rsvp_status, is_member, private spaces and their posts.
//
// The double is strict about how it is called: every list call must send
// per_page (1..100), page >= 1, only the query parameters the OpenAPI
// document lists for that endpoint with valid values, post_ids batches with
// per_page equal to the number of ids, canonical ids in paths, a member
// bearer token, and Circle's request bodies. Every breach is recorded as a
// violation and fails the test that caused it.

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/circle-gateway/gateway/internal/testenv"
	"github.com/circle-gateway/gateway/internal/testjwt"
	"github.com/circle-gateway/gateway/loaders"
)

// The double's community.
const (
	dblAlice int64 = 900_001
	dblBob   int64 = 900_002
	dblChidi int64 = 901_313
	dblDana  int64 = 904_040
	dblEmile int64 = 917_171
	dblFern  int64 = 923_456
	dblGus   int64 = 988_001
	dblHana  int64 = 999_999
	// dblZed's ids lie beyond 2^53: they survive only as integers, never
	// as floating-point numbers.
	dblZed     int64 = 9_007_199_254_740_993
	dblZedUser int64 = 9_007_199_254_740_995

	dblShed    int64 = 4_000_001 // basic, public
	dblGallery int64 = 4_000_002 // image posts
	dblMeetups int64 = 4_000_003 // event posts
	dblInner   int64 = 4_000_004 // private: Alice and Gus only
	dblArchive int64 = 4_000_005 // public, but not in GET /spaces
	dblEmpty   int64 = 4_000_006 // public, no posts

	dblPost0     int64 = 55_000_000 // post k is dblPost0 + k, k = 1..36
	dblComment0  int64 = 8_800_000
	dblAttendee0 int64 = 66_000_000

	dblSite = "https://greenhouse.circle.test"
)

var dblBase = time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)

type dblMember struct {
	ID, UserID                 int64
	Name, Headline, Bio, Email string
	Avatar                     *string
	Admin, Moderator           bool
	// NullRolesInComments makes the author objects embedded in this
	// member's comments carry "roles": null (the schema allows it).
	NullRolesInComments bool
}

type dblSpace struct {
	ID               int64
	Name, Slug, Kind string
	Emoji            *string
	Private          bool
	Unlisted         bool // absent from GET /spaces, served by GET /spaces/{id}
	Members          map[int64]bool
}

func (s *dblSpace) visibleTo(viewer int64) bool { return !s.Private || s.Members[viewer] }

type dblAttendee struct {
	ID, MemberID int64
	Status       string
	At           time.Time
}

type dblEvent struct {
	Starts, Ends time.Time
	LocationType string
	InPerson     *string
	Virtual      string
	Limit        *int
	Attendees    []*dblAttendee
}

func (e *dblEvent) yesCount() int {
	n := 0
	for _, a := range e.Attendees {
		if a.Status == "yes" {
			n++
		}
	}
	return n
}

type dblPost struct {
	ID, SpaceID, AuthorID     int64
	Kind                      string // basic, image, event
	Name                      *string
	DisplayTitle, Slug, Plain string
	HTML                      *string         // nil: "body": null
	Tiptap                    json.RawMessage // nil: "tiptap_body": null
	Pinned, LikingOff, Closed bool
	Likes                     map[int64]bool
	Created, Updated          time.Time
	Event                     *dblEvent
}

type dblComment struct {
	ID, PostID, AuthorID, ParentID int64
	HTML, Text                     string
	Tiptap                         json.RawMessage
	Likes                          map[int64]bool
	Created, Updated               time.Time
	// Bare: the replies endpoint sends this reply without "author", like
	// the OpenAPI example of GET /comments/{id}/replies.
	Bare bool
}

// dblCircle is the strict Circle Member API double.
type dblCircle struct {
	mu         sync.Mutex
	members    []*dblMember
	spaces     []*dblSpace
	posts      []*dblPost
	comments   []*dblComment
	violations []string
	bodies     []string // request bodies of comment writes
	searches   []string // search_text values received
	// jitter, when set, delays each call (before it is served) by a
	// latency of its own.
	jitter func(r *http.Request) time.Duration
}

func newDblCircle() *dblCircle {
	d := &dblCircle{}
	str := func(v string) *string { return &v }
	limit := func(n int) *int { return &n }
	set := func(ids ...int64) map[int64]bool {
		m := map[int64]bool{}
		for _, id := range ids {
			m[id] = true
		}
		return m
	}
	d.members = []*dblMember{
		{ID: dblAlice, UserID: 7_000_501, Name: "Alice Quartermaine", Headline: "Head Gardener", Bio: "Grows rare ferns on a north-facing balcony.", Email: "alice@greenhouse.test", Avatar: str(dblSite + "/avatars/alice.png"), Admin: true},
		{ID: dblBob, UserID: 7_000_502, Name: "Bob Nakamura", Headline: "Seed Librarian", Bio: "Keeps the seed bank in order.", Email: "bob@greenhouse.test", Moderator: true},
		{ID: dblChidi, UserID: 7_003_131, Name: "Chidi Okafor", Headline: "Compost Whisperer", Bio: "Worms are friends.", Email: "chidi@greenhouse.test", Avatar: str(dblSite + "/avatars/chidi.png")},
		{ID: dblDana, UserID: 7_004_040, Name: "Dana Whitfield", Headline: "Greenhouse Manager", Bio: "Runs the heating schedule.", Email: "dana@greenhouse.test", Avatar: str(dblSite + "/avatars/dana.png"), Admin: true, Moderator: true},
		{ID: dblEmile, UserID: 7_017_171, Name: "Émile Zola-Brontë", Headline: "Botanical Illustrator", Bio: "Draws what grows.", Email: "emile@greenhouse.test", Avatar: str(dblSite + "/avatars/emile.png")},
		{ID: dblFern, UserID: 7_023_456, Name: "Fern O'Hara", Headline: "Weekend Weeder", Bio: "Mostly pulls dandelions.", Email: "fern@greenhouse.test"},
		{ID: dblGus, UserID: 7_088_001, Name: "Gus Lindqvist", Headline: "Orchid Hoarder", Bio: "Has 212 orchids and counting.", Email: "gus@greenhouse.test", Avatar: str(dblSite + "/avatars/gus.png")},
		{ID: dblHana, UserID: 7_099_999, Name: "Hana Sato", Headline: "Events Coordinator", Bio: "Plans the seed swaps.", Email: "hana@greenhouse.test", Avatar: str(dblSite + "/avatars/hana.png"), Admin: true, NullRolesInComments: true},
		{ID: dblZed, UserID: dblZedUser, Name: "Zed Łukasiewicz <script>", Headline: "Tall \"Sunflower\" Grower\nand poet", Bio: "Ids too big for a float.", Email: "zed@greenhouse.test", Avatar: str(dblSite + "/avatars/zed.png?size=300&set=1")},
	}
	d.spaces = []*dblSpace{
		{ID: dblShed, Name: "Potting Shed", Slug: "potting-shed", Kind: "basic", Emoji: str("🪴"), Members: set(dblAlice, dblBob, dblChidi, dblDana, dblEmile, dblFern, dblHana, dblZed)},
		{ID: dblGallery, Name: "Gallery of Blooms", Slug: "gallery-of-blooms", Kind: "image", Members: set(dblAlice, dblDana, dblEmile)},
		{ID: dblMeetups, Name: "Meetups & Swaps", Slug: "meetups", Kind: "event", Emoji: str("📅"), Members: set(dblBob, dblChidi, dblHana)},
		{ID: dblInner, Name: "Inner Circle", Slug: "inner-circle", Kind: "basic", Emoji: str("🔒"), Private: true, Members: set(dblAlice, dblGus)},
		{ID: dblArchive, Name: "Archive", Slug: "archive", Kind: "basic", Unlisted: true, Members: set(dblAlice)},
		{ID: dblEmpty, Name: "Empty Bed", Slug: "empty-bed", Kind: "basic", Members: set(dblBob)},
	}

	basicTitles := []string{
		"Repotting a monstera without tears", "aphids again?", "Zinnias from seed: a diary", "Pinned: read before posting",
		"Best compost ratio", "Why is my fiddle-leaf fig sulking", "Dahlia tubers over winter", "Mulch: wood chips or straw",
		"Überwintern: geraniums indoors", "Neem oil vs. soap spray", "Tomato blight, round three", "Quiet thread",
		"Rain barrels & mosquitoes", "Seed swap leftovers", `"Heirloom" means what, exactly?`, "Grow lights on a budget",
		"Lavender that survived", "Cuttings in water vs. soil", "Announcements (likes off)", "House rules (comments closed)",
	}
	others := map[int]string{
		21: "Sunset tulips", 22: "Frost on kale", 23: "Moonflower at 2am", 24: "Bee on borage", 25: "Fern unfurling",
		26: "Spring seed swap", 27: "Plot 7 work party", 28: "Winter solstice walk", 29: "Orchid show 2001", 30: "Autumn bulb planting",
		31: "Board notes: budget", 32: "Who gets plot 9", 33: "Secret santa (plants)",
		34: "Old rules (2019)", 35: "Retired: tool library", 36: "Photo dump 2020",
	}
	at := func(y int, mo time.Month, day, h, mi int) time.Time {
		return time.Date(y, mo, day, h, mi, 0, 0, time.UTC)
	}
	events := map[int]*dblEvent{
		26: {Starts: at(2099, 3, 14, 18, 0), LocationType: "virtual", Virtual: "https://meet.greenhouse.test/spring-swap", Limit: limit(25)},
		27: {Starts: at(2099, 4, 1, 10, 30), LocationType: "in_person", InPerson: str("Community Garden, Plot 7, 12 Elm St.")},
		28: {Starts: at(2098, 12, 21, 16, 0), LocationType: "virtual", Virtual: "https://meet.greenhouse.test/solstice", Limit: limit(3)},
		29: {Starts: at(2001, 6, 1, 9, 0), LocationType: "in_person", InPerson: str("Town Hall")},
		30: {Starts: at(2002, 9, 9, 17, 45), LocationType: "virtual", Virtual: "https://meet.greenhouse.test/bulbs", Limit: limit(40)},
	}
	type rsvp struct {
		member int64
		status string
	}
	rsvps := map[int][]rsvp{
		26: {{dblAlice, "yes"}, {dblBob, "maybe"}, {dblChidi, "no"}, {dblDana, "yes"}, {dblHana, "invited"}, {dblZed, "yes"}},
		27: {{dblBob, "yes"}, {dblGus, "yes"}, {dblFern, "yes"}},
		28: {{dblAlice, "invited"}, {dblBob, "yes"}},
		29: {{dblAlice, "yes"}, {dblBob, "yes"}, {dblEmile, "maybe"}},
	}
	attendee := dblAttendee0
	for k, e := range events {
		e.Ends = e.Starts.Add(2 * time.Hour)
		for i, r := range rsvps[k] {
			attendee++
			e.Attendees = append(e.Attendees, &dblAttendee{ID: attendee + int64(k*100), MemberID: r.member, Status: r.status, At: dblBase.Add(time.Duration(k*24+i*5) * time.Hour)})
		}
	}
	rotation := []int64{dblAlice, dblBob, dblChidi, dblDana, dblEmile, dblFern, dblZed}
	for k := 1; k <= 36; k++ {
		p := &dblPost{ID: dblPost0 + int64(k), Likes: map[int64]bool{}}
		// Creation order differs from id order; update order from both.
		p.Created = dblBase.Add(time.Duration((k*7)%37)*time.Hour + time.Duration(k*11)*time.Millisecond)
		p.Updated = p.Created.Add(time.Duration((k*5)%11)*24*time.Hour + 7*time.Minute)
		title := others[k]
		switch {
		case k <= 20:
			p.SpaceID, p.Kind, p.AuthorID, title = dblShed, "basic", rotation[(k-1)%len(rotation)], basicTitles[k-1]
		case k <= 25:
			p.SpaceID, p.Kind, p.AuthorID = dblGallery, "image", []int64{dblDana, dblEmile}[k%2]
		case k <= 30:
			p.SpaceID, p.Kind, p.AuthorID, p.Event = dblMeetups, "event", []int64{dblBob, dblChidi, dblHana}[k%3], events[k]
		case k <= 33:
			p.SpaceID, p.Kind, p.AuthorID = dblInner, "basic", []int64{dblAlice, dblGus}[k%2]
		default:
			p.SpaceID, p.Kind, p.AuthorID = dblArchive, "basic", []int64{dblFern, dblChidi}[k%2]
		}
		p.DisplayTitle = title
		p.Slug = dblSlug(title) + "-" + strconv.Itoa(k)
		text := fmt.Sprintf("%s, notes from the greenhouse <entry %d> & more.", title, k)
		switch {
		case p.Kind == "image":
			// As the OpenAPI example's image post: no name, no body.
		case k%3 == 0:
			name, markup := title, "<p>"+html.EscapeString(text)+"</p>"
			p.Name, p.HTML, p.Tiptap, p.Plain = &name, &markup, dblTiptap(text), text
		default:
			name, markup := title, "<div><!--block-->"+html.EscapeString(text)+"</div>"
			p.Name, p.HTML, p.Plain = &name, &markup, text
		}
		p.Pinned, p.LikingOff, p.Closed = k == 3, k == 19, k == 20
		for i, m := range d.members {
			if (k*(i+2)+i)%7 < 3 {
				p.Likes[m.ID] = true
			}
		}
		d.posts = append(d.posts, p)
	}

	authors := []int64{dblChidi, dblDana, dblHana, dblAlice, dblEmile, dblBob, dblFern, dblZed}
	ci := 0
	for _, p := range d.posts {
		k := int(p.ID - dblPost0)
		n := 0
		switch {
		case k <= 18 && k != 12:
			n = k % 4
		case k == 26 || k == 29 || k == 31:
			n = 2
		}
		for j := 0; j < n; j++ {
			c := d.seedComment(p, authors[ci%len(authors)], 0, p.Created.Add(time.Duration(j+1)*17*time.Minute))
			ci++
			if c.ID%3 == 0 {
				for r := 0; r < 2; r++ {
					d.seedComment(p, authors[(ci+3)%len(authors)], c.ID, c.Created.Add(time.Duration(r+1)*time.Hour))
					ci++
				}
			}
		}
	}
	quiet := d.post(dblPost0 + 12)
	top := d.seedComment(quiet, dblDana, 0, quiet.Created.Add(time.Hour))
	d.seedComment(quiet, dblFern, top.ID, quiet.Created.Add(2*time.Hour)).Bare = true
	return d
}

var dblCommentTexts = []string{
	"Try neem oil <not too much> & rinse after",
	"¿Qué tal con el riego?",
	"Worked for me 👍",
	"Don't overwater; seriously.",
	`"Heirloom" is a vibe`,
	"Line one\nline two",
	"Same here",
}

func (d *dblCircle) seedComment(p *dblPost, author, parent int64, at time.Time) *dblComment {
	id := dblComment0 + int64(len(d.comments)+1)
	text := fmt.Sprintf("%s (#%d)", dblCommentTexts[len(d.comments)%len(dblCommentTexts)], id-dblComment0)
	c := &dblComment{ID: id, PostID: p.ID, AuthorID: author, ParentID: parent, Text: text, HTML: "<p>" + html.EscapeString(text) + "</p>",
		Likes: map[int64]bool{}, Created: at, Updated: at.Add(time.Duration(id%5) * time.Minute)}
	if id%5 == 0 {
		c.Tiptap = dblTiptap(text)
	}
	for i, m := range d.members {
		if (int(id)+i)%4 == 0 {
			c.Likes[m.ID] = true
		}
	}
	d.comments = append(d.comments, c)
	return c
}

func dblSlug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// dblTiptap is Circle's tiptap_body envelope around one paragraph.
func dblTiptap(text string) json.RawMessage {
	raw, _ := json.Marshal(map[string]any{
		"body": map[string]any{"type": "doc", "content": []any{
			map[string]any{"type": "paragraph", "content": []any{map[string]any{"type": "text", "text": text, "circle_ios_fallback_text": text}}},
		}},
		"circle_ios_fallback_text": text, "attachments": []any{}, "inline_attachments": []any{}, "sgids_to_object_map": map[string]any{},
		"format": "post", "community_members": []any{}, "entities": []any{}, "group_mentions": []any{}, "polls": []any{},
	})
	return raw
}

func dblTS(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func dblID(id int64) string { return strconv.FormatInt(id, 10) }

// --- lookups and lists (callers hold d.mu) ---

func (d *dblCircle) member(id int64) *dblMember {
	for _, m := range d.members {
		if m.ID == id {
			return m
		}
	}
	return nil
}

func (d *dblCircle) space(id int64) *dblSpace {
	for _, s := range d.spaces {
		if s.ID == id {
			return s
		}
	}
	return nil
}

func (d *dblCircle) post(id int64) *dblPost {
	for _, p := range d.posts {
		if p.ID == id {
			return p
		}
	}
	return nil
}

func (d *dblCircle) comment(id int64) *dblComment {
	for _, c := range d.comments {
		if c.ID == id {
			return c
		}
	}
	return nil
}

func (d *dblCircle) visible(p *dblPost, viewer int64) bool {
	return d.space(p.SpaceID).visibleTo(viewer)
}

func (d *dblCircle) commentCount(postID int64) int {
	n := 0
	for _, c := range d.comments {
		if c.PostID == postID {
			n++
		}
	}
	return n
}

func (d *dblCircle) topComments(postID int64) []*dblComment {
	var out []*dblComment
	for _, c := range d.comments {
		if c.PostID == postID && c.ParentID == 0 {
			out = append(out, c)
		}
	}
	return out
}

func (d *dblCircle) replies(commentID int64) []*dblComment {
	var out []*dblComment
	for _, c := range d.comments {
		if c.ParentID == commentID {
			out = append(out, c)
		}
	}
	return out
}

func (d *dblCircle) sortPosts(ps []*dblPost, by string) []*dblPost {
	out := slices.Clone(ps)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		switch by {
		case "oldest":
			return a.Created.Before(b.Created)
		case "likes":
			if len(a.Likes) != len(b.Likes) {
				return len(a.Likes) > len(b.Likes)
			}
		case "popular":
			sa, sb := len(a.Likes)+2*d.commentCount(a.ID), len(b.Likes)+2*d.commentCount(b.ID)
			if sa != sb {
				return sa > sb
			}
		case "alphabetical":
			la, lb := strings.ToLower(a.DisplayTitle), strings.ToLower(b.DisplayTitle)
			if la != lb {
				return la < lb
			}
			return a.ID < b.ID
		case "new_activity":
			if !a.Updated.Equal(b.Updated) {
				return a.Updated.After(b.Updated)
			}
		}
		return a.Created.After(b.Created)
	})
	return out
}

func dblSortComments(cs []*dblComment, by string) []*dblComment {
	out := slices.Clone(cs)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		switch by {
		case "oldest":
			return a.Created.Before(b.Created)
		case "likes":
			if len(a.Likes) != len(b.Likes) {
				return len(a.Likes) > len(b.Likes)
			}
			return a.Created.Before(b.Created)
		case "alphabetical":
			return a.Text < b.Text
		case "latest_updated":
			return a.Updated.After(b.Updated)
		case "oldest_updated":
			return a.Updated.Before(b.Updated)
		}
		return a.Created.After(b.Created) // latest: Circle's default here
	})
	return out
}

// feed is the home feed of viewer: every post it can see.
func (d *dblCircle) feed(viewer int64, by string) []*dblPost {
	var ps []*dblPost
	for _, p := range d.posts {
		if d.visible(p, viewer) {
			ps = append(ps, p)
		}
	}
	return d.sortPosts(ps, by)
}

func (d *dblCircle) spacePosts(spaceID, viewer int64, by string) []*dblPost {
	var ps []*dblPost
	for _, p := range d.posts {
		if p.SpaceID == spaceID && d.visible(p, viewer) {
			ps = append(ps, p)
		}
	}
	return d.sortPosts(ps, by)
}

// events are the upcoming events soonest first, or the past ones latest first.
func (d *dblCircle) events(viewer int64, past bool) []*dblPost {
	now := time.Now()
	var ps []*dblPost
	for _, p := range d.posts {
		if p.Event != nil && d.visible(p, viewer) && p.Event.Starts.Before(now) == past {
			ps = append(ps, p)
		}
	}
	sort.SliceStable(ps, func(i, j int) bool {
		if past {
			return ps[i].Event.Starts.After(ps[j].Event.Starts)
		}
		return ps[i].Event.Starts.Before(ps[j].Event.Starts)
	})
	return ps
}

func (d *dblCircle) memberPosts(memberID, viewer int64) []*dblPost {
	var ps []*dblPost
	for _, p := range d.posts {
		if p.AuthorID == memberID && d.visible(p, viewer) {
			ps = append(ps, p)
		}
	}
	return d.sortPosts(ps, "latest")
}

func (d *dblCircle) memberComments(memberID, viewer int64) []*dblComment {
	var cs []*dblComment
	for _, c := range d.comments {
		if c.AuthorID == memberID && d.visible(d.post(c.PostID), viewer) {
			cs = append(cs, c)
		}
	}
	return dblSortComments(cs, "latest")
}

func (d *dblCircle) likers(p *dblPost) []*dblMember {
	var out []*dblMember
	for _, m := range d.members {
		if p.Likes[m.ID] {
			out = append(out, m)
		}
	}
	return out
}

func (d *dblCircle) directory(spaceID int64, search string) []*dblMember {
	var out []*dblMember
	for _, m := range d.members {
		if spaceID != 0 && !d.space(spaceID).Members[m.ID] {
			continue
		}
		if search != "" && !strings.Contains(strings.ToLower(m.Name), strings.ToLower(search)) {
			continue
		}
		out = append(out, m)
	}
	return out
}

func (d *dblCircle) rsvpOf(p *dblPost, viewer int64) string {
	if p.Event == nil {
		return ""
	}
	for _, a := range p.Event.Attendees {
		if a.MemberID == viewer {
			return a.Status
		}
	}
	return ""
}

func (d *dblCircle) postsCount(memberID int64) int {
	n := 0
	for _, p := range d.posts {
		if p.AuthorID == memberID {
			n++
		}
	}
	return n
}

func (d *dblCircle) commentsCount(memberID int64) int {
	n := 0
	for _, c := range d.comments {
		if c.AuthorID == memberID {
			n++
		}
	}
	return n
}

func (d *dblCircle) spacesCount(memberID int64) int {
	n := 0
	for _, s := range d.spaces {
		if s.Members[memberID] {
			n++
		}
	}
	return n
}

// --- what tests read ---

func (d *dblCircle) violate(format string, args ...any) {
	d.violations = append(d.violations, fmt.Sprintf(format, args...))
}

// takeViolations returns and forgets the violations recorded so far.
func (d *dblCircle) takeViolations() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	v := d.violations
	d.violations = nil
	return v
}

func (d *dblCircle) locked(f func()) {
	d.mu.Lock()
	defer d.mu.Unlock()
	f()
}

// --- JSON as Circle writes it ---

func (d *dblCircle) renderSpace(s *dblSpace, viewer int64) map[string]any {
	member := s.Members[viewer]
	out := map[string]any{
		"id": s.ID, "name": s.Name, "slug": s.Slug, "space_group_id": 7_700_001, "community_id": 31_337,
		"post_type": s.Kind, "space_type": s.Kind, "display_view": "posts", "emoji": s.Emoji,
		"custom_emoji_url":      dblSite + "/assets/emoji-picker-v3/shapes/circle/shape-circle-green.png",
		"custom_emoji_dark_url": dblSite + "/assets/emoji-picker-v3/shapes/circle/shape-circle-green-dark.png",
		"is_private":            s.Private, "space_group_name": "Greenhouse", "url": dblSite + "/c/" + s.Slug,
		"is_post_disabled": false, "hide_post_settings": false, "is_member": member, "default_tab": "posts",
		"visible_tabs": map[string]any{"posts": true, "members": !s.Private}, "default_sort": nil, "hide_sorting": false,
		"show_in_spaces_segment": !s.Unlisted, "show_lock_icon_for_non_members": s.Private,
		"policies": map[string]any{"can_manage_space": viewer == dblDana, "can_view_space": true, "can_leave_space": member,
			"can_create_post": member, "can_invite_members": member},
		"require_topic_selection": false, "topics_count": 2, "display_space_welcome_banner": true,
		"cover_image": nil, "cover_image_url": nil, "lockscreen_site_page_url": nil,
	}
	if member {
		out["space_member_id"] = 5_500_000 + s.ID%1000*1000 + viewer%1000
	}
	return out
}

func (d *dblCircle) renderSpaceRef(s *dblSpace) map[string]any {
	return map[string]any{"id": s.ID, "slug": s.Slug, "name": s.Name, "emoji": s.Emoji,
		"custom_emoji_url":      dblSite + "/assets/emoji-picker-v3/shapes/circle/shape-circle-green.png",
		"custom_emoji_dark_url": dblSite + "/assets/emoji-picker-v3/shapes/circle/shape-circle-green-dark.png"}
}

var dblMemberTags = []any{map[string]any{"id": 3, "name": "Seedling", "color": "#2E7D32", "emoji": "🌱", "is_public": true,
	"is_background_enabled": true, "display_format": "emoji", "display_locations": []any{"profile", "post"},
	"custom_emoji_url": "", "custom_emoji_dark_url": ""}}

func (m *dblMember) roleNames() []string {
	names := []string{}
	if m.Admin {
		names = append(names, "admin")
	}
	if m.Moderator {
		names = append(names, "moderator")
	}
	return names
}

func (m *dblMember) roleObject() map[string]any {
	return map[string]any{"admin": m.Admin, "moderator": m.Moderator}
}

// renderAuthor is shared_community_member as posts and comments embed it:
// "id" is the user id, roles a list of names.
func (d *dblCircle) renderAuthor(m *dblMember, inComment bool) map[string]any {
	var roles any = m.roleNames()
	if inComment && m.NullRolesInComments {
		roles = nil
	}
	return map[string]any{"id": m.UserID, "community_member_id": m.ID, "name": m.Name, "headline": m.Headline,
		"avatar_url": m.Avatar, "roles": roles, "rich_text_field_sgid": base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("gid://member/%d", m.ID))),
		"member_tags": dblMemberTags}
}

func (d *dblCircle) renderPost(p *dblPost, viewer int64, withPostType bool) map[string]any {
	author, space := d.member(p.AuthorID), d.space(p.SpaceID)
	var body, tiptap any
	if p.HTML != nil {
		body = map[string]any{"attachments": map[string]any{}, "attachments_array": []any{}, "html": *p.HTML}
	}
	if p.Tiptap != nil {
		tiptap = p.Tiptap
	}
	editor := "trix"
	if p.Tiptap != nil || p.Kind == "image" {
		editor = "tiptap"
	}
	first := []any{}
	for _, m := range d.likers(p) {
		if len(first) < 2 {
			first = append(first, map[string]any{"name": m.Name, "community_member_id": m.ID, "avatar_url": m.Avatar})
		}
	}
	out := map[string]any{
		"status": "published", "id": p.ID, "name": p.Name, "display_title": p.DisplayTitle, "slug": p.Slug,
		"is_comments_closed": p.Closed, "is_comments_enabled": true, "is_liking_enabled": !p.LikingOff,
		"is_pinned_at_top_of_space": p.Pinned, "comment_count": d.commentCount(p.ID), "user_likes_count": len(p.Likes),
		"hide_meta_info": false, "is_liked": p.Likes[viewer], "is_truncation_disabled": false, "bookmark_id": nil,
		"flagged_for_approval_at": nil, "unresolved_flagged_reports_count": 0, "first_liked_by": first, "editor": editor,
		"body": body, "tiptap_body": tiptap, "body_plain_text": p.Plain, "body_plain_text_without_attachments": p.Plain,
		"url": dblSite + "/c/" + space.Slug + "/" + p.Slug, "created_at": dblTS(p.Created), "updated_at": dblTS(p.Updated),
		"space": d.renderSpaceRef(space), "post_follower_id": nil, "topic_follower_id": nil,
		"author":      d.renderAuthor(author, false),
		"action":      map[string]any{"user_name": strings.Fields(author.Name)[0], "created_at": dblTS(p.Created), "type": "posted"},
		"custom_html": nil,
		"policies": map[string]any{"can_destroy_post": viewer == p.AuthorID, "can_duplicate_post": false,
			"can_manage_post": viewer == p.AuthorID, "can_report_post": viewer != p.AuthorID, "can_update_post": viewer == p.AuthorID},
		"topics": []any{map[string]any{"id": 91, "name": "Houseplants", "admin_only": false}, map[string]any{"id": 92, "name": "Staff picks", "admin_only": true}},
	}
	if withPostType {
		out["post_type"] = p.Kind
		out["space_type"] = space.Kind
	}
	if p.Kind == "image" {
		out["gallery"] = map[string]any{"id": p.ID - dblPost0 + 400, "downloadable_images": false, "images": []any{map[string]any{
			"id": p.ID - dblPost0 + 900, "signed_id": "signed-" + p.Slug, "original_url": dblSite + "/rails/active_storage/" + p.Slug + ".jpeg",
			"url": dblSite + "/rails/active_storage/representations/" + p.Slug + ".jpeg", "filename": p.Slug + ".jpeg", "width": 2000, "height": 1333}}}
	}
	if e := p.Event; e != nil {
		var inPerson any
		if e.InPerson != nil {
			inPerson = *e.InPerson
		}
		var limit any
		if e.Limit != nil {
			limit = *e.Limit
		}
		out["event_setting_attributes"] = map[string]any{
			"starts_at": dblTS(e.Starts), "ends_at": dblTS(e.Ends), "in_person_location": inPerson,
			"hide_location_from_non_attendees": false, "duration_in_seconds": int(e.Ends.Sub(e.Starts).Seconds()),
			"rsvp_disabled": false, "hide_attendees": false, "send_email_reminder": true, "send_in_app_notification_reminder": true,
			"send_email_confirmation": true, "send_in_app_notification_confirmation": true, "enable_custom_thank_you_message": false,
			"confirmation_message_title": "Registration confirmed for " + p.DisplayTitle, "confirmation_message_description": "We'll send you a reminder.",
			"confirmation_message_button_title": "Done", "confirmation_message_button_link": "",
			"location_type": e.LocationType, "virtual_location_url": e.Virtual, "rsvp_limit": limit, "rsvp_count": e.yesCount(),
		}
		status := d.rsvpOf(p, viewer)
		var rs any
		if status != "" {
			rs = status
		}
		embedded := []any{}
		for i, a := range e.Attendees {
			if i < 3 {
				embedded = append(embedded, d.renderAttendee(a))
			}
		}
		out["event_type"] = "single"
		out["rsvped_event"] = status == "yes"
		out["rsvp_status"] = rs
		out["invited_attendee"] = status == "invited"
		out["event_attendees"] = map[string]any{"records": embedded, "count": len(e.Attendees)}
	}
	return out
}

func (d *dblCircle) renderComment(c *dblComment, viewer int64, withReplies, fromReplies bool) map[string]any {
	author, post := d.member(c.AuthorID), d.post(c.PostID)
	var parent, tiptap any
	if c.ParentID != 0 {
		parent = c.ParentID
	}
	editor := "trix"
	if c.Tiptap != nil {
		tiptap, editor = c.Tiptap, "tiptap"
	}
	out := map[string]any{
		"id": c.ID, "user_id": author.UserID, "post_id": c.PostID, "user_likes_count": len(c.Likes),
		"created_at": dblTS(c.Created), "updated_at": dblTS(c.Updated), "parent_comment_id": parent,
		"replies_count": len(d.replies(c.ID)), "removed_at": nil, "community_member_id": author.ID, "editor": editor,
		"topic_id": 91, "space_id": post.SpaceID, "post_name": post.DisplayTitle,
		"body":        map[string]any{"attachments": map[string]any{}, "attachments_array": []any{}, "html": c.HTML},
		"tiptap_body": tiptap, "body_text": c.Text, "is_liked": c.Likes[viewer], "bookmark_id": nil,
		"flagged_for_approval_at": nil, "unresolved_flagged_reports_count": 0,
		"author": d.renderAuthor(author, true),
		"policies": map[string]any{"can_bookmark": true, "can_destroy": viewer == c.AuthorID, "can_edit": viewer == c.AuthorID,
			"can_report": viewer != c.AuthorID, "can_manage": viewer == dblDana},
	}
	if fromReplies && c.Bare {
		delete(out, "author")
		delete(out, "policies")
	}
	replies := []any{}
	if withReplies {
		for _, r := range dblSortComments(d.replies(c.ID), "oldest") {
			replies = append(replies, d.renderComment(r, viewer, false, false))
		}
	}
	out["replies"] = replies
	return out
}

func (d *dblCircle) renderProfile(m *dblMember) map[string]any {
	return map[string]any{
		"id": m.ID, "connection_to_current_community_member": nil, "headline": m.Headline, "bio": m.Bio, "name": m.Name,
		"email": m.Email, "posts_count": d.postsCount(m.ID), "comments_count": d.commentsCount(m.ID), "spaces_count": d.spacesCount(m.ID),
		"can_receive_dm_from_current_member": true, "messaging_enabled": true,
		"profile_info": map[string]any{"website": "https://" + dblSlug(m.Name) + ".test", "location": "Zone 7b", "twitter_url": "",
			"facebook_url": "", "instagram_url": "", "linkedin_url": ""},
		"roles": m.roleObject(), "member_tags": dblMemberTags, "avatar_url": m.Avatar, "large_avatar_url": m.Avatar,
		"gamification_stats": map[string]any{"total_points": 1000 + m.ID%1000, "current_level": 3, "current_level_name": "Sprout",
			"points_to_next_level": 12, "level_progress": 40, "community_member_id": m.ID},
	}
}

func (d *dblCircle) renderCurrent(m *dblMember) map[string]any {
	return map[string]any{
		"id": m.ID, "user_id": m.UserID, "public_uid": fmt.Sprintf("%x", m.UserID), "email": m.Email, "name": m.Name,
		"avatar_url": m.Avatar, "large_avatar_url": m.Avatar, "bio": m.Bio, "headline": m.Headline,
		"posts_count": d.postsCount(m.ID), "comments_count": d.commentsCount(m.ID), "spaces_count": d.spacesCount(m.ID),
		"bookmarks_count": 2, "default_space_id": dblShed, "active": true,
		"profile_info": map[string]any{"website": nil, "location": "Zone 7b", "twitter_url": nil, "facebook_url": nil, "instagram_url": nil, "linkedin_url": nil},
		"roles":        m.roleObject(),
		"features": map[string]any{"messaging_enabled": true, "can_create_live_streams": false, "display_home_page": true,
			"profile_fields_feature_flag_enabled": false, "voice_messages_enabled": true, "chat_reactions_enabled": true, "tiptap_webview_editor_enabled": true},
		"mobile_home_segments": []any{map[string]any{"id": 1, "kind": "feed", "name": nil}, map[string]any{"id": 2, "kind": "spaces", "name": nil}},
		"live_stream_limits":   map[string]any{"live_stream_max_host_capacity": 30, "live_stream_max_spectator_capacity": 100},
		"member_tags":          dblMemberTags,
	}
}

func (d *dblCircle) renderDirectoryEntry(m *dblMember) map[string]any {
	return map[string]any{"headline": m.Headline, "member_tags": dblMemberTags, "name": m.Name, "community_member_id": m.ID,
		"avatar_url": m.Avatar, "messaging_enabled": true, "email": m.Email, "can_receive_dm_from_current_member": m.ID != dblGus}
}

// renderLiker is a record of GET /posts/{id}/user_likes: roles as an
// object, no user id, as in the OpenAPI example.
func (d *dblCircle) renderLiker(m *dblMember) map[string]any {
	return map[string]any{"headline": m.Headline, "member_tags": []any{}, "name": m.Name, "roles": m.roleObject(),
		"community_member_id": m.ID, "avatar_url": m.Avatar}
}

func (d *dblCircle) renderAttendee(a *dblAttendee) map[string]any {
	m := d.member(a.MemberID)
	return map[string]any{"id": a.ID, "community_member_id": m.ID, "contact_id": m.ID, "contact_type": "CommunityMember",
		"avatar_url": m.Avatar, "rsvp_date": dblTS(a.At), "rsvp_status": a.Status, "name": m.Name}
}

// --- the HTTP side ---

type dblParams map[string]func(string) bool

type dblRoute struct {
	method, pattern string
	list            bool
	params          dblParams
	serve           func(*dblCall)
}

// dblAtoi reads a canonical positive decimal (no sign, no leading zero).
func dblAtoi(s string) (int64, bool) {
	if s == "" || len(s) > 19 || s[0] == '0' {
		return 0, false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

func dblEnum(vs ...string) func(string) bool {
	return func(s string) bool { return slices.Contains(vs, s) }
}
func dblIsID(s string) bool     { _, ok := dblAtoi(s); return ok }
func dblIsBool(s string) bool   { return s == "true" || s == "false" }
func dblNonEmpty(s string) bool { return s != "" }
func dblIsDate(s string) bool   { _, err := time.Parse("2006-01-02", s); return err == nil }
func dblIsIDList(s string) bool {
	for _, part := range strings.Split(s, ",") {
		if !dblIsID(part) {
			return false
		}
	}
	return true
}

var (
	dblPostSorts    = dblEnum("popular", "likes", "oldest", "alphabetical", "new_activity")
	dblHomeSorts    = dblEnum("latest", "popular", "oldest", "likes", "alphabetical", "new_activity")
	dblCommentSorts = dblEnum("oldest", "latest", "alphabetical", "likes", "latest_updated", "oldest_updated")
)

// dblRoutes are the Member API endpoints the double serves, with the query
// parameters the OpenAPI document lists for each (page and per_page aside).
var dblRoutes = []dblRoute{
	{"GET", "spaces", false, nil, (*dblCall).getSpaces},
	{"GET", "spaces/{}", false, nil, (*dblCall).getSpace},
	{"GET", "spaces/{}/posts", true, dblParams{"sort": dblPostSorts, "status": dblEnum("published", "draft"), "past_events": dblIsBool, "topics": dblIsIDList, "post_ids": dblIsIDList}, (*dblCall).getSpacePosts},
	{"GET", "spaces/{}/posts/{}", false, nil, (*dblCall).getSpacePost},
	{"GET", "home", true, dblParams{"sort": dblHomeSorts}, (*dblCall).getHome},
	{"GET", "community_events", true, dblParams{"filter_date[start_date]": dblIsDate, "filter_date[end_date]": dblIsDate, "status": dblNonEmpty, "past_events": dblIsBool}, (*dblCall).getEvents},
	{"GET", "posts/{}/comments", true, dblParams{"sort": dblCommentSorts}, (*dblCall).getComments},
	{"GET", "posts/{}/comments/{}", false, nil, (*dblCall).getComment},
	{"GET", "comments/{}/replies", true, dblParams{"sort": dblCommentSorts}, (*dblCall).getReplies},
	{"GET", "posts/{}/user_likes", true, nil, (*dblCall).getLikes},
	{"GET", "events/{}/event_attendees", true, nil, (*dblCall).getAttendees},
	{"GET", "community_members", true, dblParams{"space_id": dblIsID, "search_text": dblNonEmpty, "search_after": dblNonEmpty, "sort": dblEnum("alphabetical", "oldest", "latest")}, (*dblCall).getMembers},
	{"GET", "community_member", false, nil, (*dblCall).getMe},
	{"GET", "community_members/{}/public_profile", false, nil, (*dblCall).getProfile},
	{"GET", "community_members/{}/posts", true, nil, (*dblCall).getMemberPosts},
	{"GET", "community_members/{}/comments", true, nil, (*dblCall).getMemberComments},
	{"POST", "posts/{}/user_likes", false, nil, func(c *dblCall) { c.like(true) }},
	{"DELETE", "posts/{}/user_likes", false, nil, func(c *dblCall) { c.like(false) }},
	{"POST", "posts/{}/comments", false, nil, (*dblCall).createComment},
	{"POST", "comments/{}/replies", false, nil, (*dblCall).createReply},
	{"POST", "comments/{}/user_likes", false, nil, func(c *dblCall) { c.likeComment(true) }},
	{"DELETE", "comments/{}/user_likes", false, nil, func(c *dblCall) { c.likeComment(false) }},
	{"POST", "events/{}/event_attendees", false, nil, func(c *dblCall) { c.rsvp(true) }},
	{"DELETE", "events/{}/event_attendees", false, nil, func(c *dblCall) { c.rsvp(false) }},
	{"POST", "spaces/{}/join", false, nil, func(c *dblCall) { c.membership(true) }},
	{"POST", "spaces/{}/leave", false, nil, func(c *dblCall) { c.membership(false) }},
}

type dblCall struct {
	d             *dblCircle
	w             http.ResponseWriter
	r             *http.Request
	what          string
	viewer        int64
	ids           []int64
	q             url.Values
	page, perPage int
	body          []byte
}

func (c *dblCall) json(status int, v any) {
	c.w.Header().Set("Content-Type", "application/json; charset=utf-8")
	c.w.WriteHeader(status)
	_ = json.NewEncoder(c.w).Encode(v)
}

func (c *dblCall) fail(status int, message string, details any) {
	if details == nil {
		details = map[string]any{}
	}
	c.json(status, map[string]any{"success": false, "message": message, "error_details": details})
}

func (c *dblCall) notFound(what string) {
	c.fail(http.StatusNotFound, "Oops! Missing record. Please try again later.", map[string]any{"message": "Missing record: " + what})
}

// ServeHTTP answers one Member API call.
func (d *dblCircle) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if d.jitter != nil {
		select {
		case <-time.After(d.jitter(r)):
		case <-r.Context().Done():
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	c := &dblCall{d: d, w: w, r: r, what: r.Method + " " + r.URL.RequestURI()}
	c.body, _ = io.ReadAll(io.LimitReader(r.Body, 1<<20))
	rest, ok := strings.CutPrefix(r.URL.Path, "/api/headless/v1/")
	if !ok {
		d.violate("%s: not a Member API path", c.what)
		c.notFound("endpoint")
		return
	}
	if !c.authenticate() {
		return
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		d.violate("%s: query does not parse: %v", c.what, err)
		c.fail(http.StatusBadRequest, "Bad request", nil)
		return
	}
	c.q = q
	seg := strings.Split(rest, "/")
	for _, rt := range dblRoutes {
		ids, matched, valid := dblMatchPath(seg, rt.pattern)
		if !matched || rt.method != r.Method {
			continue
		}
		if !valid {
			d.violate("%s: an id in the path is not a canonical positive integer", c.what)
			c.notFound("record")
			return
		}
		c.ids = ids
		if !c.checkQuery(rt) {
			c.fail(http.StatusBadRequest, "Invalid parameters", nil)
			return
		}
		if r.Method == http.MethodGet && len(bytes.TrimSpace(c.body)) > 0 {
			d.violate("%s: a GET with a body", c.what)
		}
		rt.serve(c)
		return
	}
	d.violate("%s: no such Member API endpoint", c.what)
	c.notFound("endpoint")
}

func dblMatchPath(seg []string, pattern string) (ids []int64, matched, valid bool) {
	ps := strings.Split(pattern, "/")
	if len(ps) != len(seg) {
		return nil, false, false
	}
	for i, p := range ps {
		if p != "{}" && p != seg[i] {
			return nil, false, false
		}
	}
	valid = true
	for i, p := range ps {
		if p == "{}" {
			id, ok := dblAtoi(seg[i])
			valid = valid && ok
			ids = append(ids, id)
		}
	}
	return ids, true, valid
}

// authenticate reads the member from the bearer token's claims, without
// verifying it. A call with no token, a malformed or an expired one is the
// gateway's fault: it must refuse those before calling (docs/contract.md §3).
func (c *dblCall) authenticate() bool {
	tok, ok := strings.CutPrefix(c.r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		c.d.violate("%s: reached Circle without a member bearer token", c.what)
		c.fail(http.StatusUnauthorized, "The access token is invalid.", nil)
		return false
	}
	parts := strings.Split(tok, ".")
	var claims struct {
		Member json.Number `json:"community_member_id"`
		Exp    json.Number `json:"exp"`
	}
	raw, err := base64.RawURLEncoding.DecodeString(func() string {
		if len(parts) == 3 {
			return parts[1]
		}
		return "!"
	}())
	if err == nil {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		err = dec.Decode(&claims)
	}
	if err != nil {
		c.d.violate("%s: a malformed bearer token reached Circle", c.what)
		c.fail(http.StatusUnauthorized, "The access token is invalid.", nil)
		return false
	}
	if exp, err := claims.Exp.Int64(); err != nil || exp <= time.Now().Unix() {
		c.d.violate("%s: an expired (or exp-less) token reached Circle", c.what)
		c.fail(http.StatusUnauthorized, "The access token is expired.", nil)
		return false
	}
	id, err := claims.Member.Int64()
	if err != nil || c.d.member(id) == nil {
		c.fail(http.StatusUnauthorized, "Community member associated with the access token not found.", nil)
		return false
	}
	c.viewer = id
	return true
}

// checkQuery enforces the endpoint's query parameters.
func (c *dblCall) checkQuery(rt dblRoute) bool {
	ok := true
	for k, vs := range c.q {
		if len(vs) != 1 {
			c.d.violate("%s: parameter %q sent %d times", c.what, k, len(vs))
			ok = false
			continue
		}
		if rt.list && (k == "page" || k == "per_page") {
			continue
		}
		check, known := rt.params[k]
		if !known {
			c.d.violate("%s: unknown query parameter %q", c.what, k)
			ok = false
			continue
		}
		if !check(vs[0]) {
			c.d.violate("%s: invalid value %q for %q", c.what, vs[0], k)
			ok = false
		}
	}
	if !rt.list {
		return ok
	}
	c.page = 1
	if vs, present := c.q["page"]; present {
		n, good := dblAtoi(vs[0])
		if !good {
			c.d.violate("%s: page must be an integer >= 1, got %q", c.what, vs[0])
			return false
		}
		c.page = int(n)
	}
	vs, present := c.q["per_page"]
	if !present {
		c.d.violate("%s: per_page missing (Circle's default page size is undocumented)", c.what)
		return false
	}
	n, good := dblAtoi(vs[0])
	if !good || n > 100 {
		c.d.violate("%s: per_page must be 1..100, got %q", c.what, vs[0])
		return false
	}
	c.perPage = int(n)
	return ok
}

// dblList answers one page of items.
func dblList[T any](c *dblCall, items []T, render func(T) any, extra map[string]any) {
	records := []any{}
	start := (c.page - 1) * c.perPage
	end := min(start+c.perPage, len(items))
	if start < len(items) {
		for _, it := range items[start:end] {
			records = append(records, render(it))
		}
	}
	out := map[string]any{"page": c.page, "per_page": c.perPage, "has_next_page": end < len(items) && start < len(items),
		"count": len(items), "page_count": (len(items) + c.perPage - 1) / c.perPage, "records": records}
	for k, v := range extra {
		out[k] = v
	}
	c.json(http.StatusOK, out)
}

func (c *dblCall) renderPost(p *dblPost) any { return c.d.renderPost(p, c.viewer, true) }

func (c *dblCall) visiblePost(id int64) *dblPost {
	p := c.d.post(id)
	if p == nil || !c.d.visible(p, c.viewer) {
		return nil
	}
	return p
}

func (c *dblCall) getSpaces() {
	out := []any{}
	for _, s := range c.d.spaces {
		if !s.Unlisted && s.visibleTo(c.viewer) {
			out = append(out, c.d.renderSpace(s, c.viewer))
		}
	}
	c.json(http.StatusOK, out)
}

func (c *dblCall) getSpace() {
	s := c.d.space(c.ids[0])
	if s == nil || !s.visibleTo(c.viewer) {
		c.notFound("space")
		return
	}
	c.json(http.StatusOK, c.d.renderSpace(s, c.viewer))
}

func (c *dblCall) getSpacePosts() {
	s := c.d.space(c.ids[0])
	if s == nil || !s.visibleTo(c.viewer) {
		c.notFound("space")
		return
	}
	raw, batch := c.q["post_ids"]
	if !batch {
		sortBy := c.q.Get("sort")
		dblList(c, c.d.spacePosts(s.ID, c.viewer, sortBy), c.renderPost, map[string]any{"sort": dblOr(sortBy, "latest")})
		return
	}
	want := map[int64]bool{}
	parts := strings.Split(raw[0], ",")
	for _, part := range parts {
		id, _ := dblAtoi(part)
		if want[id] {
			c.d.violate("%s: post id %d asked twice", c.what, id)
		}
		want[id] = true
	}
	if len(parts) > 100 {
		c.d.violate("%s: %d post_ids, at most 100 per call", c.what, len(parts))
	}
	if c.perPage != len(parts) {
		c.d.violate("%s: per_page %d with %d post_ids (must be equal)", c.what, c.perPage, len(parts))
	}
	if c.page != 1 {
		c.d.violate("%s: page %d on a post_ids batch", c.what, c.page)
	}
	var found []*dblPost
	for _, p := range c.d.spacePosts(s.ID, c.viewer, "latest") {
		if want[p.ID] {
			found = append(found, p)
		}
	}
	dblList(c, found, c.renderPost, map[string]any{"sort": "latest"})
}

func (c *dblCall) getSpacePost() {
	p := c.visiblePost(c.ids[1])
	if p == nil || p.SpaceID != c.ids[0] {
		c.notFound("post")
		return
	}
	c.json(http.StatusOK, c.renderPost(p))
}

func (c *dblCall) getHome() {
	sortBy := dblOr(c.q.Get("sort"), "latest")
	dblList(c, c.d.feed(c.viewer, sortBy), c.renderPost, map[string]any{"sort": sortBy})
}

// getEvents answers /community_events, whose records carry no post_type
// (as in the OpenAPI example).
func (c *dblCall) getEvents() {
	past := c.q.Get("past_events") == "true"
	dblList(c, c.d.events(c.viewer, past), func(p *dblPost) any { return c.d.renderPost(p, c.viewer, false) }, map[string]any{"sort": "latest"})
}

func (c *dblCall) getComments() {
	p := c.visiblePost(c.ids[0])
	if p == nil {
		c.notFound("post")
		return
	}
	cs := dblSortComments(c.d.topComments(p.ID), dblOr(c.q.Get("sort"), "latest"))
	dblList(c, cs, func(cm *dblComment) any { return c.d.renderComment(cm, c.viewer, true, false) }, nil)
}

func (c *dblCall) getComment() {
	p := c.visiblePost(c.ids[0])
	cm := c.d.comment(c.ids[1])
	if p == nil || cm == nil || cm.PostID != p.ID {
		c.notFound("comment")
		return
	}
	c.json(http.StatusOK, c.d.renderComment(cm, c.viewer, true, false))
}

func (c *dblCall) getReplies() {
	parent := c.d.comment(c.ids[0])
	if parent == nil || c.visiblePost(parent.PostID) == nil {
		c.notFound("comment")
		return
	}
	rs := dblSortComments(c.d.replies(parent.ID), dblOr(c.q.Get("sort"), "latest"))
	dblList(c, rs, func(cm *dblComment) any { return c.d.renderComment(cm, c.viewer, false, true) }, nil)
}

func (c *dblCall) getLikes() {
	p := c.visiblePost(c.ids[0])
	if p == nil {
		c.notFound("post")
		return
	}
	dblList(c, c.d.likers(p), func(m *dblMember) any { return c.d.renderLiker(m) }, nil)
}

func (c *dblCall) getAttendees() {
	p := c.visiblePost(c.ids[0])
	if p == nil || p.Event == nil {
		c.notFound("event")
		return
	}
	dblList(c, p.Event.Attendees, func(a *dblAttendee) any { return c.d.renderAttendee(a) }, map[string]any{"meta": map[string]any{}})
}

func (c *dblCall) getMembers() {
	var spaceID int64
	if v := c.q.Get("space_id"); v != "" {
		spaceID, _ = dblAtoi(v)
		if s := c.d.space(spaceID); s == nil || !s.visibleTo(c.viewer) {
			c.notFound("space")
			return
		}
	}
	if vs, ok := c.q["search_text"]; ok {
		c.d.searches = append(c.d.searches, vs[0])
	}
	ms := c.d.directory(spaceID, c.q.Get("search_text"))
	if c.q.Get("sort") == "alphabetical" {
		ms = slices.Clone(ms)
		sort.SliceStable(ms, func(i, j int) bool { return ms[i].Name < ms[j].Name })
	}
	dblList(c, ms, func(m *dblMember) any { return c.d.renderDirectoryEntry(m) }, map[string]any{"next_search_after": []any{1721398993645}})
}

func (c *dblCall) getMe() { c.json(http.StatusOK, c.d.renderCurrent(c.d.member(c.viewer))) }

func (c *dblCall) getProfile() {
	m := c.d.member(c.ids[0])
	if m == nil {
		c.notFound("community member")
		return
	}
	c.json(http.StatusOK, c.d.renderProfile(m))
}

func (c *dblCall) getMemberPosts() {
	if c.d.member(c.ids[0]) == nil {
		c.notFound("community member")
		return
	}
	dblList(c, c.d.memberPosts(c.ids[0], c.viewer), c.renderPost, map[string]any{"sort": "latest"})
}

func (c *dblCall) getMemberComments() {
	if c.d.member(c.ids[0]) == nil {
		c.notFound("community member")
		return
	}
	dblList(c, c.d.memberComments(c.ids[0], c.viewer), func(cm *dblComment) any { return c.d.renderComment(cm, c.viewer, true, false) }, nil)
}

// noBody checks that a write without a request body in Circle's API sent none.
func (c *dblCall) noBody() bool {
	switch string(bytes.TrimSpace(c.body)) {
	case "", "{}", "null":
		return true
	}
	c.d.violate("%s: unexpected request body %q", c.what, c.body)
	c.fail(http.StatusBadRequest, "Bad request", nil)
	return false
}

func (c *dblCall) like(like bool) {
	p := c.visiblePost(c.ids[0])
	if p == nil {
		c.notFound("post")
		return
	}
	if !c.noBody() {
		return
	}
	if p.LikingOff {
		c.fail(http.StatusUnprocessableEntity, "Liking is disabled for this post.", nil)
		return
	}
	if like {
		p.Likes[c.viewer] = true
		c.json(http.StatusOK, map[string]any{"success": true, "message": "Post has been liked"})
		return
	}
	delete(p.Likes, c.viewer)
	c.json(http.StatusOK, map[string]any{"success": true, "message": "Post has been unliked"})
}

// commentBody reads Circle's comment and reply body, {"comment":
// {"body": …} or {"tiptap_body": …}}, and nothing else.
func (c *dblCall) commentBody() (text string, tiptap json.RawMessage, ok bool) {
	c.d.bodies = append(c.d.bodies, string(c.body))
	if ct := c.r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		c.d.violate("%s: Content-Type %q, want application/json", c.what, ct)
	}
	var env map[string]json.RawMessage
	var inner map[string]json.RawMessage
	bad := json.Unmarshal(c.body, &env) != nil || len(env) != 1 || env["comment"] == nil ||
		json.Unmarshal(env["comment"], &inner) != nil || len(inner) == 0
	for k, v := range inner {
		switch k {
		case "body":
			bad = bad || json.Unmarshal(v, &text) != nil
		case "tiptap_body":
			bad = bad || !bytes.HasPrefix(bytes.TrimSpace(v), []byte("{"))
			tiptap = v
		default:
			bad = true
		}
	}
	if bad {
		c.d.violate("%s: body %s is not Circle's {\"comment\": {\"body\"|\"tiptap_body\": …}}", c.what, c.body)
		c.fail(http.StatusBadRequest, "Bad request", nil)
		return "", nil, false
	}
	return text, tiptap, true
}

func (c *dblCall) addComment(p *dblPost, parent int64, text string, tiptap json.RawMessage) {
	cm := c.d.seedComment(p, c.viewer, parent, time.Now().UTC().Truncate(time.Millisecond))
	cm.Likes = map[int64]bool{}
	cm.HTML, cm.Text, cm.Tiptap = text, html.UnescapeString(dblStripTags(text)), tiptap
	if text == "" {
		cm.HTML, cm.Text = "", "(rich text)"
	}
	c.json(http.StatusCreated, c.d.renderComment(cm, c.viewer, true, false))
}

func (c *dblCall) createComment() {
	p := c.visiblePost(c.ids[0])
	if p == nil {
		c.notFound("post")
		return
	}
	text, tiptap, ok := c.commentBody()
	if !ok {
		return
	}
	if p.Closed {
		c.fail(http.StatusUnprocessableEntity, "Comments are closed for this post.", map[string]any{"base": []any{"Comments are closed"}})
		return
	}
	c.addComment(p, 0, text, tiptap)
}

func (c *dblCall) createReply() {
	parent := c.d.comment(c.ids[0])
	if parent == nil || c.visiblePost(parent.PostID) == nil {
		c.notFound("comment")
		return
	}
	text, tiptap, ok := c.commentBody()
	if !ok {
		return
	}
	if text == "too long" {
		c.fail(http.StatusUnprocessableEntity, "Failed to create reply!", map[string]any{"body": []any{"is too long (maximum is 8 characters)"}})
		return
	}
	c.addComment(c.d.post(parent.PostID), parent.ID, text, tiptap)
}

func (c *dblCall) likeComment(like bool) {
	cm := c.d.comment(c.ids[0])
	if cm == nil || c.visiblePost(cm.PostID) == nil {
		c.notFound("comment")
		return
	}
	if !c.noBody() {
		return
	}
	if like {
		cm.Likes[c.viewer] = true
		c.json(http.StatusOK, map[string]any{"success": true, "message": "Comment has been liked"})
		return
	}
	delete(cm.Likes, c.viewer)
	c.json(http.StatusOK, map[string]any{"success": true, "message": "Comment has been unliked"})
}

func dblStripTags(s string) string {
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func (c *dblCall) rsvp(yes bool) {
	p := c.visiblePost(c.ids[0])
	if p == nil || p.Event == nil {
		c.notFound("event")
		return
	}
	if !c.noBody() {
		return
	}
	status := "no"
	if yes {
		status = "yes"
	}
	for _, a := range p.Event.Attendees {
		if a.MemberID == c.viewer {
			a.Status, a.At = status, time.Now().UTC().Truncate(time.Millisecond)
			c.json(http.StatusOK, c.d.renderAttendee(a))
			return
		}
	}
	a := &dblAttendee{ID: dblAttendee0 + 9000 + int64(len(p.Event.Attendees)), MemberID: c.viewer, Status: status, At: time.Now().UTC().Truncate(time.Millisecond)}
	p.Event.Attendees = append(p.Event.Attendees, a)
	c.json(http.StatusOK, c.d.renderAttendee(a))
}

// membership joins or leaves a space; Circle answers with the space as the
// member now sees it. A private space cannot be joined uninvited.
func (c *dblCall) membership(join bool) {
	sp := c.d.space(c.ids[0])
	if sp == nil {
		c.notFound("space")
		return
	}
	if !c.noBody() {
		return
	}
	if join && sp.Private && !sp.Members[c.viewer] {
		c.fail(http.StatusForbidden, "You are not allowed to join this space.", nil)
		return
	}
	if join {
		sp.Members[c.viewer] = true
	} else {
		delete(sp.Members, c.viewer)
	}
	c.json(http.StatusOK, c.d.renderSpace(sp, c.viewer))
}

func dblOr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// --- test harness over the double ---

// dblEnv is the gateway in front of a fresh double.
type dblEnv struct {
	*testenv.Env
	d *dblCircle
}

func newDblEnv(t *testing.T) *dblEnv {
	t.Helper()
	d := newDblCircle()
	env := testenv.New(t, testenv.Options{Upstream: d})
	t.Cleanup(func() {
		for _, v := range d.takeViolations() {
			t.Errorf("Circle API contract violated by the gateway: %s", v)
		}
	})
	return &dblEnv{Env: env, d: d}
}

// checkCircle fails t for every Circle contract violation recorded since
// the last check.
func (e *dblEnv) checkCircle(t *testing.T) {
	t.Helper()
	for _, v := range e.d.takeViolations() {
		t.Errorf("Circle API contract violated by the gateway: %s", v)
	}
}

// run resets the recorder and runs one operation as member who.
func (e *dblEnv) run(t *testing.T, who int64, query string, vars map[string]any) testenv.Response {
	t.Helper()
	e.Upstream.Reset()
	return e.Do(t, testjwt.Member(t, who), query, vars)
}

// dblTargets lists the recorded calls as "METHOD path?query".
func dblTargets(calls []testenv.Call) []string {
	out := make([]string, len(calls))
	for i, c := range calls {
		out[i] = c.Method + " " + c.Target()
	}
	return out
}

func dblMustOK(t *testing.T, r testenv.Response) {
	t.Helper()
	if r.Status != http.StatusOK || len(r.Errors) > 0 {
		t.Fatalf("status %d, errors %+v", r.Status, r.Errors)
	}
}

// dblMustError checks r has exactly one error, with code at path (nil: any path).
func dblMustError(t *testing.T, r testenv.Response, code string, path ...any) {
	t.Helper()
	if len(r.Errors) != 1 || r.Errors[0].Code() != code {
		t.Fatalf("errors %+v (status %d), want exactly one %s", r.Errors, r.Status, code)
	}
	want := slices.Clone(path)
	if want != nil && fmt.Sprintf("%v", r.Errors[0].Path) != fmt.Sprintf("%v", want) {
		t.Fatalf("%s error at path %v, want %v", code, r.Errors[0].Path, want)
	}
}

// dblNullOrEmpty in an expected value accepts null or "".
const dblNullOrEmpty = "\x00null-or-empty"

// dblCompare compares a response's data with want (built from the
// double's records), reporting every difference with its path. Two strings
// that both read as RFC 3339 date-times are equal when they name the same
// instant.
func dblCompare(t *testing.T, what string, got json.RawMessage, want any) {
	t.Helper()
	wb, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: data %s: %v", what, got, err)
	}
	_ = json.Unmarshal(wb, &w)
	var diffs []string
	dblDiff("data", g, w, &diffs)
	if len(diffs) > 0 {
		if len(diffs) > 25 {
			diffs = append(diffs[:25], fmt.Sprintf("… and %d more", len(diffs)-25))
		}
		t.Errorf("%s: %d differences from the double's data:\n  %s", what, len(diffs), strings.Join(diffs, "\n  "))
	}
}

func dblShort(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

func dblDiff(path string, got, want any, out *[]string) {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			*out = append(*out, fmt.Sprintf("%s: got %s, want an object %s", path, dblShort(got), dblShort(want)))
			return
		}
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			gv, present := g[k]
			if !present {
				*out = append(*out, fmt.Sprintf("%s.%s: missing", path, k))
				continue
			}
			dblDiff(path+"."+k, gv, w[k], out)
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			*out = append(*out, fmt.Sprintf("%s: got %s, want %s", path, dblShort(got), dblShort(want)))
			return
		}
		for i := range w {
			dblDiff(fmt.Sprintf("%s[%d]", path, i), g[i], w[i], out)
		}
	case string:
		if w == dblNullOrEmpty {
			if got == nil || got == "" {
				return
			}
		} else if g, ok := got.(string); ok {
			if g == w {
				return
			}
			tg, err1 := time.Parse(time.RFC3339Nano, g)
			tw, err2 := time.Parse(time.RFC3339Nano, w)
			if err1 == nil && err2 == nil && tg.Equal(tw) {
				return
			}
		}
		*out = append(*out, fmt.Sprintf("%s: got %s, want %s", path, dblShort(got), dblShort(want)))
	default:
		if !reflect.DeepEqual(got, want) {
			*out = append(*out, fmt.Sprintf("%s: got %s, want %s", path, dblShort(got), dblShort(want)))
		}
	}
}

// Selections and what the double's records say they must be.
const (
	dblPostF    = `id type title slug url bodyHtml bodyText tiptapBody isPinned isLiked likesCount commentsCount createdAt updatedAt`
	dblSpaceF   = `id name slug emoji url isPrivate isMember`
	dblAuthorF  = `id name headline avatarUrl isAdmin`
	dblMemberF  = `id name headline avatarUrl bio postsCount commentsCount isAdmin`
	dblEventF   = `startsAt endsAt locationType inPersonLocation virtualLocationUrl rsvpCount rsvpLimit rsvpStatus`
	dblCommentF = `id bodyHtml bodyText tiptapBody createdAt updatedAt likesCount isLiked repliesCount`
)

func dblObj(kv ...any) map[string]any {
	m := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

func dblWith(m map[string]any, kv ...any) map[string]any {
	for k, v := range dblObj(kv...) {
		m[k] = v
	}
	return m
}

func dblMap[T any](items []T, n int, f func(T) any) []any {
	out := []any{}
	for i, it := range items {
		if i >= n {
			break
		}
		out = append(out, f(it))
	}
	return out
}

func dblPostTitle(p *dblPost) string {
	if p.Name != nil && *p.Name != "" {
		return *p.Name
	}
	return p.DisplayTitle
}

func (d *dblCircle) wantPost(p *dblPost, viewer int64) map[string]any {
	var markup, tiptap any
	if p.HTML != nil {
		markup = *p.HTML
	}
	if p.Tiptap != nil {
		tiptap = p.Tiptap
	}
	var text any = p.Plain
	if p.Plain == "" {
		text = dblNullOrEmpty
	}
	return dblObj("id", dblID(p.ID), "type", strings.ToUpper(p.Kind), "title", dblPostTitle(p), "slug", p.Slug,
		"url", dblSite+"/c/"+d.space(p.SpaceID).Slug+"/"+p.Slug, "bodyHtml", markup, "bodyText", text, "tiptapBody", tiptap,
		"isPinned", p.Pinned, "isLiked", p.Likes[viewer], "likesCount", len(p.Likes), "commentsCount", d.commentCount(p.ID),
		"createdAt", dblTS(p.Created), "updatedAt", dblTS(p.Updated))
}

func (d *dblCircle) wantSpace(s *dblSpace, viewer int64) map[string]any {
	var emoji any
	if s.Emoji != nil {
		emoji = *s.Emoji
	}
	return dblObj("id", dblID(s.ID), "name", s.Name, "slug", s.Slug, "emoji", emoji, "url", dblSite+"/c/"+s.Slug,
		"isPrivate", s.Private, "isMember", s.Members[viewer])
}

func dblAvatar(m *dblMember) any {
	if m.Avatar == nil {
		return nil
	}
	return *m.Avatar
}

func (d *dblCircle) wantAuthor(m *dblMember) map[string]any {
	return dblObj("id", dblID(m.ID), "name", m.Name, "headline", m.Headline, "avatarUrl", dblAvatar(m), "isAdmin", m.Admin)
}

func (d *dblCircle) wantMember(m *dblMember) map[string]any {
	return dblWith(d.wantAuthor(m), "bio", m.Bio, "postsCount", d.postsCount(m.ID), "commentsCount", d.commentsCount(m.ID))
}

func (d *dblCircle) wantEvent(p *dblPost, viewer int64) map[string]any {
	e := p.Event
	var inPerson, limit, status any
	if e.InPerson != nil {
		inPerson = *e.InPerson
	}
	if e.Limit != nil {
		limit = *e.Limit
	}
	if s := d.rsvpOf(p, viewer); s != "" {
		status = strings.ToUpper(s)
	}
	var virtual any = e.Virtual
	if e.Virtual == "" {
		virtual = dblNullOrEmpty
	}
	return dblObj("startsAt", dblTS(e.Starts), "endsAt", dblTS(e.Ends), "locationType", e.LocationType,
		"inPersonLocation", inPerson, "virtualLocationUrl", virtual, "rsvpCount", e.yesCount(), "rsvpLimit", limit, "rsvpStatus", status)
}

func (d *dblCircle) wantComment(c *dblComment, viewer int64) map[string]any {
	var tiptap any
	if c.Tiptap != nil {
		tiptap = c.Tiptap
	}
	return dblObj("id", dblID(c.ID), "bodyHtml", c.HTML, "bodyText", c.Text, "tiptapBody", tiptap,
		"createdAt", dblTS(c.Created), "updatedAt", dblTS(c.Updated), "likesCount", len(c.Likes),
		"isLiked", c.Likes[viewer], "repliesCount", len(d.replies(c.ID)))
}

// --- the tests ---

func TestDoubleMe(t *testing.T) {
	t.Parallel()
	e := newDblEnv(t)
	q := `{ me { ` + dblMemberF + `
		posts(first: 4) { totalCount pageInfo { hasNextPage hasPreviousPage } nodes { id title author { id } space { id } } }
		comments(first: 4) { totalCount nodes { id bodyText author { id name } post { id } } } } }`
	for _, who := range []int64{dblAlice, dblBob, dblHana, dblGus, dblZed} {
		t.Run(dblID(who), func(t *testing.T) {
			r := e.run(t, who, q, nil)
			dblMustOK(t, r)
			var want any
			e.d.locked(func() {
				m := e.d.member(who)
				posts, comments := e.d.memberPosts(who, who), e.d.memberComments(who, who)
				want = dblObj("me", dblWith(e.d.wantMember(m),
					"posts", dblObj("totalCount", len(posts), "pageInfo", dblObj("hasNextPage", len(posts) > 4, "hasPreviousPage", false),
						"nodes", dblMap(posts, 4, func(p *dblPost) any {
							return dblObj("id", dblID(p.ID), "title", dblPostTitle(p), "author", dblObj("id", dblID(who)), "space", dblObj("id", dblID(p.SpaceID)))
						})),
					"comments", dblObj("totalCount", len(comments), "nodes", dblMap(comments, 4, func(c *dblComment) any {
						return dblObj("id", dblID(c.ID), "bodyText", c.Text, "author", dblObj("id", dblID(who), "name", m.Name), "post", dblObj("id", dblID(c.PostID)))
					}))))
			})
			dblCompare(t, "me", r.Data, want)
			for _, c := range e.Upstream.Calls() {
				if strings.HasSuffix(c.Path, "/public_profile") {
					t.Errorf("%s: me's own fields are all in GET /community_member, no profile fetch needed", c.Target())
				}
			}
			if n := dblCount(e.Upstream.Calls(), "GET", "/community_member"); n != 1 {
				t.Errorf("%d GET /community_member, want 1: %v", n, dblTargets(e.Upstream.Calls()))
			}
			e.checkCircle(t)
		})
	}
}

func dblCount(calls []testenv.Call, method, path string) int {
	n := 0
	for _, c := range calls {
		if c.Method == method && c.Path == path {
			n++
		}
	}
	return n
}

func TestDoubleSpaces(t *testing.T) {
	t.Parallel()
	e := newDblEnv(t)
	for _, who := range []int64{dblAlice, dblBob, dblGus} {
		t.Run(dblID(who), func(t *testing.T) {
			r := e.run(t, who, `{ spaces { `+dblSpaceF+` } }`, nil)
			dblMustOK(t, r)
			var want []any
			e.d.locked(func() {
				for _, s := range e.d.spaces {
					if !s.Unlisted && s.visibleTo(who) {
						want = append(want, e.d.wantSpace(s, who))
					}
				}
			})
			dblCompare(t, "spaces", r.Data, dblObj("spaces", want))
			if calls := e.Upstream.Calls(); len(calls) != 1 || calls[0].Target() != "/spaces" {
				t.Errorf("calls %v, want only GET /spaces", dblTargets(calls))
			}
			e.checkCircle(t)
		})
	}
}

func TestDoubleSpaceByIDAndSlug(t *testing.T) {
	t.Parallel()
	e := newDblEnv(t)
	q := `query($id: ID, $slug: String) { space(id: $id, slug: $slug) { ` + dblSpaceF + ` } }`
	cases := []struct {
		name  string
		who   int64
		vars  map[string]any
		space int64 // 0: null with NOT_FOUND
		calls []string
	}{
		{"listed by id", dblBob, dblObj("id", dblID(dblMeetups)), dblMeetups, []string{"GET /spaces"}},
		{"listed by slug", dblBob, dblObj("slug", "gallery-of-blooms"), dblGallery, []string{"GET /spaces"}},
		{"private by id, member", dblAlice, dblObj("id", dblID(dblInner)), dblInner, []string{"GET /spaces"}},
		{"private by slug, member", dblGus, dblObj("slug", "inner-circle"), dblInner, []string{"GET /spaces"}},
		{"private by id, not a member", dblBob, dblObj("id", dblID(dblInner)), 0, []string{"GET /spaces", "GET /spaces/4000004"}},
		{"private by slug, not a member", dblBob, dblObj("slug", "inner-circle"), 0, []string{"GET /spaces"}},
		{"not in GET /spaces, by id", dblAlice, dblObj("id", dblID(dblArchive)), dblArchive, []string{"GET /spaces", "GET /spaces/4000005"}},
		{"unknown id", dblAlice, dblObj("id", "4000099"), 0, []string{"GET /spaces", "GET /spaces/4000099"}},
		{"unknown slug", dblAlice, dblObj("slug", "no-such-space"), 0, []string{"GET /spaces"}},
		{"hostile slug", dblAlice, dblObj("slug", "../spaces/4000004?per_page=1000"), 0, []string{"GET /spaces"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.run(t, tc.who, q, tc.vars)
			if tc.space == 0 {
				dblMustError(t, r, "NOT_FOUND", "space")
				dblCompare(t, tc.name, r.Data, dblObj("space", nil))
			} else {
				dblMustOK(t, r)
				var want any
				e.d.locked(func() { want = dblObj("space", e.d.wantSpace(e.d.space(tc.space), tc.who)) })
				dblCompare(t, tc.name, r.Data, want)
			}
			got := dblTargets(e.Upstream.Calls())
			slices.Sort(got)
			if !slices.Equal(got, tc.calls) {
				t.Errorf("calls %v, want %v", got, tc.calls)
			}
			e.checkCircle(t)
		})
	}
}

func TestDoubleSpacePosts(t *testing.T) {
	t.Parallel()
	e := newDblEnv(t)
	q := `query($id: ID, $sort: PostSort, $after: String) { space(id: $id) { id posts(first: 4, sort: $sort, after: $after) {
		totalCount pageInfo { hasNextPage hasPreviousPage } edges { cursor node { id title isLiked type } } } } }`
	sorts := map[string]string{"": "latest", "LATEST": "latest", "POPULAR": "popular", "OLDEST": "oldest", "LIKES": "likes", "ALPHABETICAL": "alphabetical", "NEW_ACTIVITY": "new_activity"}
	for _, space := range []int64{dblShed, dblMeetups, dblInner} {
		for gql, circleSort := range sorts {
			t.Run(fmt.Sprintf("%d/%s", space, dblOr(gql, "default")), func(t *testing.T) {
				vars := dblObj("id", dblID(space))
				if gql != "" {
					vars["sort"] = gql
				}
				r := e.run(t, dblAlice, q, vars)
				dblMustOK(t, r)
				var all []*dblPost
				e.d.locked(func() { all = e.d.spacePosts(space, dblAlice, circleSort) })
				var got struct {
					Space struct {
						Posts struct {
							TotalCount int
							PageInfo   struct{ HasNextPage, HasPreviousPage bool }
							Edges      []struct {
								Cursor string
								Node   struct{ ID, Title, Type string }
							}
						}
					}
				}
				r.Decode(t, &got)
				var ids []string
				for _, ed := range got.Space.Posts.Edges {
					ids = append(ids, ed.Node.ID)
				}
				want := dblMap(all, 4, func(p *dblPost) any { return dblID(p.ID) })
				dblCompare(t, "posts", dblRaw(ids), want)
				if got.Space.Posts.TotalCount != len(all) || got.Space.Posts.PageInfo.HasNextPage != (len(all) > 4) || got.Space.Posts.PageInfo.HasPreviousPage {
					t.Errorf("totalCount %d pageInfo %+v, want %d items", got.Space.Posts.TotalCount, got.Space.Posts.PageInfo, len(all))
				}
				// The second page, through the cursor: one more call.
				if n := len(got.Space.Posts.Edges); n == 4 && len(all) > 4 {
					vars["after"] = got.Space.Posts.Edges[3].Cursor
					r2 := e.run(t, dblAlice, q, vars)
					dblMustOK(t, r2)
					var got2 struct {
						Space struct {
							Posts struct {
								Edges []struct{ Node struct{ ID string } }
							}
						}
					}
					r2.Decode(t, &got2)
					var ids2 []string
					for _, ed := range got2.Space.Posts.Edges {
						ids2 = append(ids2, ed.Node.ID)
					}
					dblCompare(t, "page 2", dblRaw(ids2), dblMap(all[4:], 4, func(p *dblPost) any { return dblID(p.ID) }))
					if c := dblCount(e.Upstream.Calls(), "GET", fmt.Sprintf("/spaces/%d/posts", space)); c != 1 {
						t.Errorf("page 2 cost %d space-post calls, want 1: %v", c, dblTargets(e.Upstream.Calls()))
					}
				}
				e.checkCircle(t)
			})
		}
	}
}

func dblRaw(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	if string(b) == "null" {
		return json.RawMessage("[]")
	}
	return b
}

const dblPostQuery = `query($s: ID!, $id: ID!) { post(spaceId: $s, id: $id) { ` + dblPostF + `
	space { ` + dblSpaceF + ` }
	author { ` + dblMemberF + ` posts(first: 2) { totalCount nodes { id } } comments(first: 2) { totalCount nodes { id } } }
	event { ` + dblEventF + ` attendees(first: 10) { totalCount nodes { rsvpStatus rsvpAt member { id name avatarUrl headline isAdmin } } } }
	comments(first: 6) { totalCount nodes { ` + dblCommentF + ` author { ` + dblAuthorF + ` } post { id } parent { id }
		replies(first: 4) { totalCount nodes { ` + dblCommentF + ` author { id name } parent { id } post { id } } } } }
	likes(first: 10) { totalCount nodes { ` + dblAuthorF + ` posts(first: 1) { totalCount } } }
} }`

// wantPostFull is what dblPostQuery must answer.
func (d *dblCircle) wantPostFull(p *dblPost, viewer int64) map[string]any {
	w := d.wantPost(p, viewer)
	w["space"] = d.wantSpace(d.space(p.SpaceID), viewer)
	w["author"] = dblWith(d.wantMember(d.member(p.AuthorID)), "posts", d.wantPostIDs(p.AuthorID, viewer, 2), "comments", d.wantCommentIDs(p.AuthorID, viewer, 2))
	w["event"] = nil
	if p.Event != nil {
		w["event"] = dblWith(d.wantEvent(p, viewer), "attendees", dblObj("totalCount", len(p.Event.Attendees),
			"nodes", dblMap(p.Event.Attendees, 10, func(a *dblAttendee) any {
				m := d.member(a.MemberID)
				return dblObj("rsvpStatus", strings.ToUpper(a.Status), "rsvpAt", dblTS(a.At),
					"member", dblObj("id", dblID(m.ID), "name", m.Name, "avatarUrl", dblAvatar(m), "headline", m.Headline, "isAdmin", m.Admin))
			})))
	}
	tops := dblSortComments(d.topComments(p.ID), "oldest")
	w["comments"] = dblObj("totalCount", len(tops), "nodes", dblMap(tops, 6, func(c *dblComment) any {
		reps := dblSortComments(d.replies(c.ID), "oldest")
		return dblWith(d.wantComment(c, viewer), "author", d.wantAuthor(d.member(c.AuthorID)), "post", dblObj("id", dblID(p.ID)), "parent", nil,
			"replies", dblObj("totalCount", len(reps), "nodes", dblMap(reps, 4, func(r *dblComment) any {
				return dblWith(d.wantComment(r, viewer), "author", dblObj("id", dblID(r.AuthorID), "name", d.member(r.AuthorID).Name),
					"parent", dblObj("id", dblID(c.ID)), "post", dblObj("id", dblID(p.ID)))
			})))
	}))
	likers := d.likers(p)
	w["likes"] = dblObj("totalCount", len(likers), "nodes", dblMap(likers, 10, func(m *dblMember) any {
		return dblWith(d.wantAuthor(m), "posts", dblObj("totalCount", len(d.memberPosts(m.ID, viewer))))
	}))
	return w
}

func (d *dblCircle) wantPostIDs(member, viewer int64, n int) map[string]any {
	ps := d.memberPosts(member, viewer)
	return dblObj("totalCount", len(ps), "nodes", dblMap(ps, n, func(p *dblPost) any { return dblObj("id", dblID(p.ID)) }))
}

func (d *dblCircle) wantCommentIDs(member, viewer int64, n int) map[string]any {
	cs := d.memberComments(member, viewer)
	return dblObj("totalCount", len(cs), "nodes", dblMap(cs, n, func(c *dblComment) any { return dblObj("id", dblID(c.ID)) }))
}

// Every field of a post and its relations, for posts of every kind, as two
// different members see them.
func TestDoublePostAndNestedFields(t *testing.T) {
	t.Parallel()
	e := newDblEnv(t)
	replies := 0
	for _, k := range []int64{1, 2, 3, 5, 6, 7, 9, 10, 15, 21, 24, 26, 27, 28, 29, 31, 34} {
		for _, who := range []int64{dblAlice, dblBob} {
			t.Run(fmt.Sprintf("post%d/%d", k, who), func(t *testing.T) {
				var p *dblPost
				var visible bool
				e.d.locked(func() { p = e.d.post(dblPost0 + k); visible = e.d.visible(p, who) })
				r := e.run(t, who, dblPostQuery, dblObj("s", dblID(p.SpaceID), "id", dblID(p.ID)))
				if !visible {
					dblMustError(t, r, "NOT_FOUND", "post")
					dblCompare(t, "post", r.Data, dblObj("post", nil))
					e.checkCircle(t)
					return
				}
				dblMustOK(t, r)
				var want map[string]any
				e.d.locked(func() {
					want = e.d.wantPostFull(p, who)
					for _, c := range e.d.topComments(p.ID) {
						replies += len(e.d.replies(c.ID))
					}
				})
				dblCompare(t, "post", r.Data, dblObj("post", want))
				e.checkCircle(t)
			})
		}
	}
	if replies == 0 {
		t.Error("the table checked no reply: pick posts with replies")
	}
}

// The OpenAPI example of GET /comments/{id}/replies has no embedded author,
// only user_id and community_member_id: the reply's author must still be
// the right member with its real name, headline and avatar.
func TestDoubleReplyWithoutEmbeddedAuthor(t *testing.T) {
	t.Parallel()
	e := newDblEnv(t)
	r := e.run(t, dblBob, `{ post(spaceId: "4000001", id: "55000012") { comments { nodes { id replies { nodes { id author { `+dblAuthorF+` } } } } } } }`, nil)
	dblMustOK(t, r)
	var want any
	e.d.locked(func() {
		top := e.d.topComments(dblPost0 + 12)[0]
		rep := e.d.replies(top.ID)[0]
		want = dblObj("post", dblObj("comments", dblObj("nodes", []any{dblObj("id", dblID(top.ID),
			"replies", dblObj("nodes", []any{dblObj("id", dblID(rep.ID), "author", e.d.wantAuthor(e.d.member(dblFern)))}))})))
	})
	dblCompare(t, "reply author", r.Data, want)
	e.checkCircle(t)
}

// A post a post_ids batch does not return is null with NOT_FOUND at its
// path; posts of one space share one batch with per_page = number of ids.
func TestDoublePostNotFound(t *testing.T) {
	t.Parallel()
	e := newDblEnv(t)
	cases := []struct {
		name    string
		who     int64
		query   string
		data    string
		errPath []string
		calls   []string
	}{
		{"unknown id", dblAlice, `{ post(spaceId: "4000001", id: "55000999") { id } }`, `{"post":null}`, []string{"post"},
			[]string{"GET /spaces/4000001/posts?page=1&per_page=1&post_ids=55000999"}},
		{"wrong space", dblAlice, `{ post(spaceId: "4000002", id: "55000001") { id } }`, `{"post":null}`, []string{"post"},
			[]string{"GET /spaces/4000002/posts?page=1&per_page=1&post_ids=55000001"}},
		{"private post, not a member", dblBob, `{ post(spaceId: "4000004", id: "55000031") { id title } }`, `{"post":null}`, []string{"post"}, nil},
		{"one of a batch", dblAlice, `{ a: post(spaceId: "4000001", id: "55000002") { id } b: post(spaceId: "4000001", id: "55000998") { id } c: post(spaceId: "4000001", id: "55000001") { id } }`,
			`{"a":{"id":"55000002"},"b":null,"c":{"id":"55000001"}}`, []string{"b"},
			[]string{"GET /spaces/4000001/posts?page=1&per_page=3&post_ids=55000001%2C55000002%2C55000998"}},
		{"batches per space", dblAlice, `{ a: post(spaceId: "4000001", id: "55000004") { title } b: post(spaceId: "4000002", id: "55000021") { title } c: post(spaceId: "4000001", id: "55000005") { title } d: post(spaceId: "4000004", id: "55000032") { title } }`,
			`{"a":{"title":"Pinned: read before posting"},"b":{"title":"Sunset tulips"},"c":{"title":"Best compost ratio"},"d":{"title":"Who gets plot 9"}}`, nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.run(t, tc.who, tc.query, nil)
			if tc.errPath == nil {
				dblMustOK(t, r)
			} else {
				path := make([]any, len(tc.errPath))
				for i, p := range tc.errPath {
					path[i] = p
				}
				dblMustError(t, r, "NOT_FOUND", path...)
			}
			var want any
			_ = json.Unmarshal([]byte(tc.data), &want)
			dblCompare(t, tc.name, r.Data, want)
			calls := e.Upstream.Calls()
			spaces := map[string]bool{}
			for _, c := range calls {
				if !strings.Contains(c.Query, "post_ids=") {
					t.Errorf("unexpected call %s", c.Target())
				}
				if spaces[c.Path] {
					t.Errorf("two post_ids batches for %s in one operation: %v", c.Path, dblTargets(calls))
				}
				spaces[c.Path] = true
			}
			if tc.calls != nil {
				got := dblTargets(calls)
				if !slices.Equal(got, tc.calls) && !dblSameBatch(got, tc.calls) {
					t.Errorf("calls %v, want %v", got, tc.calls)
				}
			}
			e.checkCircle(t)
		})
	}
}

// dblSameBatch accepts the same batch with the ids in another order.
func dblSameBatch(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	norm := func(s string) string {
		path, rawQuery, _ := strings.Cut(strings.TrimPrefix(s, "GET "), "?")
		q, _ := url.ParseQuery(rawQuery)
		ids := strings.Split(q.Get("post_ids"), ",")
		slices.Sort(ids)
		q.Set("post_ids", strings.Join(ids, ","))
		return path + "?" + q.Encode()
	}
	for i := range got {
		if norm(got[i]) != norm(want[i]) {
			return false
		}
	}
	return true
}

func TestDoubleHomeFeedSorts(t *testing.T) {
	t.Parallel()
	e := newDblEnv(t)
	q := `query($sort: PostSort) { homeFeed(first: 25, sort: $sort) { totalCount pageInfo { hasNextPage } nodes { id isLiked likesCount } } }`
	sorts := []struct{ gql, circle string }{{"", "latest"}, {"LATEST", "latest"}, {"POPULAR", "popular"}, {"OLDEST", "oldest"},
		{"LIKES", "likes"}, {"ALPHABETICAL", "alphabetical"}, {"NEW_ACTIVITY", "new_activity"}}
	for _, s := range sorts {
		for _, who := range []int64{dblAlice, dblBob} {
			t.Run(fmt.Sprintf("%s/%d", dblOr(s.gql, "default"), who), func(t *testing.T) {
				vars := map[string]any{}
				if s.gql != "" {
					vars["sort"] = s.gql
				}
				r := e.run(t, who, q, vars)
				dblMustOK(t, r)
				var want any
				e.d.locked(func() {
					all := e.d.feed(who, s.circle)
					want = dblObj("homeFeed", dblObj("totalCount", len(all), "pageInfo", dblObj("hasNextPage", len(all) > 25),
						"nodes", dblMap(all, 25, func(p *dblPost) any {
							return dblObj("id", dblID(p.ID), "isLiked", p.Likes[who], "likesCount", len(p.Likes))
						})))
				})
				dblCompare(t, "homeFeed", r.Data, want)
				calls := e.Upstream.Calls()
				if len(calls) != 1 || calls[0].Path != "/home" {
					t.Errorf("calls %v, want one GET /home", dblTargets(calls))
				}
				e.checkCircle(t)
			})
		}
	}
}

type dblPage struct {
	TotalCount int
	PageInfo   struct {
		HasNextPage, HasPreviousPage bool
		StartCursor, EndCursor       *string
	}
	Edges []struct {
		Cursor string
		Node   struct{ ID string }
	}
}

// Walking the feed page by page: every post once, in the double's order,
// one upstream call per page when `first` stays the same.
func TestDoubleHomeFeedWalk(t *testing.T) {
	t.Parallel()
	e := newDblEnv(t)
	q := `query($first: Int, $after: String, $sort: PostSort) { homeFeed(first: $first, after: $after, sort: $sort) {
		totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id } } } }`
	walks := []struct {
		who   int64
		sort  string
		sizes []int // repeated last
		same  bool
	}{
		{dblAlice, "", []int{7}, true},
		{dblBob, "OLDEST", []int{10}, true},
		{dblAlice, "ALPHABETICAL", []int{1}, true},
		{dblBob, "", []int{5, 7, 3, 20, 1, 100}, false},
		{dblAlice, "LIKES", []int{36}, true},
	}
	for _, wk := range walks {
		t.Run(fmt.Sprintf("%d/%s/%v", wk.who, dblOr(wk.sort, "default"), wk.sizes), func(t *testing.T) {
			circleSort := strings.ToLower(dblOr(wk.sort, "latest"))
			var all []string
			e.d.locked(func() {
				for _, p := range e.d.feed(wk.who, circleSort) {
					all = append(all, dblID(p.ID))
				}
			})
			var got []string
			var after any
			for page := 0; page < 60; page++ {
				first := wk.sizes[min(page, len(wk.sizes)-1)]
				vars := dblObj("first", first, "after", after)
				if wk.sort != "" {
					vars["sort"] = wk.sort
				}
				r := e.run(t, wk.who, q, vars)
				dblMustOK(t, r)
				var v struct{ HomeFeed dblPage }
				r.Decode(t, &v)
				f := v.HomeFeed
				if f.TotalCount != len(all) {
					t.Errorf("page %d: totalCount %d, want %d", page, f.TotalCount, len(all))
				}
				if f.PageInfo.HasPreviousPage != (page > 0) {
					t.Errorf("page %d: hasPreviousPage %v", page, f.PageInfo.HasPreviousPage)
				}
				if len(f.Edges) > 0 && (f.PageInfo.StartCursor == nil || *f.PageInfo.StartCursor != f.Edges[0].Cursor ||
					f.PageInfo.EndCursor == nil || *f.PageInfo.EndCursor != f.Edges[len(f.Edges)-1].Cursor) {
					t.Errorf("page %d: start/end cursors %v/%v do not match the edges", page, f.PageInfo.StartCursor, f.PageInfo.EndCursor)
				}
				for _, ed := range f.Edges {
					got = append(got, ed.Node.ID)
				}
				calls := e.Upstream.Calls()
				if wk.same && len(calls) != 1 {
					t.Errorf("page %d cost %d calls, want 1: %v", page, len(calls), dblTargets(calls))
				}
				if !wk.same && (len(calls) < 1 || len(calls) > 2) {
					t.Errorf("page %d cost %d calls, want 1 or 2: %v", page, len(calls), dblTargets(calls))
				}
				if wantNext := len(got) < len(all); f.PageInfo.HasNextPage != wantNext {
					t.Errorf("page %d: hasNextPage %v after %d of %d posts", page, f.PageInfo.HasNextPage, len(got), len(all))
				}
				e.checkCircle(t)
				if !f.PageInfo.HasNextPage || f.PageInfo.EndCursor == nil {
					break
				}
				after = *f.PageInfo.EndCursor
			}
			dblCompare(t, "walked feed", dblRaw(got), all)
		})
	}
	t.Run("first 0", func(t *testing.T) {
		r := e.run(t, dblAlice, `{ homeFeed(first: 0) { totalCount pageInfo { hasNextPage hasPreviousPage } nodes { id } } }`, nil)
		dblMustOK(t, r)
		var n int
		e.d.locked(func() { n = len(e.d.feed(dblAlice, "latest")) })
		dblCompare(t, "first 0", r.Data, dblObj("homeFeed", dblObj("totalCount", n, "pageInfo", dblObj("hasNextPage", true, "hasPreviousPage", false), "nodes", []any{})))
		e.checkCircle(t)
	})
	t.Run("past the end", func(t *testing.T) {
		r := e.run(t, dblBob, `query($after: String) { homeFeed(first: 20, after: $after) { totalCount pageInfo { hasNextPage } nodes { id } } }`,
			dblObj("after", base64.RawURLEncoding.EncodeToString([]byte("o1:199"))))
		if len(r.Errors) > 0 {
			t.Skipf("the cursor format changed: %+v", r.Errors)
		}
		var n int
		e.d.locked(func() { n = len(e.d.feed(dblBob, "latest")) })
		dblCompare(t, "past the end", r.Data, dblObj("homeFeed", dblObj("totalCount", n, "pageInfo", dblObj("hasNextPage", false), "nodes", []any{})))
		e.checkCircle(t)
	})
}

func TestDoubleEvents(t *testing.T) {
	t.Parallel()
	e := newDblEnv(t)
	q := `query($past: Boolean) { events(first: 10, pastEvents: $past) { totalCount nodes { id title isLiked
		space { id name } author { id name isAdmin }
		event { ` + dblEventF + ` attendees(first: 2) { totalCount pageInfo { hasNextPage } nodes { rsvpStatus rsvpAt member { id name avatarUrl headline } } } } } } }`
	for _, past := range []bool{false, true} {
		for _, who := range []int64{dblAlice, dblBob, dblFern} {
			t.Run(fmt.Sprintf("past=%v/%d", past, who), func(t *testing.T) {
				r := e.run(t, who, q, dblObj("past", past))
				dblMustOK(t, r)
				var want any
				e.d.locked(func() {
					evs := e.d.events(who, past)
					want = dblObj("events", dblObj("totalCount", len(evs), "nodes", dblMap(evs, 10, func(p *dblPost) any {
						sp, au := e.d.space(p.SpaceID), e.d.member(p.AuthorID)
						return dblObj("id", dblID(p.ID), "title", dblPostTitle(p), "isLiked", p.Likes[who],
							"space", dblObj("id", dblID(sp.ID), "name", sp.Name), "author", dblObj("id", dblID(au.ID), "name", au.Name, "isAdmin", au.Admin),
							"event", dblWith(e.d.wantEvent(p, who), "attendees", dblObj("totalCount", len(p.Event.Attendees),
								"pageInfo", dblObj("hasNextPage", len(p.Event.Attendees) > 2),
								"nodes", dblMap(p.Event.Attendees, 2, func(a *dblAttendee) any {
									m := e.d.member(a.MemberID)
									return dblObj("rsvpStatus", strings.ToUpper(a.Status), "rsvpAt", dblTS(a.At),
										"member", dblObj("id", dblID(m.ID), "name", m.Name, "avatarUrl", dblAvatar(m), "headline", m.Headline))
								}))))
					})))
				})
				dblCompare(t, "events", r.Data, want)
				for _, c := range e.Upstream.Calls() {
					if c.Path == "/community_events" && !strings.Contains(c.Query, "past_events="+strconv.FormatBool(past)) && past {
						t.Errorf("%s does not ask for past events", c.Target())
					}
				}
				e.checkCircle(t)
			})
		}
	}
	// GET /community_events records carry no post_type in Circle's
	// OpenAPI example; they are events all the same.
	t.Run("type", func(t *testing.T) {
		for _, past := range []bool{false, true} {
			r := e.run(t, dblAlice, `query($past: Boolean) { events(pastEvents: $past) { nodes { id type } } }`, dblObj("past", past))
			dblMustOK(t, r)
			var want any
			e.d.locked(func() {
				want = dblObj("events", dblObj("nodes", dblMap(e.d.events(dblAlice, past), 20, func(p *dblPost) any {
					return dblObj("id", dblID(p.ID), "type", "EVENT")
				})))
			})
			dblCompare(t, fmt.Sprintf("events(pastEvents: %v) type", past), r.Data, want)
		}
		e.checkCircle(t)
	})
	t.Run("attendees walk", func(t *testing.T) {
		var all []any
		e.d.locked(func() {
			for _, a := range e.d.post(dblPost0 + 26).Event.Attendees {
				all = append(all, dblID(a.MemberID))
			}
		})
		var got []string
		var after any
		for i := 0; i < 10; i++ {
			r := e.run(t, dblBob, `query($after: String) { post(spaceId: "4000003", id: "55000026") { event { attendees(first: 2, after: $after) {
				totalCount pageInfo { hasNextPage endCursor } nodes { member { id } } } } } }`, dblObj("after", after))
			dblMustOK(t, r)
			var v struct {
				Post struct {
					Event struct {
						Attendees struct {
							TotalCount int
							PageInfo   struct {
								HasNextPage bool
								EndCursor   *string
							}
							Nodes []struct{ Member struct{ ID string } }
						}
					}
				}
			}
			r.Decode(t, &v)
			a := v.Post.Event.Attendees
			for _, n := range a.Nodes {
				got = append(got, n.Member.ID)
			}
			if a.TotalCount != len(all) {
				t.Errorf("totalCount %d, want %d", a.TotalCount, len(all))
			}
			if !a.PageInfo.HasNextPage || a.PageInfo.EndCursor == nil {
				break
			}
			after = *a.PageInfo.EndCursor
		}
		dblCompare(t, "attendees", dblRaw(got), all)
		e.checkCircle(t)
	})
}

func TestDoubleMemberAndMembers(t *testing.T) {
	t.Parallel()
	e := newDblEnv(t)
	q := `query($id: ID!) { member(id: $id) { ` + dblMemberF + `
		posts(first: 3) { totalCount nodes { id title author { id name } } }
		comments(first: 3) { totalCount nodes { id bodyText isLiked author { id } post { id title } } } } }`
	for _, target := range []int64{dblAlice, dblBob, dblChidi, dblDana, dblEmile, dblFern, dblGus, dblHana, dblZed} {
		for _, who := range []int64{dblAlice, dblBob} {
			t.Run(fmt.Sprintf("member %d as %d", target, who), func(t *testing.T) {
				r := e.run(t, who, q, dblObj("id", dblID(target)))
				dblMustOK(t, r)
				var want any
				e.d.locked(func() {
					m := e.d.member(target)
					posts, comments := e.d.memberPosts(target, who), e.d.memberComments(target, who)
					want = dblObj("member", dblWith(e.d.wantMember(m),
						"posts", dblObj("totalCount", len(posts), "nodes", dblMap(posts, 3, func(p *dblPost) any {
							return dblObj("id", dblID(p.ID), "title", dblPostTitle(p), "author", dblObj("id", dblID(target), "name", m.Name))
						})),
						"comments", dblObj("totalCount", len(comments), "nodes", dblMap(comments, 3, func(c *dblComment) any {
							return dblObj("id", dblID(c.ID), "bodyText", c.Text, "isLiked", c.Likes[who], "author", dblObj("id", dblID(target)),
								"post", dblObj("id", dblID(c.PostID), "title", dblPostTitle(e.d.post(c.PostID))))
						}))))
				})
				dblCompare(t, "member", r.Data, want)
				if n := dblCount(e.Upstream.Calls(), "GET", fmt.Sprintf("/community_members/%d/public_profile", target)); n != 1 {
					t.Errorf("%d profile fetches, want 1: %v", n, dblTargets(e.Upstream.Calls()))
				}
				e.checkCircle(t)
			})
		}
	}
	t.Run("user id is not a member id", func(t *testing.T) {
		r := e.run(t, dblAlice, `{ member(id: "7000502") { id name } }`, nil)
		dblMustError(t, r, "NOT_FOUND", "member")
		dblCompare(t, "member by user id", r.Data, dblObj("member", nil))
		e.checkCircle(t)
	})

	mq := `query($first: Int, $after: String, $search: String, $space: ID) { members(first: $first, after: $after, search: $search, spaceId: $space) {
		totalCount pageInfo { hasNextPage endCursor } nodes { ` + dblMemberF + ` } } }`
	lists := []struct {
		name   string
		who    int64
		search string
		space  int64
	}{
		{"all", dblAlice, "", 0},
		{"search", dblBob, "na", 0},
		{"search unicode", dblBob, "ZOLA-BRONTË", 0},
		{"search apostrophe", dblAlice, "o'hara", 0},
		{"search hostile", dblAlice, "a&space_id=4000004&per_page=1000#x", 0},
		{"search nothing", dblAlice, "zzz", 0},
		{"space", dblBob, "", dblMeetups},
		{"private space, member", dblGus, "", dblInner},
		{"space and search", dblAlice, "a", dblShed},
	}
	for _, l := range lists {
		for _, first := range []int{3, 100} {
			t.Run(fmt.Sprintf("members %s first %d", l.name, first), func(t *testing.T) {
				var all []*dblMember
				e.d.locked(func() { all = e.d.directory(l.space, l.search) })
				var got []any
				var after any
				for page := 0; page < 10; page++ {
					vars := dblObj("first", first, "after", after)
					if l.search != "" {
						vars["search"] = l.search
					}
					if l.space != 0 {
						vars["space"] = dblID(l.space)
					}
					r := e.run(t, l.who, mq, vars)
					dblMustOK(t, r)
					var v struct {
						Members struct {
							TotalCount int
							PageInfo   struct {
								HasNextPage bool
								EndCursor   *string
							}
							Nodes []any
						}
					}
					r.Decode(t, &v)
					got = append(got, v.Members.Nodes...)
					if v.Members.TotalCount != len(all) {
						t.Errorf("totalCount %d, want %d", v.Members.TotalCount, len(all))
					}
					for _, c := range e.Upstream.Calls() {
						if c.Path != "/community_members" {
							continue
						}
						q, _ := url.ParseQuery(c.Query)
						if q.Get("search_text") != l.search || q.Get("space_id") != dblOr(dblIDOrEmpty(l.space), "") {
							t.Errorf("%s: search_text %q space_id %q, want %q %q", c.Target(), q.Get("search_text"), q.Get("space_id"), l.search, dblIDOrEmpty(l.space))
						}
					}
					e.checkCircle(t)
					if !v.Members.PageInfo.HasNextPage || v.Members.PageInfo.EndCursor == nil {
						break
					}
					after = *v.Members.PageInfo.EndCursor
				}
				want := []any{}
				e.d.locked(func() {
					for _, m := range all {
						want = append(want, e.d.wantMember(m))
					}
				})
				dblCompare(t, "members", dblRaw(got), want)
			})
		}
	}
	t.Run("private space, not a member", func(t *testing.T) {
		r := e.run(t, dblBob, `{ members(spaceId: "4000004") { totalCount nodes { id } } }`, nil)
		dblMustError(t, r, "NOT_FOUND", "members")
		e.checkCircle(t)
	})
}

func dblIDOrEmpty(id int64) string {
	if id == 0 {
		return ""
	}
	return dblID(id)
}

// Two members query the same things at the same time, with upstream
// latency: each sees its own likes, RSVPs, memberships and private posts,
// never the other's.
func TestDoubleMemberSpecificConcurrent(t *testing.T) {
	t.Parallel()
	e := newDblEnv(t)
	e.Upstream.SetDelay(15 * time.Millisecond)
	q := `{ me { id name isAdmin } spaces { id isMember }
		homeFeed(first: 12) { nodes { id isLiked likesCount author { id } event { rsvpStatus } comments(first: 3) { nodes { id isLiked author { id } } } } }
		events(first: 5) { nodes { id isLiked event { rsvpStatus rsvpCount } } }
		secret: post(spaceId: "4000004", id: "55000031") { id isLiked space { isMember } }
		gallery: space(id: "4000002") { isMember posts(first: 3) { nodes { id isLiked } } } }`
	want := map[int64]any{}
	for _, who := range []int64{dblAlice, dblBob, dblZed} {
		e.d.locked(func() {
			var spaces []any
			for _, s := range e.d.spaces {
				if !s.Unlisted && s.visibleTo(who) {
					spaces = append(spaces, dblObj("id", dblID(s.ID), "isMember", s.Members[who]))
				}
			}
			m := e.d.member(who)
			var secret any
			if p := e.d.post(dblPost0 + 31); e.d.visible(p, who) {
				secret = dblObj("id", dblID(p.ID), "isLiked", p.Likes[who], "space", dblObj("isMember", true))
			}
			want[who] = dblObj(
				"me", dblObj("id", dblID(who), "name", m.Name, "isAdmin", m.Admin),
				"spaces", spaces,
				"homeFeed", dblObj("nodes", dblMap(e.d.feed(who, "latest"), 12, func(p *dblPost) any {
					var ev any
					if p.Event != nil {
						ev = dblObj("rsvpStatus", e.d.wantEvent(p, who)["rsvpStatus"])
					}
					return dblObj("id", dblID(p.ID), "isLiked", p.Likes[who], "likesCount", len(p.Likes), "author", dblObj("id", dblID(p.AuthorID)), "event", ev,
						"comments", dblObj("nodes", dblMap(dblSortComments(e.d.topComments(p.ID), "oldest"), 3, func(c *dblComment) any {
							return dblObj("id", dblID(c.ID), "isLiked", c.Likes[who], "author", dblObj("id", dblID(c.AuthorID)))
						})))
				})),
				"events", dblObj("nodes", dblMap(e.d.events(who, false), 5, func(p *dblPost) any {
					ev := e.d.wantEvent(p, who)
					return dblObj("id", dblID(p.ID), "isLiked", p.Likes[who], "event", dblObj("rsvpStatus", ev["rsvpStatus"], "rsvpCount", ev["rsvpCount"]))
				})),
				"secret", secret,
				"gallery", dblObj("isMember", e.d.space(dblGallery).Members[who], "posts", dblObj("nodes", dblMap(e.d.spacePosts(dblGallery, who, "latest"), 3, func(p *dblPost) any {
					return dblObj("id", dblID(p.ID), "isLiked", p.Likes[who])
				}))),
			)
		})
	}
	var aliceSecret, bobSecret int
	e.d.locked(func() {
		p := e.d.post(dblPost0 + 31)
		if e.d.visible(p, dblAlice) {
			aliceSecret = 1
		}
		if e.d.visible(p, dblBob) {
			bobSecret = 1
		}
	})
	if aliceSecret != 1 || bobSecret != 0 {
		t.Fatal("the double's private post should be Alice's to see, not Bob's")
	}
	t.Run("group", func(t *testing.T) {
		for i := 0; i < 6; i++ {
			for _, who := range []int64{dblAlice, dblBob, dblZed} {
				t.Run(fmt.Sprintf("%d-%d", who, i), func(t *testing.T) {
					t.Parallel()
					r := e.Do(t, testjwt.Member(t, who), q, nil)
					if who != dblAlice {
						dblMustError(t, r, "NOT_FOUND", "secret")
					} else {
						dblMustOK(t, r)
					}
					dblCompare(t, fmt.Sprintf("member %d", who), r.Data, want[who])
				})
			}
		}
	})
	for _, c := range e.Upstream.Calls() {
		if c.Authorization == "" {
			t.Errorf("%s carried no token", c.Target())
		}
	}
	e.checkCircle(t)
}

// docs/contract.md §6: the reference queries within their budgets, on data unlike
// the sandbox's, plus the embedded-first and loader rules they rest on.
func TestDoubleUpstreamBudgets(t *testing.T) {
	t.Parallel()
	e := newDblEnv(t)
	type row struct {
		name   string
		query  string
		budget func(t *testing.T, who int64, data json.RawMessage) int
	}
	feed := func(t *testing.T, data json.RawMessage) []struct{ Author struct{ ID string } } {
		var v struct {
			HomeFeed struct {
				Nodes []struct{ Author struct{ ID string } }
			}
		}
		if err := json.Unmarshal(data, &v); err != nil {
			t.Fatal(err)
		}
		return v.HomeFeed.Nodes
	}
	rows := []row{
		{"feed", `{ homeFeed(first: 20) { nodes { title author { name avatarUrl } space { name } } } }`,
			func(*testing.T, int64, json.RawMessage) int { return 1 }},
		{"feed+comments", `{ homeFeed(first: 20) { nodes { title author { name avatarUrl } space { name } comments(first: 3) { nodes { bodyText author { name } } } } } }`,
			func(t *testing.T, _ int64, data json.RawMessage) int {
				n := len(feed(t, data))
				if n != 20 {
					t.Errorf("the feed has %d posts, want 20", n)
				}
				return 1 + n
			}},
		{"feed+bio", `{ homeFeed(first: 20) { nodes { title author { id name avatarUrl bio } space { name } } } }`,
			func(t *testing.T, _ int64, data json.RawMessage) int {
				authors := map[string]bool{}
				for _, n := range feed(t, data) {
					authors[n.Author.ID] = true
				}
				return 1 + len(authors)
			}},
		{"spaces+posts", `{ spaces { name posts(first: 5) { nodes { title } } } }`,
			func(t *testing.T, _ int64, data json.RawMessage) int {
				var v struct{ Spaces []json.RawMessage }
				_ = json.Unmarshal(data, &v)
				return 1 + len(v.Spaces)
			}},
		{"feed isAdmin from embedded roles", `{ homeFeed(first: 20) { nodes { author { id isAdmin headline } } } }`,
			func(*testing.T, int64, json.RawMessage) int { return 1 }},
		// GET /home, one GET /spaces, and GET /spaces/{id} for the one
		// space of the feed it lacks (the archive, public but unlisted).
		{"feed with full spaces", `{ homeFeed(first: 36) { nodes { space { id isPrivate isMember url } } } }`,
			func(*testing.T, int64, json.RawMessage) int { return 3 }},
		{"post", `{ post(spaceId: "4000001", id: "55000002") { title author { name isAdmin } space { name } } }`,
			func(*testing.T, int64, json.RawMessage) int { return 1 }},
		{"post with space details", `{ post(spaceId: "4000001", id: "55000002") { title space { isMember } } }`,
			func(*testing.T, int64, json.RawMessage) int { return 2 }},
		{"same post twice", `{ a: post(spaceId: "4000001", id: "55000002") { title } b: post(spaceId: "4000001", id: "55000002") { likesCount } }`,
			func(*testing.T, int64, json.RawMessage) int { return 1 }},
		{"same comments twice", `{ post(spaceId: "4000001", id: "55000003") { a: comments(first: 3) { totalCount } b: comments(first: 3) { nodes { id } } } }`,
			func(*testing.T, int64, json.RawMessage) int { return 2 }},
	}
	for _, rw := range rows {
		for _, who := range []int64{dblAlice, dblBob} {
			t.Run(fmt.Sprintf("%s/%d", rw.name, who), func(t *testing.T) {
				r := e.run(t, who, rw.query, nil)
				dblMustOK(t, r)
				want := rw.budget(t, who, r.Data)
				calls := e.Upstream.Calls()
				if len(calls) != want {
					t.Errorf("%d upstream calls, budget %d:\n  %s", len(calls), want, strings.Join(dblTargets(calls), "\n  "))
				}
				seen := map[string]bool{}
				for _, c := range calls {
					if c.Method == "GET" && seen[c.Target()] {
						t.Errorf("GET %s made twice in one operation", c.Target())
					}
					seen[c.Target()] = true
				}
				e.checkCircle(t)
			})
		}
	}
	t.Run("concurrent fetches", func(t *testing.T) {
		// The feed, then all 20 comment lists at once: the gate holds
		// them until all are in flight, so two rounds are shown whatever
		// the machine's speed.
		gate := &testenv.Gate{N: 20, Match: func(_, path string) bool { return strings.HasSuffix(path, "/comments") }}
		e.Upstream.SetGate(gate)
		defer e.Upstream.SetGate(nil)
		r := e.run(t, dblAlice, rows[1].query, nil)
		dblMustOK(t, r)
		if !gate.Opened() {
			t.Errorf("the 20 comment lists were never in flight together (%d arrived)", gate.Arrived())
		}
		if w := testenv.Waves(e.Upstream.Calls()); w != 2 {
			t.Errorf("%d sequential rounds of upstream calls, want 2", w)
		}
		e.checkCircle(t)
	})
}

// Invalid arguments: BAD_USER_INPUT, no upstream call.
func TestDoubleBadInput(t *testing.T) {
	t.Parallel()
	e := newDblEnv(t)
	cases := []string{
		`{ post(spaceId: "abc", id: "55000001") { id } }`,
		`{ post(spaceId: "4000001", id: "0") { id } }`,
		`{ post(spaceId: "4000001", id: "-55000001") { id } }`,
		`{ post(spaceId: "4000001", id: "55000001.0") { id } }`,
		`{ post(spaceId: "4000001", id: "1e6") { id } }`,
		`{ post(spaceId: "4000001", id: "0x10") { id } }`,
		`{ post(spaceId: "4000001", id: "99999999999999999999") { id } }`,
		`{ post(spaceId: " 4000001", id: "55000001") { id } }`,
		`{ post(spaceId: "4000001", id: "55000001/../55000002") { id } }`,
		`{ post(spaceId: "4000001", id: "55000001?per_page=1") { id } }`,
		`{ post(spaceId: "4000001", id: "") { id } }`,
		`{ space(id: "x") { id } }`,
		`{ space { id } }`,
		`{ space(id: "4000001", slug: "potting-shed") { id } }`,
		`{ space(slug: "") { id } }`,
		`{ member(id: "me") { id } }`,
		`{ member(id: "900001 ") { id } }`,
		`{ members(spaceId: "4000001x") { totalCount } }`,
		`{ homeFeed(first: -1) { totalCount } }`,
		`{ homeFeed(first: 101) { totalCount } }`,
		`{ homeFeed(after: "not a cursor") { totalCount } }`,
		`{ homeFeed(after: "") { totalCount } }`,
		`{ homeFeed(after: "` + base64.RawURLEncoding.EncodeToString([]byte("o1:-1")) + `") { totalCount } }`,
		`{ homeFeed(after: "` + base64.RawURLEncoding.EncodeToString([]byte("o1:1e3")) + `") { totalCount } }`,
		`{ events(first: 1000) { totalCount } }`,
		`{ events(after: "AAAA") { totalCount } }`,
		`{ members(first: -5) { totalCount } }`,
		`{ me { posts(first: 101) { totalCount } } }`,
		`{ spaces { posts(after: "zzz") { totalCount } } }`,
	}
	for _, q := range cases {
		t.Run(q, func(t *testing.T) {
			r := e.run(t, dblAlice, q, nil)
			if len(r.Errors) == 0 {
				t.Fatalf("no error, data %s", r.Data)
			}
			for _, er := range r.Errors {
				if er.Code() != "BAD_USER_INPUT" {
					t.Errorf("error %q has code %s, want BAD_USER_INPUT", er.Message, er.Code())
				}
			}
			if calls := e.Upstream.Calls(); len(calls) != 0 {
				t.Errorf("%d upstream calls for invalid arguments: %v", len(calls), dblTargets(calls))
			}
			e.checkCircle(t)
		})
	}
	t.Run("nested bad first", func(t *testing.T) {
		r := e.run(t, dblAlice, `{ post(spaceId: "4000001", id: "55000001") { id comments(first: 500) { totalCount } } }`, nil)
		if len(r.Errors) == 0 || r.Errors[0].Code() != "BAD_USER_INPUT" {
			t.Fatalf("errors %+v, want BAD_USER_INPUT", r.Errors)
		}
		for _, c := range e.Upstream.Calls() {
			if strings.HasSuffix(c.Path, "/comments") {
				t.Errorf("comments fetched for first: 500: %s", c.Target())
			}
		}
		e.checkCircle(t)
	})
}

// Missing, malformed and expired tokens: UNAUTHENTICATED, no upstream call.
// A token Circle refuses: UNAUTHENTICATED after its one call.
func TestDoubleUnauthenticated(t *testing.T) {
	t.Parallel()
	e := newDblEnv(t)
	expired := testjwt.Sign(t, jwt.SigningMethodHS256, []byte("k"), jwt.MapClaims{"community_id": 31337, "community_member_id": dblAlice, "exp": time.Now().Add(-time.Minute).Unix()}, nil)
	noExp := testjwt.Sign(t, jwt.SigningMethodHS256, []byte("k"), jwt.MapClaims{"community_id": 31337, "community_member_id": dblAlice}, nil)
	unsigned := strings.Join(strings.Split(testjwt.Member(t, dblAlice), ".")[:2], ".") + "."
	headers := map[string]string{
		"none":          "",
		"bare Bearer":   "Bearer",
		"empty token":   "Bearer ",
		"not a JWT":     "Bearer not-a-jwt",
		"two parts":     "Bearer abc.def",
		"garbage parts": "Bearer a.b.c",
		"Basic":         "Basic " + base64.StdEncoding.EncodeToString([]byte("alice:pw")),
		"expired":       "Bearer " + expired,
		"no exp":        "Bearer " + noExp,
		"unsigned":      "Bearer " + unsigned,
	}
	queries := []string{`{ me { id } }`, `{ homeFeed { totalCount } }`, `{ post(spaceId: "4000001", id: "55000001") { id } }`,
		`{ spaces { id } member(id: "900002") { name } }`, `mutation { likePost(spaceId: "4000001", postId: "55000001") { userErrors { message } } }`}
	for name, h := range headers {
		for i, q := range queries {
			t.Run(fmt.Sprintf("%s/%d", name, i), func(t *testing.T) {
				e.Upstream.Reset()
				hdr := http.Header{}
				if h != "" {
					hdr.Set("Authorization", h)
				}
				r := e.DoWith(t, hdr, q, nil)
				if len(r.Errors) == 0 {
					t.Fatalf("no error, data %s", r.Data)
				}
				for _, er := range r.Errors {
					if er.Code() != "UNAUTHENTICATED" {
						t.Errorf("error %q has code %s, want UNAUTHENTICATED", er.Message, er.Code())
					}
				}
				if calls := e.Upstream.Calls(); len(calls) != 0 {
					t.Errorf("%d upstream calls: %v", len(calls), dblTargets(calls))
				}
				e.checkCircle(t)
			})
		}
	}
	t.Run("unknown member", func(t *testing.T) {
		r := e.run(t, 123_456, `{ me { id } }`, nil)
		dblMustError(t, r, "UNAUTHENTICATED")
		if calls := e.Upstream.Calls(); len(calls) != 1 {
			t.Errorf("calls %v, want the one Circle refused", dblTargets(calls))
		}
		e.checkCircle(t)
	})
}

// Injected faults and latency on the double, per docs/contract.md §5 and §6.
func TestDoubleFaults(t *testing.T) {
	t.Parallel()
	type fault struct {
		name   string
		suffix string
		status int
		header string // Retry-After
		times  int    // how many calls fail (0: all)
		query  string
		code   string // "" when the operation must succeed
		path   []any
		calls  int // calls to the failing endpoint
	}
	faults := []fault{
		{"500 not retried", "/posts/55000001/comments", 500, "", 0, `{ post(spaceId: "4000001", id: "55000001") { id comments { totalCount } } }`, "UPSTREAM_UNAVAILABLE", []any{"post", "comments"}, 1},
		{"503 retried", "/posts/55000001/comments", 503, "", 1, `{ post(spaceId: "4000001", id: "55000001") { id comments { totalCount } } }`, "", nil, 2},
		{"503 exhausted", "/home", 503, "", 0, `{ homeFeed { totalCount } }`, "UPSTREAM_UNAVAILABLE", []any{"homeFeed"}, 3},
		{"429 waited out", "/home", 429, "1", 1, `{ homeFeed { totalCount } }`, "", nil, 2},
		{"429 too long", "/home", 429, "120", 0, `{ homeFeed { totalCount } }`, "RATE_LIMITED", []any{"homeFeed"}, 1},
		{"404 profile", "/community_members/901313/public_profile", 404, "", 0, `{ post(spaceId: "4000001", id: "55000003") { id author { id name bio } } }`, "NOT_FOUND", []any{"post", "author", "bio"}, 1},
		{"403", "/spaces", 403, "", 0, `{ spaces { id } }`, "FORBIDDEN", []any{"spaces"}, 1},
		{"401", "/community_member", 401, "", 0, `{ me { id } }`, "UNAUTHENTICATED", []any{"me"}, 1},
		{"write 503 not retried", "/posts/55000002/comments", 503, "", 0, `mutation { createComment(input: {postId: "55000002", body: "hi"}) { comment { id } userErrors { message } } }`, "UPSTREAM_UNAVAILABLE", []any{"createComment"}, 1},
		{"like 500 not retried", "/posts/55000002/user_likes", 500, "", 0, `mutation { likePost(spaceId: "4000001", postId: "55000002") { post { id } userErrors { message } } }`, "UPSTREAM_UNAVAILABLE", []any{"likePost"}, 1},
	}
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			var e *dblEnv
			if f.header != "" {
				// The recorder's faults carry no headers: a wrapper
				// answers the 429s with Retry-After.
				e = dblRetryAfterEnv(t, f.suffix, f.header, f.times)
			} else {
				e = newDblEnv(t)
				var n atomic.Int32
				e.Upstream.SetFault(func(r *http.Request) (int, string, bool) {
					if !strings.HasSuffix(r.URL.Path, f.suffix) || (f.times > 0 && int(n.Add(1)) > f.times) {
						return 0, "", false
					}
					return f.status, `{"success":false,"message":"injected fault","error_details":{}}`, true
				})
			}
			r := e.run(t, dblAlice, f.query, nil)
			if f.code == "" {
				dblMustOK(t, r)
			} else {
				dblMustError(t, r, f.code, f.path...)
				if f.code == "RATE_LIMITED" {
					if _, ok := r.Errors[0].Extensions["retryAfterSeconds"]; !ok {
						t.Errorf("RATE_LIMITED without retryAfterSeconds: %+v", r.Errors[0])
					}
				}
			}
			got := 0
			for _, c := range e.Upstream.Calls() {
				if strings.HasSuffix(c.Path, f.suffix) {
					got++
				}
			}
			if got != f.calls {
				t.Errorf("%d calls to %s, want %d: %v", got, f.suffix, f.calls, dblTargets(e.Upstream.Calls()))
			}
			e.checkCircle(t)
		})
	}
}

// dblRetryAfterEnv is a double whose calls to suffix answer 429 with a
// Retry-After header (the first `times` of them; 0: all).
func dblRetryAfterEnv(t *testing.T, suffix, retryAfter string, times int) *dblEnv {
	d := newDblCircle()
	var n atomic.Int32
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, suffix) && (times == 0 || int(n.Add(1)) <= times) {
			w.Header().Set("Retry-After", retryAfter)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = io.WriteString(w, `{"success":false,"message":"Too many requests","error_details":{}}`)
			return
		}
		d.ServeHTTP(w, r)
	})
	env := testenv.New(t, testenv.Options{Upstream: h})
	t.Cleanup(func() {
		for _, v := range d.takeViolations() {
			t.Errorf("Circle API contract violated by the gateway: %s", v)
		}
	})
	return &dblEnv{Env: env, d: d}
}

// Writes against the double: Circle's request shapes, the re-read after a
// like, and 422s as userErrors.
func TestDoubleMutations(t *testing.T) {
	t.Parallel()
	like := `mutation($s: ID!, $p: ID!) { likePost(spaceId: $s, postId: $p) { post { id isLiked likesCount title } userErrors { field message } } }`
	unlike := `mutation($s: ID!, $p: ID!) { unlikePost(spaceId: $s, postId: $p) { post { id isLiked likesCount } userErrors { field message } } }`

	t.Run("likePost re-reads", func(t *testing.T) {
		t.Parallel()
		e := newDblEnv(t)
		var p *dblPost
		var before int
		e.d.locked(func() {
			for _, cand := range e.d.posts {
				if cand.SpaceID == dblShed && !cand.Likes[dblBob] && !cand.LikingOff && len(cand.Likes) > 0 {
					p = cand
					break
				}
			}
			before = len(p.Likes)
		})
		// Read it first in the same operation: the payload must not be that stale read.
		r := e.run(t, dblBob, `mutation($s: ID!, $p: ID!) { likePost(spaceId: $s, postId: $p) { post { id isLiked likesCount } userErrors { field message } } }`,
			dblObj("s", dblID(p.SpaceID), "p", dblID(p.ID)))
		dblMustOK(t, r)
		dblCompare(t, "likePost", r.Data, dblObj("likePost", dblObj("post", dblObj("id", dblID(p.ID), "isLiked", true, "likesCount", before+1), "userErrors", []any{})))
		calls := dblTargets(e.Upstream.Calls())
		if len(calls) != 2 || calls[0] != fmt.Sprintf("POST /posts/%d/user_likes", p.ID) || !strings.HasPrefix(calls[1], fmt.Sprintf("GET /spaces/%d/posts?", p.SpaceID)) {
			t.Errorf("calls %v, want the like then one re-read", calls)
		}
		// Alice sees Bob's like in the count, not as her own.
		r = e.run(t, dblAlice, `query($s: ID!, $p: ID!) { post(spaceId: $s, id: $p) { isLiked likesCount } }`, dblObj("s", dblID(p.SpaceID), "p", dblID(p.ID)))
		dblMustOK(t, r)
		var aliceLikes bool
		e.d.locked(func() { aliceLikes = p.Likes[dblAlice] })
		dblCompare(t, "post as Alice", r.Data, dblObj("post", dblObj("isLiked", aliceLikes, "likesCount", before+1)))
		e.checkCircle(t)
	})

	t.Run("unlikePost", func(t *testing.T) {
		t.Parallel()
		e := newDblEnv(t)
		var p *dblPost
		var before int
		e.d.locked(func() {
			for _, cand := range e.d.posts {
				if cand.Likes[dblAlice] && !cand.LikingOff && cand.SpaceID == dblShed {
					p = cand
					break
				}
			}
			before = len(p.Likes)
		})
		r := e.run(t, dblAlice, unlike, dblObj("s", dblID(p.SpaceID), "p", dblID(p.ID)))
		dblMustOK(t, r)
		dblCompare(t, "unlikePost", r.Data, dblObj("unlikePost", dblObj("post", dblObj("id", dblID(p.ID), "isLiked", false, "likesCount", before-1), "userErrors", []any{})))
		if n := dblCount(e.Upstream.Calls(), "DELETE", fmt.Sprintf("/posts/%d/user_likes", p.ID)); n != 1 {
			t.Errorf("%d DELETE user_likes, want 1: %v", n, dblTargets(e.Upstream.Calls()))
		}
		e.checkCircle(t)
	})

	t.Run("likePost 422", func(t *testing.T) {
		t.Parallel()
		e := newDblEnv(t)
		r := e.run(t, dblBob, like, dblObj("s", dblID(dblShed), "p", "55000019"))
		dblMustOK(t, r)
		dblCompare(t, "likePost 422", r.Data, dblObj("likePost", dblObj("post", nil, "userErrors", []any{dblObj("field", nil, "message", "Liking is disabled for this post.")})))
		if n := dblCount(e.Upstream.Calls(), "POST", "/posts/55000019/user_likes"); n != 1 {
			t.Errorf("%d like calls, want 1 (writes are not retried): %v", n, dblTargets(e.Upstream.Calls()))
		}
		e.checkCircle(t)
	})

	cq := `mutation($in: CreateCommentInput!) { createComment(input: $in) { comment { id bodyHtml bodyText isLiked likesCount repliesCount author { id name headline isAdmin } post { id title } parent { id } } userErrors { field message } } }`
	t.Run("createComment body shape", func(t *testing.T) {
		t.Parallel()
		e := newDblEnv(t)
		body := `<p>Try "neem" oil & rinse</p>`
		r := e.run(t, dblBob, cq, dblObj("in", dblObj("postId", "55000002", "body", body)))
		dblMustOK(t, r)
		var want any
		var sent []string
		e.d.locked(func() {
			c := e.d.comments[len(e.d.comments)-1]
			bob := e.d.member(dblBob)
			want = dblObj("createComment", dblObj("comment", dblObj("id", dblID(c.ID), "bodyHtml", body, "bodyText", `Try "neem" oil & rinse`,
				"isLiked", false, "likesCount", 0, "repliesCount", 0,
				"author", dblObj("id", dblID(dblBob), "name", bob.Name, "headline", bob.Headline, "isAdmin", false),
				"post", dblObj("id", "55000002", "title", dblPostTitle(e.d.post(dblPost0+2))), "parent", nil), "userErrors", []any{}))
			sent = slices.Clone(e.d.bodies)
		})
		dblCompare(t, "createComment", r.Data, want)
		if len(sent) != 1 {
			t.Fatalf("Circle received %d comment bodies, want 1", len(sent))
		}
		dblCompare(t, "request body", json.RawMessage(sent[0]), dblObj("comment", dblObj("body", body)))
		if n := dblCount(e.Upstream.Calls(), "POST", "/posts/55000002/comments"); n != 1 {
			t.Errorf("%d POSTs, want 1: %v", n, dblTargets(e.Upstream.Calls()))
		}
		e.checkCircle(t)
	})

	t.Run("createComment tiptap", func(t *testing.T) {
		t.Parallel()
		e := newDblEnv(t)
		doc := map[string]any{"body": map[string]any{"type": "doc", "content": []any{map[string]any{"type": "paragraph", "content": []any{map[string]any{"type": "text", "text": "Ünïcödé 🌱"}}}}}}
		r := e.run(t, dblAlice, `mutation($in: CreateCommentInput!) { createComment(input: $in) { comment { id author { id } } userErrors { message } } }`,
			dblObj("in", dblObj("postId", "55000005", "tiptapBody", doc)))
		dblMustOK(t, r)
		var sent []string
		var id int64
		e.d.locked(func() { sent = slices.Clone(e.d.bodies); id = e.d.comments[len(e.d.comments)-1].ID })
		dblCompare(t, "createComment", r.Data, dblObj("createComment", dblObj("comment", dblObj("id", dblID(id), "author", dblObj("id", dblID(dblAlice))), "userErrors", []any{})))
		if len(sent) != 1 {
			t.Fatalf("Circle received %d comment bodies, want 1", len(sent))
		}
		dblCompare(t, "request body", json.RawMessage(sent[0]), dblObj("comment", dblObj("tiptap_body", doc)))
		e.checkCircle(t)
	})

	t.Run("createComment 422", func(t *testing.T) {
		t.Parallel()
		e := newDblEnv(t)
		r := e.run(t, dblBob, cq, dblObj("in", dblObj("postId", "55000020", "body", "Me too")))
		dblMustOK(t, r)
		dblCompare(t, "createComment 422", r.Data, dblObj("createComment", dblObj("comment", nil, "userErrors", []any{dblObj("field", nil, "message", "Comments are closed for this post.")})))
		if n := dblCount(e.Upstream.Calls(), "POST", "/posts/55000020/comments"); n != 1 {
			t.Errorf("%d POSTs, want 1: %v", n, dblTargets(e.Upstream.Calls()))
		}
		e.checkCircle(t)
	})

	t.Run("rsvpEvent re-reads", func(t *testing.T) {
		t.Parallel()
		e := newDblEnv(t)
		var before int
		e.d.locked(func() { before = e.d.post(dblPost0 + 28).Event.yesCount() })
		r := e.run(t, dblAlice, `mutation { rsvpEvent(spaceId: "4000003", eventId: "55000028") { post { id event { rsvpStatus rsvpCount } } userErrors { message } } }`, nil)
		dblMustOK(t, r)
		dblCompare(t, "rsvpEvent", r.Data, dblObj("rsvpEvent", dblObj("post", dblObj("id", "55000028", "event", dblObj("rsvpStatus", "YES", "rsvpCount", before+1)), "userErrors", []any{})))
		// Bob's own RSVP is untouched.
		r = e.run(t, dblBob, `{ post(spaceId: "4000003", id: "55000028") { event { rsvpStatus rsvpCount } } }`, nil)
		dblMustOK(t, r)
		dblCompare(t, "as Bob", r.Data, dblObj("post", dblObj("event", dblObj("rsvpStatus", "YES", "rsvpCount", before+1))))
		e.checkCircle(t)
	})
}

// The double itself must be strict, or the tests above prove nothing: it
// records every breach of Circle's calling conventions it is built to see.
func TestDoubleIsStrict(t *testing.T) {
	t.Parallel()
	d := newDblCircle()
	srv := httptest.NewServer(d)
	t.Cleanup(srv.Close)
	tok := testjwt.Member(t, dblAlice)
	cases := []struct {
		method, target, body, token string
		ok                          bool
	}{
		{"GET", "/home?page=1&per_page=20", "", tok, true},
		{"GET", "/home?page=1&per_page=20&sort=latest", "", tok, true},
		{"GET", "/home?page=1", "", tok, false},
		{"GET", "/home?page=1&per_page=101", "", tok, false},
		{"GET", "/home?page=0&per_page=5", "", tok, false},
		{"GET", "/home?page=1&per_page=5&per_page=6", "", tok, false},
		{"GET", "/home?page=1&per_page=5&space_id=4000001", "", tok, false},
		{"GET", "/home?per_page=05", "", tok, false},
		{"GET", "/spaces/4000001/posts?page=1&per_page=5&sort=latest", "", tok, false},
		{"GET", "/spaces/4000001/posts?page=1&per_page=2&post_ids=55000001%2C55000002", "", tok, true},
		{"GET", "/spaces/4000001/posts?page=1&per_page=20&post_ids=55000001%2C55000002", "", tok, false},
		{"GET", "/spaces/4000001/posts?page=1&per_page=1&post_ids=55000001%2Cx", "", tok, false},
		{"GET", "/spaces/04000001", "", tok, false},
		{"GET", "/spaces?per_page=10", "", tok, false},
		{"GET", "/community_members?page=1&per_page=10&search_text=", "", tok, false},
		{"GET", "/posts/55000001/comments?page=1&per_page=10&sort=newest", "", tok, false},
		{"GET", "/posts/55000001/comments/8800001/extra", "", tok, false},
		{"GET", "/home?page=1&per_page=20", "", "", false},
		{"POST", "/posts/55000001/comments", `{"body":"x"}`, tok, false},
		{"POST", "/posts/55000001/comments", `{"comment":{"body":"x","user_id":1}}`, tok, false},
		{"POST", "/posts/55000001/comments", `{"comment":{"body":"x"}}`, tok, true},
		{"POST", "/posts/55000001/user_likes", `{"like":true}`, tok, false},
	}
	for _, tc := range cases {
		req, _ := http.NewRequest(tc.method, srv.URL+"/api/headless/v1"+tc.target, strings.NewReader(tc.body))
		req.Header.Set("Content-Type", "application/json")
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		v := d.takeViolations()
		if tc.ok && (len(v) > 0 || resp.StatusCode >= 400) {
			t.Errorf("%s %s: status %d, violations %v; want it accepted", tc.method, tc.target, resp.StatusCode, v)
		}
		if !tc.ok && len(v) == 0 {
			t.Errorf("%s %s: status %d and no violation recorded; want one", tc.method, tc.target, resp.StatusCode)
		}
	}
}

// Arguments of nested lists: comment sorts, reply and like pagination,
// an empty search, an empty space.
func TestDoubleNestedListArgs(t *testing.T) {
	t.Parallel()
	e := newDblEnv(t)
	var busy, threaded *dblPost // most comments; a comment with replies
	e.d.locked(func() {
		for _, p := range e.d.posts {
			if busy == nil || len(e.d.topComments(p.ID)) > len(e.d.topComments(busy.ID)) {
				busy = p
			}
			for _, c := range e.d.topComments(p.ID) {
				if len(e.d.replies(c.ID)) >= 2 && threaded == nil && p.SpaceID == dblShed && p.ID != dblPost0+12 {
					threaded = p
				}
			}
		}
	})
	for _, sortBy := range []string{"", "OLDEST", "LATEST", "LIKES"} {
		t.Run("comments "+dblOr(sortBy, "default"), func(t *testing.T) {
			vars := dblObj("s", dblID(busy.SpaceID), "id", dblID(busy.ID))
			if sortBy != "" {
				vars["sort"] = sortBy
			}
			r := e.run(t, dblChidi, `query($s: ID!, $id: ID!, $sort: CommentSort) { post(spaceId: $s, id: $id) { comments(first: 10, sort: $sort) { totalCount nodes { id likesCount isLiked } } } }`, vars)
			dblMustOK(t, r)
			var want any
			e.d.locked(func() {
				cs := dblSortComments(e.d.topComments(busy.ID), strings.ToLower(dblOr(sortBy, "oldest")))
				want = dblObj("post", dblObj("comments", dblObj("totalCount", len(cs), "nodes", dblMap(cs, 10, func(c *dblComment) any {
					return dblObj("id", dblID(c.ID), "likesCount", len(c.Likes), "isLiked", c.Likes[dblChidi])
				}))))
			})
			dblCompare(t, "comments", r.Data, want)
			e.checkCircle(t)
		})
	}
	t.Run("replies walk", func(t *testing.T) {
		var top *dblComment
		var all []any
		e.d.locked(func() {
			for _, c := range e.d.topComments(threaded.ID) {
				if len(e.d.replies(c.ID)) >= 2 {
					top = c
					break
				}
			}
			for _, r := range dblSortComments(e.d.replies(top.ID), "oldest") {
				all = append(all, dblID(r.ID))
			}
		})
		var got []string
		var after any
		for i := 0; i < 10; i++ {
			r := e.run(t, dblDana, `query($s: ID!, $id: ID!, $after: String) { post(spaceId: $s, id: $id) { comments(first: 20) { nodes { id
				replies(first: 1, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { id parent { id } } } } } } }`,
				dblObj("s", dblID(threaded.SpaceID), "id", dblID(threaded.ID), "after", after))
			dblMustOK(t, r)
			var v struct {
				Post struct {
					Comments struct {
						Nodes []struct {
							ID      string
							Replies struct {
								TotalCount int
								PageInfo   struct {
									HasNextPage bool
									EndCursor   *string
								}
								Nodes []struct {
									ID     string
									Parent struct{ ID string }
								}
							}
						}
					}
				}
			}
			r.Decode(t, &v)
			var next *string
			for _, n := range v.Post.Comments.Nodes {
				if n.ID != dblID(top.ID) {
					continue
				}
				for _, rn := range n.Replies.Nodes {
					got = append(got, rn.ID)
					if rn.Parent.ID != dblID(top.ID) {
						t.Errorf("reply %s: parent %s, want %d", rn.ID, rn.Parent.ID, top.ID)
					}
				}
				if n.Replies.TotalCount != len(all) {
					t.Errorf("replies totalCount %d, want %d", n.Replies.TotalCount, len(all))
				}
				if n.Replies.PageInfo.HasNextPage {
					next = n.Replies.PageInfo.EndCursor
				}
			}
			e.checkCircle(t)
			if next == nil {
				break
			}
			after = *next
		}
		dblCompare(t, "replies", dblRaw(got), all)
	})
	t.Run("likes walk", func(t *testing.T) {
		var p *dblPost
		e.d.locked(func() {
			for _, cand := range e.d.feed(dblAlice, "likes") {
				p = cand
				break
			}
		})
		var all []any
		e.d.locked(func() {
			for _, m := range e.d.likers(p) {
				all = append(all, e.d.wantAuthor(m))
			}
		})
		if len(all) < 3 {
			t.Fatalf("post %d has %d likes, want a few", p.ID, len(all))
		}
		var got []any
		var after any
		for i := 0; i < 20; i++ {
			r := e.run(t, dblAlice, `query($s: ID!, $id: ID!, $after: String) { post(spaceId: $s, id: $id) { likes(first: 2, after: $after) {
				totalCount pageInfo { hasNextPage endCursor } nodes { `+dblAuthorF+` } } } }`, dblObj("s", dblID(p.SpaceID), "id", dblID(p.ID), "after", after))
			dblMustOK(t, r)
			var v struct {
				Post struct {
					Likes struct {
						TotalCount int
						PageInfo   struct {
							HasNextPage bool
							EndCursor   *string
						}
						Nodes []any
					}
				}
			}
			r.Decode(t, &v)
			got = append(got, v.Post.Likes.Nodes...)
			if v.Post.Likes.TotalCount != len(all) {
				t.Errorf("likes totalCount %d, want %d", v.Post.Likes.TotalCount, len(all))
			}
			e.checkCircle(t)
			if !v.Post.Likes.PageInfo.HasNextPage || v.Post.Likes.PageInfo.EndCursor == nil {
				break
			}
			after = *v.Post.Likes.PageInfo.EndCursor
		}
		dblCompare(t, "likes", dblRaw(got), all)
	})
	t.Run("empty search", func(t *testing.T) {
		r := e.run(t, dblAlice, `{ members(search: "", first: 100) { totalCount nodes { id } } }`, nil)
		dblMustOK(t, r)
		var want any
		e.d.locked(func() {
			want = dblObj("members", dblObj("totalCount", len(e.d.members), "nodes", dblMap(e.d.members, 100, func(m *dblMember) any { return dblObj("id", dblID(m.ID)) })))
		})
		dblCompare(t, "members", r.Data, want)
		e.checkCircle(t)
	})
	t.Run("empty space", func(t *testing.T) {
		r := e.run(t, dblBob, `{ space(slug: "empty-bed") { id isMember posts(first: 5) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor } nodes { id } } } }`, nil)
		dblMustOK(t, r)
		dblCompare(t, "empty space", r.Data, dblObj("space", dblObj("id", dblID(dblEmpty), "isMember", true, "posts", dblObj("totalCount", 0,
			"pageInfo", dblObj("hasNextPage", false, "hasPreviousPage", false, "startCursor", nil, "endCursor", nil), "edges", []any{}, "nodes", []any{}))))
		e.checkCircle(t)
	})
	t.Run("reply parents cost at most one call each", func(t *testing.T) {
		r := e.run(t, dblAlice, `query($s: ID!, $id: ID!) { post(spaceId: $s, id: $id) { comments(first: 10) { nodes { id post { id } replies(first: 3) { nodes { id parent { id } post { id } } } } } } }`,
			dblObj("s", dblID(threaded.SpaceID), "id", dblID(threaded.ID)))
		dblMustOK(t, r)
		var tops, withReplies int
		e.d.locked(func() {
			for _, c := range e.d.topComments(threaded.ID) {
				tops++
				if len(e.d.replies(c.ID)) > 0 {
					withReplies++
				}
			}
		})
		// The post, its comments, each comment's replies, at most one
		// parent fetch per distinct parent; Comment.post reuses the post.
		if budget, n := 2+tops+withReplies, len(e.Upstream.Calls()); n > budget {
			t.Errorf("%d calls, budget %d: %v", n, budget, dblTargets(e.Upstream.Calls()))
		}
		e.checkCircle(t)
	})
}

// Every post's space, full details included, as each member sees it: one
// GET /spaces, and GET /spaces/{id} only for the space it lacks.
func TestDoubleFeedSpaces(t *testing.T) {
	t.Parallel()
	e := newDblEnv(t)
	for _, who := range []int64{dblAlice, dblBob, dblZed} {
		t.Run(dblID(who), func(t *testing.T) {
			r := e.run(t, who, `{ homeFeed(first: 100) { nodes { id space { `+dblSpaceF+` } } } }`, nil)
			dblMustOK(t, r)
			var want any
			e.d.locked(func() {
				want = dblObj("homeFeed", dblObj("nodes", dblMap(e.d.feed(who, "latest"), 100, func(p *dblPost) any {
					return dblObj("id", dblID(p.ID), "space", e.d.wantSpace(e.d.space(p.SpaceID), who))
				})))
			})
			dblCompare(t, "feed spaces", r.Data, want)
			got := dblTargets(e.Upstream.Calls())
			slices.Sort(got)
			wantCalls := []string{"GET /home?page=1&per_page=100", "GET /spaces", "GET /spaces/4000005"}
			if !slices.Equal(got, wantCalls) {
				t.Errorf("calls %v, want %v", got, wantCalls)
			}
			e.checkCircle(t)
		})
	}
}

func TestDoubleCommentMutations(t *testing.T) {
	t.Parallel()
	t.Run("replyToComment", func(t *testing.T) {
		t.Parallel()
		e := newDblEnv(t)
		r := e.run(t, dblZed, `mutation { replyToComment(postId: "55000001", commentId: "8800001", body: "Agreed & thanks") {
			comment { id bodyText author { id name } parent { id } post { id } } userErrors { field message } } }`, nil)
		var top *dblComment
		var want any
		e.d.locked(func() {
			top = e.d.comment(dblComment0 + 1)
			c := e.d.comments[len(e.d.comments)-1]
			want = dblObj("replyToComment", dblObj("comment", dblObj("id", dblID(c.ID), "bodyText", "Agreed & thanks",
				"author", dblObj("id", dblID(dblZed), "name", e.d.member(dblZed).Name), "parent", dblObj("id", dblID(top.ID)), "post", dblObj("id", dblID(top.PostID))),
				"userErrors", []any{}))
		})
		if top.PostID != dblPost0+1 {
			t.Fatalf("comment 8800001 is on post %d; fix the test", top.PostID)
		}
		dblMustOK(t, r)
		dblCompare(t, "replyToComment", r.Data, want)
		var sent []string
		e.d.locked(func() { sent = slices.Clone(e.d.bodies) })
		if len(sent) != 1 {
			t.Fatalf("Circle received %d bodies, want 1", len(sent))
		}
		dblCompare(t, "request body", json.RawMessage(sent[0]), dblObj("comment", dblObj("body", "Agreed & thanks")))
		if n := dblCount(e.Upstream.Calls(), "POST", "/comments/8800001/replies"); n != 1 {
			t.Errorf("%d reply POSTs, want 1: %v", n, dblTargets(e.Upstream.Calls()))
		}
		e.checkCircle(t)
	})
	t.Run("replyToComment 422", func(t *testing.T) {
		t.Parallel()
		e := newDblEnv(t)
		r := e.run(t, dblBob, `mutation { replyToComment(postId: "55000001", commentId: "8800001", body: "too long") { comment { id } userErrors { field message } } }`, nil)
		dblMustOK(t, r)
		dblCompare(t, "reply 422", r.Data, dblObj("replyToComment", dblObj("comment", nil, "userErrors", []any{dblObj("field", []any{"body"}, "message", "Failed to create reply!")})))
		e.checkCircle(t)
	})
	t.Run("likeComment re-reads", func(t *testing.T) {
		t.Parallel()
		e := newDblEnv(t)
		var c *dblComment
		var before int
		e.d.locked(func() {
			for _, cand := range e.d.comments {
				if !cand.Likes[dblFern] && len(cand.Likes) > 0 && e.d.visible(e.d.post(cand.PostID), dblFern) {
					c = cand
					break
				}
			}
			before = len(c.Likes)
		})
		r := e.run(t, dblFern, `mutation($p: ID!, $c: ID!) { likeComment(postId: $p, commentId: $c) { comment { id isLiked likesCount author { id } } userErrors { message } } }`,
			dblObj("p", dblID(c.PostID), "c", dblID(c.ID)))
		dblMustOK(t, r)
		dblCompare(t, "likeComment", r.Data, dblObj("likeComment", dblObj("comment", dblObj("id", dblID(c.ID), "isLiked", true, "likesCount", before+1, "author", dblObj("id", dblID(c.AuthorID))), "userErrors", []any{})))
		calls := dblTargets(e.Upstream.Calls())
		if len(calls) != 2 || calls[0] != fmt.Sprintf("POST /comments/%d/user_likes", c.ID) || calls[1] != fmt.Sprintf("GET /posts/%d/comments/%d", c.PostID, c.ID) {
			t.Errorf("calls %v, want the like then one re-read", calls)
		}
		e.checkCircle(t)
	})
}

// With upstream latency that differs from call to call, as any real
// upstream's does, the loaders still batch: one post_ids call per space per
// operation (docs/contract.md §6.3), at most 32 calls in flight, and the
// comments' posts need no call per comment. Post batches are counted, not
// timed (loaders.PostLoader), so every run must batch the same way.
func TestDoubleBatchingUnderJitter(t *testing.T) {
	t.Parallel()
	d := newDblCircle()
	d.jitter = func(r *http.Request) time.Duration {
		h := 0
		for _, b := range []byte(r.URL.Path) {
			h = h*31 + int(b)
		}
		return time.Duration(5+(h&0x7fffffff)%60) * time.Millisecond
	}
	env := testenv.New(t, testenv.Options{Upstream: d})
	e := &dblEnv{Env: env, d: d}
	t.Cleanup(func() {
		for _, v := range d.takeViolations() {
			t.Errorf("Circle API contract violated by the gateway: %s", v)
		}
	})
	queries := map[string]struct {
		query string
		// primed: every post asked for came in the feed already, so none
		// costs a call.
		primed bool
	}{
		"comment posts": {`{ homeFeed(first: 20) { nodes { id comments(first: 3) { nodes { id post { id title } } } } } }`, true},
		"member comment posts": {`{ a: member(id: "901313") { comments(first: 10) { nodes { post { id } } } } b: member(id: "904040") { comments(first: 10) { nodes { post { id } } } }
			c: member(id: "917171") { comments(first: 10) { nodes { post { id } } } } }`, false},
	}
	for name, q := range queries {
		for run := 0; run < 6; run++ {
			t.Run(fmt.Sprintf("%s/%d", name, run), func(t *testing.T) {
				r := e.run(t, dblAlice, q.query, nil)
				dblMustOK(t, r)
				perSpace := map[string][]string{}
				for _, c := range e.Upstream.Calls() {
					if strings.Contains(c.Query, "post_ids=") {
						perSpace[c.Path] = append(perSpace[c.Path], c.Target())
					}
				}
				if q.primed != (len(perSpace) == 0) {
					t.Fatalf("post_ids calls %v; want them only for posts the operation did not have", perSpace)
				}
				for path, batch := range perSpace {
					if len(batch) > 1 {
						t.Errorf("%d post_ids calls for %s, want one:\n  %s", len(batch), path, strings.Join(batch, "\n  "))
					}
				}
				if m := e.Upstream.MaxInFlight(); m > loaders.DefaultMaxInFlight {
					t.Errorf("%d calls in flight at once, at most %d per operation", m, loaders.DefaultMaxInFlight)
				}
				e.checkCircle(t)
			})
		}
	}
}

// Memberships and RSVPs are the member's own: a write by one member changes
// what that member sees, not what another does.
func TestDoubleMembershipAndRsvpMutations(t *testing.T) {
	t.Parallel()
	t.Run("joinSpace", func(t *testing.T) {
		t.Parallel()
		e := newDblEnv(t)
		r := e.run(t, dblBob, `mutation { joinSpace(id: "4000002") { space { `+dblSpaceF+` } userErrors { message } } }`, nil)
		dblMustOK(t, r)
		var want any
		e.d.locked(func() {
			want = dblObj("joinSpace", dblObj("space", e.d.wantSpace(e.d.space(dblGallery), dblBob), "userErrors", []any{}))
		})
		dblCompare(t, "joinSpace", r.Data, want)
		dblCompare(t, "isMember", r.Data, dblObj("joinSpace", dblObj("space", dblObj("isMember", true, "id", "4000002", "name", "Gallery of Blooms",
			"slug", "gallery-of-blooms", "emoji", nil, "url", dblSite+"/c/gallery-of-blooms", "isPrivate", false), "userErrors", []any{})))
		for who, member := range map[int64]bool{dblBob: true, dblChidi: false} {
			r = e.run(t, who, `{ space(id: "4000002") { isMember } }`, nil)
			dblMustOK(t, r)
			dblCompare(t, fmt.Sprintf("as %d", who), r.Data, dblObj("space", dblObj("isMember", member)))
		}
		e.checkCircle(t)
	})
	t.Run("leaveSpace", func(t *testing.T) {
		t.Parallel()
		e := newDblEnv(t)
		r := e.run(t, dblAlice, `mutation { leaveSpace(id: "4000001") { space { id isMember } userErrors { message } } }`, nil)
		dblMustOK(t, r)
		dblCompare(t, "leaveSpace", r.Data, dblObj("leaveSpace", dblObj("space", dblObj("id", "4000001", "isMember", false), "userErrors", []any{})))
		e.checkCircle(t)
	})
	t.Run("joinSpace forbidden", func(t *testing.T) {
		t.Parallel()
		e := newDblEnv(t)
		r := e.run(t, dblBob, `mutation { joinSpace(id: "4000004") { space { id } userErrors { message } } }`, nil)
		dblMustError(t, r, "FORBIDDEN", "joinSpace")
		if n := dblCount(e.Upstream.Calls(), "POST", "/spaces/4000004/join"); n != 1 {
			t.Errorf("%d join calls, want 1", n)
		}
		e.checkCircle(t)
	})
	t.Run("cancelRsvp", func(t *testing.T) {
		t.Parallel()
		e := newDblEnv(t)
		var before int
		e.d.locked(func() { before = e.d.post(dblPost0 + 27).Event.yesCount() })
		r := e.run(t, dblBob, `mutation { cancelRsvp(spaceId: "4000003", eventId: "55000027") { post { id event { rsvpStatus rsvpCount } } userErrors { message } } }`, nil)
		dblMustOK(t, r)
		dblCompare(t, "cancelRsvp", r.Data, dblObj("cancelRsvp", dblObj("post", dblObj("id", "55000027", "event", dblObj("rsvpStatus", "NO", "rsvpCount", before-1)), "userErrors", []any{})))
		r = e.run(t, dblGus, `{ post(spaceId: "4000003", id: "55000027") { event { rsvpStatus rsvpCount } } }`, nil)
		dblMustOK(t, r)
		dblCompare(t, "as Gus", r.Data, dblObj("post", dblObj("event", dblObj("rsvpStatus", "YES", "rsvpCount", before-1))))
		e.checkCircle(t)
	})
}

// Events one at a time, both ways: every event once, in order.
func TestDoubleEventsWalk(t *testing.T) {
	t.Parallel()
	e := newDblEnv(t)
	for _, past := range []bool{false, true} {
		t.Run(fmt.Sprintf("past=%v", past), func(t *testing.T) {
			var all []any
			e.d.locked(func() {
				for _, p := range e.d.events(dblHana, past) {
					all = append(all, dblID(p.ID))
				}
			})
			var got []string
			var after any
			for i := 0; i < 10; i++ {
				r := e.run(t, dblHana, `query($past: Boolean, $after: String) { events(first: 1, after: $after, pastEvents: $past) {
					totalCount pageInfo { hasNextPage hasPreviousPage endCursor } nodes { id } } }`, dblObj("past", past, "after", after))
				dblMustOK(t, r)
				var v struct {
					Events struct {
						TotalCount int
						PageInfo   struct {
							HasNextPage, HasPreviousPage bool
							EndCursor                    *string
						}
						Nodes []struct{ ID string }
					}
				}
				r.Decode(t, &v)
				for _, n := range v.Events.Nodes {
					got = append(got, n.ID)
				}
				if v.Events.TotalCount != len(all) || v.Events.PageInfo.HasPreviousPage != (i > 0) {
					t.Errorf("page %d: totalCount %d, pageInfo %+v; want %d events", i, v.Events.TotalCount, v.Events.PageInfo, len(all))
				}
				if len(e.Upstream.Calls()) != 1 {
					t.Errorf("page %d cost %v", i, dblTargets(e.Upstream.Calls()))
				}
				e.checkCircle(t)
				if !v.Events.PageInfo.HasNextPage || v.Events.PageInfo.EndCursor == nil {
					break
				}
				after = *v.Events.PageInfo.EndCursor
			}
			dblCompare(t, "events", dblRaw(got), all)
		})
	}
}
