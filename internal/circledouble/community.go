package circledouble

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The double's community.
const (
	Alice int64 = 900_001
	Bob   int64 = 900_002
	Chidi int64 = 901_313
	Dana  int64 = 904_040
	Emile int64 = 917_171
	Fern  int64 = 923_456
	Gus   int64 = 988_001
	Hana  int64 = 999_999
	// Zed's ids lie beyond 2^53: they survive only as integers, never
	// as floating-point numbers.
	Zed     int64 = 9_007_199_254_740_993
	ZedUser int64 = 9_007_199_254_740_995

	Shed    int64 = 4_000_001 // basic, public
	Gallery int64 = 4_000_002 // image posts
	Meetups int64 = 4_000_003 // event posts
	Inner   int64 = 4_000_004 // private: Alice and Gus only
	Archive int64 = 4_000_005 // public, but not in GET /spaces
	Empty   int64 = 4_000_006 // public, no posts

	Post0     int64 = 55_000_000 // post k is Post0 + k, k = 1..36
	Comment0  int64 = 8_800_000
	Attendee0 int64 = 66_000_000

	Site = "https://greenhouse.circle.test"
)

// Base is the double's clock: every record is dated from it.
var Base = time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)

// Member is a community member of the double.
type Member struct {
	ID, UserID                 int64
	Name, Headline, Bio, Email string
	Avatar                     *string
	Admin, Moderator           bool
	// NullRolesInComments makes the author objects embedded in this
	// member's comments carry "roles": null (the schema allows it).
	NullRolesInComments bool
}

// Space is a space of the double; Members are the members who joined it.
type Space struct {
	ID               int64
	Name, Slug, Kind string
	Emoji            *string
	Private          bool
	Unlisted         bool // absent from GET /spaces, served by GET /spaces/{id}
	Members          map[int64]bool
}

// VisibleTo reports whether viewer may see the space and its posts.
func (s *Space) VisibleTo(viewer int64) bool { return !s.Private || s.Members[viewer] }

// Attendee is a member's RSVP to an event post.
type Attendee struct {
	ID, MemberID int64
	Status       string
	At           time.Time
}

// Event is the event part of an event post.
type Event struct {
	Starts, Ends time.Time
	LocationType string
	InPerson     *string
	Virtual      string
	Limit        *int
	Attendees    []*Attendee
	// Dates are the dates of a recurring event's series; nil for a
	// single event.
	Dates []*Date
}

// YesCount is the number of attendees who answered yes.
func (e *Event) YesCount() int {
	n := 0
	for _, a := range e.Attendees {
		if a.Status == "yes" {
			n++
		}
	}
	return n
}

// Post is a post of the double, of any kind (basic, image, event).
type Post struct {
	ID, SpaceID, AuthorID     int64
	Kind                      string // basic, image, event
	Name                      *string
	DisplayTitle, Slug, Plain string
	HTML                      *string         // nil: "body": null
	Tiptap                    json.RawMessage // nil: "tiptap_body": null
	Pinned, LikingOff, Closed bool
	Likes                     map[int64]bool
	Created, Updated          time.Time
	Event                     *Event
}

// Comment is a comment, or a reply when ParentID is set.
type Comment struct {
	ID, PostID, AuthorID, ParentID int64
	HTML, Text                     string
	Tiptap                         json.RawMessage
	Likes                          map[int64]bool
	Created, Updated               time.Time
	// Bare: the replies endpoint sends this reply without "author", like
	// the OpenAPI example of GET /comments/{id}/replies.
	Bare bool
}

// Circle is the strict Circle Member API double.
type Circle struct {
	mu         sync.Mutex
	Members    []*Member
	Spaces     []*Space
	Posts      []*Post
	Comments   []*Comment
	violations []string
	Bodies     []string // request bodies of comment writes
	Searches   []string // search_text values received
	// content holds topics, bookmarks, followings and galleries (content.go).
	content content
	// Jitter, when set, delays each call (before it is served) by a
	// latency of its own.
	Jitter func(r *http.Request) time.Duration
}

// New returns the double with its seeded community. Serve it with ServeHTTP.
func New() *Circle {
	d := &Circle{content: newContent()}
	str := func(v string) *string { return &v }
	limit := func(n int) *int { return &n }
	set := func(ids ...int64) map[int64]bool {
		m := map[int64]bool{}
		for _, id := range ids {
			m[id] = true
		}
		return m
	}
	d.Members = []*Member{
		{ID: Alice, UserID: 7_000_501, Name: "Alice Quartermaine", Headline: "Head Gardener", Bio: "Grows rare ferns on a north-facing balcony.", Email: "alice@greenhouse.test", Avatar: str(Site + "/avatars/alice.png"), Admin: true},
		{ID: Bob, UserID: 7_000_502, Name: "Bob Nakamura", Headline: "Seed Librarian", Bio: "Keeps the seed bank in order.", Email: "bob@greenhouse.test", Moderator: true},
		{ID: Chidi, UserID: 7_003_131, Name: "Chidi Okafor", Headline: "Compost Whisperer", Bio: "Worms are friends.", Email: "chidi@greenhouse.test", Avatar: str(Site + "/avatars/chidi.png")},
		{ID: Dana, UserID: 7_004_040, Name: "Dana Whitfield", Headline: "Greenhouse Manager", Bio: "Runs the heating schedule.", Email: "dana@greenhouse.test", Avatar: str(Site + "/avatars/dana.png"), Admin: true, Moderator: true},
		{ID: Emile, UserID: 7_017_171, Name: "Émile Zola-Brontë", Headline: "Botanical Illustrator", Bio: "Draws what grows.", Email: "emile@greenhouse.test", Avatar: str(Site + "/avatars/emile.png")},
		{ID: Fern, UserID: 7_023_456, Name: "Fern O'Hara", Headline: "Weekend Weeder", Bio: "Mostly pulls dandelions.", Email: "fern@greenhouse.test"},
		{ID: Gus, UserID: 7_088_001, Name: "Gus Lindqvist", Headline: "Orchid Hoarder", Bio: "Has 212 orchids and counting.", Email: "gus@greenhouse.test", Avatar: str(Site + "/avatars/gus.png")},
		{ID: Hana, UserID: 7_099_999, Name: "Hana Sato", Headline: "Events Coordinator", Bio: "Plans the seed swaps.", Email: "hana@greenhouse.test", Avatar: str(Site + "/avatars/hana.png"), Admin: true, NullRolesInComments: true},
		{ID: Zed, UserID: ZedUser, Name: "Zed Łukasiewicz <script>", Headline: "Tall \"Sunflower\" Grower\nand poet", Bio: "Ids too big for a float.", Email: "zed@greenhouse.test", Avatar: str(Site + "/avatars/zed.png?size=300&set=1")},
	}
	d.Spaces = []*Space{
		{ID: Shed, Name: "Potting Shed", Slug: "potting-shed", Kind: "basic", Emoji: str("🪴"), Members: set(Alice, Bob, Chidi, Dana, Emile, Fern, Hana, Zed)},
		{ID: Gallery, Name: "Gallery of Blooms", Slug: "gallery-of-blooms", Kind: "image", Members: set(Alice, Dana, Emile)},
		{ID: Meetups, Name: "Meetups & Swaps", Slug: "meetups", Kind: "event", Emoji: str("📅"), Members: set(Bob, Chidi, Hana)},
		{ID: Inner, Name: "Inner Circle", Slug: "inner-circle", Kind: "basic", Emoji: str("🔒"), Private: true, Members: set(Alice, Gus)},
		{ID: Archive, Name: "Archive", Slug: "archive", Kind: "basic", Unlisted: true, Members: set(Alice)},
		{ID: Empty, Name: "Empty Bed", Slug: "empty-bed", Kind: "basic", Members: set(Bob)},
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
	events := map[int]*Event{
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
		26: {{Alice, "yes"}, {Bob, "maybe"}, {Chidi, "no"}, {Dana, "yes"}, {Hana, "invited"}, {Zed, "yes"}},
		27: {{Bob, "yes"}, {Gus, "yes"}, {Fern, "yes"}},
		28: {{Alice, "invited"}, {Bob, "yes"}},
		29: {{Alice, "yes"}, {Bob, "yes"}, {Emile, "maybe"}},
	}
	attendee := Attendee0
	for k, e := range events {
		e.Ends = e.Starts.Add(2 * time.Hour)
		for i, r := range rsvps[k] {
			attendee++
			e.Attendees = append(e.Attendees, &Attendee{ID: attendee + int64(k*100), MemberID: r.member, Status: r.status, At: Base.Add(time.Duration(k*24+i*5) * time.Hour)})
		}
	}
	// The Plot 7 work party repeats weekly, five times; its third date
	// takes two and is full.
	for k := range 5 {
		starts := events[27].Starts.AddDate(0, 0, 7*k)
		dt := &Date{ID: Date0 + int64(k+1), Starts: starts, Ends: starts.Add(3 * time.Hour), Going: map[int64]bool{}}
		switch k {
		case 0:
			dt.Going[Bob], dt.Going[Hana] = true, true
		case 2:
			dt.Limit, dt.Going[Gus], dt.Going[Fern] = limit(2), true, true
		}
		events[27].Dates = append(events[27].Dates, dt)
	}
	rotation := []int64{Alice, Bob, Chidi, Dana, Emile, Fern, Zed}
	for k := 1; k <= 36; k++ {
		p := &Post{ID: Post0 + int64(k), Likes: map[int64]bool{}}
		// Creation order differs from id order; update order from both.
		p.Created = Base.Add(time.Duration((k*7)%37)*time.Hour + time.Duration(k*11)*time.Millisecond)
		p.Updated = p.Created.Add(time.Duration((k*5)%11)*24*time.Hour + 7*time.Minute)
		title := others[k]
		switch {
		case k <= 20:
			p.SpaceID, p.Kind, p.AuthorID, title = Shed, "basic", rotation[(k-1)%len(rotation)], basicTitles[k-1]
		case k <= 25:
			p.SpaceID, p.Kind, p.AuthorID = Gallery, "image", []int64{Dana, Emile}[k%2]
		case k <= 30:
			p.SpaceID, p.Kind, p.AuthorID, p.Event = Meetups, "event", []int64{Bob, Chidi, Hana}[k%3], events[k]
		case k <= 33:
			p.SpaceID, p.Kind, p.AuthorID = Inner, "basic", []int64{Alice, Gus}[k%2]
		default:
			p.SpaceID, p.Kind, p.AuthorID = Archive, "basic", []int64{Fern, Chidi}[k%2]
		}
		p.DisplayTitle = title
		p.Slug = slug(title) + "-" + strconv.Itoa(k)
		text := fmt.Sprintf("%s, notes from the greenhouse <entry %d> & more.", title, k)
		switch {
		case p.Kind == "image":
			// As the OpenAPI example's image post: no name, no body.
		case k%3 == 0:
			name, markup := title, "<p>"+html.EscapeString(text)+"</p>"
			p.Name, p.HTML, p.Tiptap, p.Plain = &name, &markup, tiptap(text), text
		default:
			name, markup := title, "<div><!--block-->"+html.EscapeString(text)+"</div>"
			p.Name, p.HTML, p.Plain = &name, &markup, text
		}
		p.Pinned, p.LikingOff, p.Closed = k == 3, k == 19, k == 20
		for i, m := range d.Members {
			if (k*(i+2)+i)%7 < 3 {
				p.Likes[m.ID] = true
			}
		}
		d.Posts = append(d.Posts, p)
	}

	authors := []int64{Chidi, Dana, Hana, Alice, Emile, Bob, Fern, Zed}
	ci := 0
	for _, p := range d.Posts {
		k := int(p.ID - Post0)
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
	quiet := d.Post(Post0 + 12)
	top := d.seedComment(quiet, Dana, 0, quiet.Created.Add(time.Hour))
	d.seedComment(quiet, Fern, top.ID, quiet.Created.Add(2*time.Hour)).Bare = true
	return d
}

var commentTexts = []string{
	"Try neem oil <not too much> & rinse after",
	"¿Qué tal con el riego?",
	"Worked for me 👍",
	"Don't overwater; seriously.",
	`"Heirloom" is a vibe`,
	"Line one\nline two",
	"Same here",
}

func (d *Circle) seedComment(p *Post, author, parent int64, at time.Time) *Comment {
	id := Comment0 + int64(len(d.Comments)+1)
	text := fmt.Sprintf("%s (#%d)", commentTexts[len(d.Comments)%len(commentTexts)], id-Comment0)
	c := &Comment{ID: id, PostID: p.ID, AuthorID: author, ParentID: parent, Text: text, HTML: "<p>" + html.EscapeString(text) + "</p>",
		Likes: map[int64]bool{}, Created: at, Updated: at.Add(time.Duration(id%5) * time.Minute)}
	if id%5 == 0 {
		c.Tiptap = tiptap(text)
	}
	for i, m := range d.Members {
		if (int(id)+i)%4 == 0 {
			c.Likes[m.ID] = true
		}
	}
	d.Comments = append(d.Comments, c)
	return c
}

func slug(s string) string {
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

// tiptap is Circle's tiptap_body envelope around one paragraph.
func tiptap(text string) json.RawMessage {
	raw, _ := json.Marshal(map[string]any{
		"body": map[string]any{"type": "doc", "content": []any{
			map[string]any{"type": "paragraph", "content": []any{map[string]any{"type": "text", "text": text, "circle_ios_fallback_text": text}}},
		}},
		"circle_ios_fallback_text": text, "attachments": []any{}, "inline_attachments": []any{}, "sgids_to_object_map": map[string]any{},
		"format": "post", "community_members": []any{}, "entities": []any{}, "group_mentions": []any{}, "polls": []any{},
	})
	return raw
}

// TS formats t as Circle writes timestamps (milliseconds, UTC).
func TS(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// ID formats an id as GraphQL IDs are written.
func ID(id int64) string { return strconv.FormatInt(id, 10) }
