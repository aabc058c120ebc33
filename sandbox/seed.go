package sandbox

import (
	"cmp"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// The demo community. Everything is drawn from one fixed-seed generator, so
// every start holds the same members, spaces, posts, comments, likes and
// RSVPs with the same ids; only the dates move with the clock. They are set
// relative to the start time rounded down to the hour, so that the data is
// the same whatever the minute of the start, and so that some events are
// always upcoming and some past.
//
// Each kind of id has its own range, so that mixing two kinds up (above all
// a user id for a member id) shows at once.
const (
	firstMemberID      = 101   // community member ids: 101…136
	firstUserID        = 5001  // user ids, in embedded authors' "id": 5001…5036
	firstPostID        = 1001  // posts
	firstCommentID     = 20001 // comments and replies
	firstAttendeeID    = 40001 // event RSVPs
	firstSpaceMemberID = 60001 // space memberships (space_member_id)
	firstOccurrenceID  = 45001 // dates of recurring events
	firstSpaceTopicID  = 78001 // space topics (course topics are 77001…)
	firstBookmarkID    = 80001 // members' bookmarks
	firstFollowerID    = 90001 // post followers (post_follower_id)
	firstGalleryID     = 300001
	firstImageID       = 310001 // images of galleries

	seedMembers = 36
)

// Space ids of the demo community.
const (
	spaceAnnouncements = 11
	spaceGeneral       = 12
	spaceIntroductions = 13
	spaceEvents        = 14 // the event space
	spaceShowAndTell   = 15 // public; the demo member is not in it
	spaceLounge        = 16 // private; the demo member is in it
	spaceStaff         = 17 // private; the demo member is not in it
	// spaceImages (19, image posts) is seeded in seed_content.go.
)

// seeder builds the demo community into a store. It runs before the store
// is shared, so it may read the store's records without locking.
type seeder struct {
	st  *store
	r   *rand.Rand
	now time.Time // the start time rounded down to the hour: "now" for the data

	demo        int64
	memberIDs   []int64
	admins      []int64           // admins and moderators
	spaceMember map[int64][]int64 // space id → member ids, in join order
}

// seed fills st with the demo community dated relative to now (rounded down
// to the hour) and returns the demo member's id.
func seed(st *store, now time.Time) int64 {
	sd := &seeder{
		st:          st,
		r:           rand.New(rand.NewPCG(0x5eed, 0xc1c1e)),
		now:         now.UTC().Truncate(time.Hour),
		spaceMember: map[int64][]int64{},
	}
	sd.members()
	sd.seedProfiles()
	sd.spaces()
	posts := sd.posts()
	sd.comments(posts)
	sd.likes(posts)
	sd.rsvps(posts)
	sd.courses()
	sd.content(posts)
	return sd.demo
}

var (
	firstNames = []string{"Ava", "Liam", "Maya", "Noah", "Priya", "Mateo", "Zoe", "Ethan", "Amara", "Lucas", "Hana", "Omar", "Isla", "Diego", "Chloe", "Kenji", "Nora", "Felix", "Leila", "Samuel", "Ines", "Tariq", "Freya", "Jonas", "Mei", "Rafael", "Sofia", "Arjun", "Elena", "Kwame", "Yuki", "Marco", "Aisha", "Henrik", "Lucia", "Tomas"}
	lastNames  = []string{"Okafor", "Lindqvist", "Tanaka", "Moreau", "Castillo", "Nguyen", "Schmidt", "Patel", "Kowalski", "Haddad", "O'Brien", "Rossi", "Fernandes", "Kim", "Novak", "Mensah", "Alvarez", "Fischer", "Sato", "Dubois", "Kaur", "Jensen", "Costa", "Ivanova", "Murphy", "Bianchi", "Yilmaz", "Andersson", "Silva", "Park", "Abadi", "Walsh", "Ortega", "Hughes", "Varga", "Reyes"}
	headlines  = []string{"Product Designer", "Frontend Engineer at Northwind", "Community Manager", "Indie hacker", "Data Scientist", "Founder, Tiny Studio", "Developer Advocate", "UX Researcher", "Backend Engineer", "Marketing Lead", "Freelance Illustrator", "Engineering Manager", "Mobile Developer", "Content Strategist", "CTO at Brightside", "Computer science student", "Growth Marketer", "Technical Writer", "Open source maintainer", "Podcast host"}
	bioParts   = []string{
		"Building things for the web since the dial-up days.",
		"Currently learning Rust, slowly.",
		"I run a small newsletter about calm productivity.",
		"Coffee first, then code.",
		"Into bouldering, film photography and bad puns.",
		"Previously at two startups, one of which still exists.",
		"Happy to review your portfolio or landing page.",
		"Ask me about accessibility.",
		"Parent of two, owner of one very loud cat.",
		"Trying to write more and tweet less.",
	}
	sentences = []string{
		"I've been thinking about this for a while and wanted to hear how others approach it.",
		"Here's what worked for me after a lot of trial and error.",
		"The short version: start small, ship often, and write things down.",
		"Curious whether anyone else has run into the same problem.",
		"I put together a few notes below; corrections welcome.",
		"Last month we tried a new approach and the results surprised us.",
		"The biggest lesson was that the boring solution is usually the right one.",
		"If you have a favourite resource on this, please share it.",
		"We'll keep this thread open for the rest of the week.",
		"Thanks to everyone who chimed in on the last thread about this.",
		"It took three attempts, but the third one finally stuck.",
		"I'd love feedback, especially the critical kind.",
	}
	commentTexts = []string{
		"Love this, thanks for sharing!",
		"Great question. I block out two hours every morning with notifications off.",
		"This is super helpful, bookmarking it.",
		"I had the exact same experience last year.",
		"Have you tried writing the docs first? It changed how I plan.",
		"Congrats, that's a big milestone! 🎉",
		"Counterpoint: sometimes shipping less is the win.",
		"Following, I'm curious about this too.",
		"We did something similar and it worked well for a team of five.",
		"Could you share the template you used?",
		"Agreed with all of this, especially the last point.",
		"Happy to pair on it if you want another pair of eyes.",
	}
	replyTexts = []string{
		"Thanks, that's a great tip!",
		"Same here, glad it's not just me.",
		"Sure, I'll post it later today.",
		"Good point, I hadn't thought of that.",
		"Ha, exactly.",
		"Let's chat about it at the next meetup.",
	}
)

// add records a member and keeps its id for the rest of the seed.
func (sd *seeder) add(m member) int64 {
	id := sd.st.addMember(m)
	sd.memberIDs = append(sd.memberIDs, id)
	return id
}

func (sd *seeder) members() {
	sd.demo = sd.add(member{
		name:      "Demo Member",
		email:     "demo@example.com",
		ssoUserID: "demo-user",
		headline:  "Exploring the Circle sandbox",
		bio:       "The member whose token the sandbox prints at start. Belongs to every space except Show and Tell and the Staff Room.",
		avatarURL: gravatar("demo@example.com"),
		publicUID: "demo0001",
		createdAt: sd.now.AddDate(0, 0, -400),
	})
	firsts := slices.Clone(firstNames)
	lasts := slices.Clone(lastNames)
	sd.r.Shuffle(len(firsts), func(i, j int) { firsts[i], firsts[j] = firsts[j], firsts[i] })
	sd.r.Shuffle(len(lasts), func(i, j int) { lasts[i], lasts[j] = lasts[j], lasts[i] })
	for k := 1; k < seedMembers; k++ {
		first, last := firsts[k], lasts[k]
		email := emailLocal(first) + "." + emailLocal(last) + "@example.com"
		m := member{
			name:      first + " " + last,
			email:     email,
			headline:  headlines[sd.r.IntN(len(headlines))],
			bio:       bioParts[sd.r.IntN(len(bioParts))] + " " + bioParts[sd.r.IntN(len(bioParts))],
			publicUID: fmt.Sprintf("%08x", sd.r.Uint32()),
			createdAt: sd.now.AddDate(0, 0, -400+k*9),
			admin:     k <= 2,
			moderator: k == 3 || k == 4,
		}
		if k%5 != 4 {
			m.ssoUserID = fmt.Sprintf("sso-%d", firstMemberID+k)
		}
		if k%4 != 3 {
			m.avatarURL = gravatar(email)
		}
		if k%9 == 8 {
			m.headline = ""
		}
		id := sd.add(m)
		if m.admin || m.moderator {
			sd.admins = append(sd.admins, id)
		}
	}
}

// gravatar is an avatar URL that renders (an identicon) for any address.
func gravatar(email string) *string {
	sum := md5.Sum([]byte(strings.ToLower(email)))
	u := "https://www.gravatar.com/avatar/" + hex.EncodeToString(sum[:]) + "?s=300&d=identicon"
	return &u
}

// emailLocal lowercases a name and keeps only ASCII letters.
func emailLocal(name string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' {
			return r
		}
		return -1
	}, strings.ToLower(name))
}

func emoji(s string) *string { return &s }

func (sd *seeder) spaces() {
	type spec struct {
		sp        space
		share     float64 // chance that a member (other than those below) joins
		demoJoins bool
	}
	specs := []spec{
		{space{id: spaceAnnouncements, name: "Announcements", slug: "announcements", emoji: emoji("📣"), spaceType: "basic", groupID: 201, groupName: "Community", adminsPostOnly: true}, 1, true},
		{space{id: spaceGeneral, name: "General", slug: "general", emoji: emoji("💬"), spaceType: "basic", groupID: 201, groupName: "Community"}, 0.85, true},
		{space{id: spaceIntroductions, name: "Introductions", slug: "introductions", emoji: emoji("👋"), spaceType: "basic", groupID: 201, groupName: "Community"}, 0.8, true},
		{space{id: spaceEvents, name: "Events", slug: "events", emoji: emoji("📅"), spaceType: "event", groupID: 201, groupName: "Community"}, 0.7, true},
		{space{id: spaceShowAndTell, name: "Show and Tell", slug: "show-and-tell", emoji: nil, spaceType: "basic", groupID: 202, groupName: "Projects"}, 0.6, false},
		{space{id: spaceLounge, name: "Members Lounge", slug: "members-lounge", emoji: emoji("🛋️"), spaceType: "basic", private: true, groupID: 202, groupName: "Projects"}, 0.45, true},
		{space{id: spaceStaff, name: "Staff Room", slug: "staff-room", emoji: emoji("🔒"), spaceType: "basic", private: true, groupID: 203, groupName: "Team"}, 0.1, false},
	}
	for _, s := range specs {
		sd.st.addSpace(s.sp)
		for _, id := range sd.memberIDs {
			joins := sd.r.Float64() < s.share
			switch {
			case id == sd.demo:
				joins = s.demoJoins
			case s.sp.id == spaceStaff && slices.Contains(sd.admins, id):
				joins = true
			case s.sp.id == spaceLounge && slices.Contains(sd.admins, id):
				joins = true
			}
			if joins {
				sd.st.join(s.sp.id, id)
				sd.spaceMember[s.sp.id] = append(sd.spaceMember[s.sp.id], id)
			}
		}
	}
}

var (
	titlesAnnouncements = []string{"Welcome to the Sandbox Community!", "Community guidelines", "New: the member directory is live", "Monthly community update", "We're looking for volunteer moderators", "Office hours schedule"}
	titlesGeneral       = []string{"What's your favourite productivity tool this year?", "Weekly wins 🎉", "How do you structure your week?", "Tips for staying focused while working remotely", "Book recommendations thread", "Which note-taking app finally stuck for you?", "How do you handle burnout?", "Best podcasts for builders", "Show us your desk setup", "What are you learning this month?", "Async vs. sync communication", "Favourite keyboard shortcuts", "Anyone going to a conference this spring?", "Side projects that paid off", "How do you price freelance work?", "Newsletter recommendations", "Morning routines that actually work", "Tools for journaling", "What does your ideal team ritual look like?", "Remote team icebreakers", "Learning in public: worth it?", "Ask me anything about community building"}
	titlesShowAndTell   = []string{"I built a habit tracker in a weekend", "Launched my first SaaS 🚀", "A tiny CLI for renaming photos", "Redesigned my portfolio", "Open-sourced our design tokens", "My first conference talk (slides inside)", "A GraphQL gateway in Go", "Built a Raspberry Pi weather station", "Shipped dark mode", "A browser extension for focus", "Hand-lettered poster series", "Launching a podcast next week"}
	titlesLounge        = []string{"Members only: salary transparency thread", "Quiet coworking session notes", "Feedback swap: drop your landing page", "Private beta invites", "Members' book club: next pick", "Monthly goals check-in", "Share a win nobody else would get", "Lounge house rules"}
	titlesStaff         = []string{"Moderation queue review", "Community roadmap (draft)", "Spam wave: what we changed", "Event budget planning", "Onboarding checklist for new moderators"}
	titlesEvents        = []string{"Community Town Hall", "Design Critique Night", "Founders Coffee Chat", "Async Writing Workshop", "Open Source Sprint", "Demo Day", "Ask an Engineer: Live Q&A", "Monthly Networking Mixer", "Product Teardown Session", "Year in Review Livestream"}
	// eventDays are the events' start days relative to the seed time: five
	// past, five upcoming.
	eventDays   = []int{-40, -21, -9, -3, -1, 2, 5, 12, 25, 40}
	inPersonAts = []string{"Community Hall, 42 Market Street, Springfield", "The Loft, 7 Harbour Road, Lisbon", "Room 3B, Maker Space, 19 Canal Street, Amsterdam"}
)

// posts creates every post, ids in creation order, and returns their ids.
func (sd *seeder) posts() []int64 {
	var specs []post
	day := 24 * time.Hour
	ago := func(min, max time.Duration) time.Time {
		return sd.now.Add(-(min + time.Duration(sd.r.Int64N(int64(max-min)))))
	}
	author := func(spaceID int64) int64 {
		ms := sd.spaceMember[spaceID]
		return ms[sd.r.IntN(len(ms))]
	}
	for i, t := range titlesAnnouncements {
		p := post{spaceID: spaceAnnouncements, title: t, authorID: sd.admins[i%2], pinned: i < 2, createdAt: ago(30*day, 100*day)}
		if i == 0 {
			p.createdAt = sd.now.Add(-120 * day)
		}
		specs = append(specs, p)
	}
	for i, t := range titlesGeneral {
		p := post{spaceID: spaceGeneral, title: t, authorID: author(spaceGeneral), pinned: i == 1, createdAt: ago(2*time.Hour, 90*day)}
		if i == 0 || i == 9 {
			p.authorID = sd.demo
		}
		specs = append(specs, p)
	}
	intros := sd.spaceMember[spaceIntroductions]
	for i := range 14 {
		id := intros[i%len(intros)]
		m, _ := sd.st.memberByID(id)
		specs = append(specs, post{spaceID: spaceIntroductions, title: "Hi, I'm " + strings.Fields(m.name)[0] + "!", authorID: id, createdAt: ago(day, 110*day)})
	}
	for _, t := range titlesShowAndTell {
		specs = append(specs, post{spaceID: spaceShowAndTell, title: t, authorID: author(spaceShowAndTell), createdAt: ago(3*time.Hour, 80*day)})
	}
	for i, t := range titlesLounge {
		p := post{spaceID: spaceLounge, title: t, authorID: author(spaceLounge), createdAt: ago(5*time.Hour, 70*day)}
		if i == 2 {
			p.authorID = sd.demo
		}
		specs = append(specs, p)
	}
	for _, t := range titlesStaff {
		specs = append(specs, post{spaceID: spaceStaff, title: t, authorID: sd.admins[sd.r.IntN(len(sd.admins))], createdAt: ago(day, 60*day)})
	}
	for i, t := range titlesEvents {
		start := sd.now.Add(time.Duration(eventDays[i])*day + time.Duration(sd.r.IntN(6))*time.Hour)
		ev := &event{startsAt: start, endsAt: start.Add(time.Duration(60+30*(i%3)) * time.Minute)}
		if i%2 == 0 {
			ev.locationType = "virtual"
			ev.virtualURL = "https://meet.example.com/sandbox-" + slugify(t)
		} else {
			ev.locationType = "in_person"
			at := inPersonAts[i%len(inPersonAts)]
			ev.inPerson = &at
		}
		if i%3 != 0 {
			limit := 25 + 35*(i%2)
			ev.rsvpLimit = &limit
		}
		created := start.Add(-time.Duration(10+sd.r.IntN(20)) * day)
		if !created.Before(sd.now) {
			created = sd.now.Add(-time.Duration(1+sd.r.IntN(48)) * time.Hour)
		}
		specs = append(specs, post{spaceID: spaceEvents, title: t, authorID: sd.admins[i%len(sd.admins)], createdAt: created, event: ev})
	}

	slices.SortStableFunc(specs, func(a, b post) int { return a.createdAt.Compare(b.createdAt) })
	slugs := map[string]int{}
	ids := make([]int64, 0, len(specs))
	for i, p := range specs {
		p.slug = slugify(p.title)
		key := fmt.Sprint(p.spaceID, "/", p.slug)
		if slugs[key]++; slugs[key] > 1 {
			p.slug = fmt.Sprintf("%s-%d", p.slug, slugs[key])
		}
		paragraphs := sd.paragraphs(p)
		p.text = strings.Join(paragraphs, "\n")
		p.html = htmlOf(paragraphs, i%4 == 1)
		if i%2 == 0 {
			p.tiptap = tiptapDoc(paragraphs)
		}
		p.updatedAt = p.createdAt
		if i%5 == 0 {
			p.updatedAt = minTime(p.createdAt.Add(time.Duration(1+sd.r.IntN(72))*time.Hour), sd.now)
		}
		ids = append(ids, sd.st.addPost(p))
	}
	return ids
}

// paragraphs writes a post's text.
func (sd *seeder) paragraphs(p post) []string {
	if p.event != nil {
		return []string{
			"Join us for " + p.title + ". Everyone in the community is welcome.",
			sentences[sd.r.IntN(len(sentences))] + " RSVP so we know how many to expect.",
		}
	}
	if p.spaceID == spaceIntroductions {
		m, _ := sd.st.memberByID(p.authorID)
		intro := "Hello everyone! I'm " + m.name + "."
		if m.headline != "" {
			intro += " By day: " + m.headline + "."
		}
		return []string{intro, m.bio}
	}
	n := 2 + sd.r.IntN(3)
	out := make([]string, n)
	for i := range out {
		out[i] = sentences[sd.r.IntN(len(sentences))]
	}
	return out
}

// htmlOf renders paragraphs as a post body, some with a list, as Circle's
// editors produce them.
func htmlOf(paragraphs []string, withList bool) string {
	var b strings.Builder
	for i, p := range paragraphs {
		if withList && i == len(paragraphs)-1 && i > 0 {
			b.WriteString("<ul><li>" + html.EscapeString(p) + "</li></ul>")
			continue
		}
		if i == 0 {
			b.WriteString("<p><strong>" + html.EscapeString(p) + "</strong></p>")
			continue
		}
		b.WriteString("<p>" + html.EscapeString(p) + "</p>")
	}
	return b.String()
}

// tiptapDoc is a TipTap document of plain paragraphs in the envelope Circle
// uses for tiptap_body.
func tiptapDoc(paragraphs []string) json.RawMessage {
	content := make([]map[string]any, len(paragraphs))
	for i, p := range paragraphs {
		content[i] = map[string]any{"type": "paragraph", "content": []map[string]any{{"type": "text", "text": p}}}
	}
	doc, err := json.Marshal(map[string]any{
		"body":                     map[string]any{"type": "doc", "content": content},
		"circle_ios_fallback_text": strings.Join(paragraphs, "\n"),
		"attachments":              []any{},
		"inline_attachments":       []any{},
		"sgids_to_object_map":      map[string]any{},
		"format":                   "post",
		"community_members":        []any{},
		"entities":                 []any{},
		"group_mentions":           []any{},
		"polls":                    []any{},
	})
	if err != nil {
		panic(err) // static shape of strings: cannot fail
	}
	return doc
}

// slugify turns a title into a URL slug.
func slugify(title string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(title) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// between is a random time in [from, to), or from when the range is empty.
func (sd *seeder) between(from, to time.Time) time.Time {
	if !to.After(from) {
		return from
	}
	return from.Add(time.Duration(sd.r.Int64N(int64(to.Sub(from)))))
}

// comments adds comments and replies by members of each post's space, ids in
// creation order.
func (sd *seeder) comments(posts []int64) {
	type spec struct {
		c      comment
		parent int // index of the parent spec, -1 for top level
	}
	var specs []spec
	for _, id := range posts {
		p := sd.st.posts[id]
		ms := sd.spaceMember[p.spaceID]
		n := sd.r.IntN(7)
		if p.event != nil {
			n = sd.r.IntN(4)
		}
		for range n {
			at := sd.between(p.createdAt.Add(10*time.Minute), sd.now.Add(-2*time.Hour))
			parent := len(specs)
			specs = append(specs, spec{c: sd.commentAt(p.id, 0, ms, commentTexts, at), parent: -1})
			if sd.r.Float64() < 0.4 {
				for range 1 + sd.r.IntN(3) {
					at = sd.between(at.Add(time.Minute), sd.now.Add(-time.Minute))
					specs = append(specs, spec{c: sd.commentAt(p.id, 0, ms, replyTexts, at), parent: parent})
				}
			}
		}
	}
	order := make([]int, len(specs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return specs[a].c.createdAt.Compare(specs[b].c.createdAt) })
	ids := make([]int64, len(specs))
	for _, i := range order {
		c := specs[i].c
		if pi := specs[i].parent; pi >= 0 {
			c.parentID = ids[pi] // parents are older, so already stored
		}
		ids[i] = sd.st.addComment(c)
	}
}

// commentAt drafts a comment on postID by one of ms, written at the given time.
func (sd *seeder) commentAt(postID, parentID int64, ms []int64, texts []string, at time.Time) comment {
	text := texts[sd.r.IntN(len(texts))]
	c := comment{postID: postID, parentID: parentID, authorID: ms[sd.r.IntN(len(ms))], text: text, html: "<p>" + html.EscapeString(text) + "</p>", createdAt: at, updatedAt: at}
	if sd.r.IntN(3) == 0 {
		c.tiptap = tiptapDoc([]string{text})
	}
	return c
}

// sample returns n distinct ids of ids, in a random order.
func (sd *seeder) sample(ids []int64, n int) []int64 {
	n = min(n, len(ids))
	out := make([]int64, 0, n)
	for _, i := range sd.r.Perm(len(ids))[:n] {
		out = append(out, ids[i])
	}
	return out
}

// likes has members of each space like its posts and comments; the demo
// member always likes the welcome post.
func (sd *seeder) likes(posts []int64) {
	for _, id := range posts {
		p := sd.st.posts[id]
		ms := sd.spaceMember[p.spaceID]
		for _, m := range sd.sample(ms, sd.r.IntN(15)) {
			sd.st.likePost(id, m, sd.between(p.createdAt, sd.now))
		}
		for _, cid := range p.comments {
			c := sd.st.comments[cid]
			for _, m := range sd.sample(ms, sd.r.IntN(5)) {
				sd.st.likeComment(cid, m, sd.between(c.createdAt, sd.now))
			}
		}
	}
	sd.st.likePost(posts[0], sd.demo, sd.st.posts[posts[0]].createdAt.Add(time.Hour))
}

// rsvps answers the events: a mix of yes (within the RSVP limit), maybe, no
// and invited. The demo member goes to the soonest upcoming event and the
// latest past one, and is a maybe for the next upcoming one.
func (sd *seeder) rsvps(posts []int64) {
	var events []*post
	for _, id := range posts {
		if p := sd.st.posts[id]; p.event != nil {
			events = append(events, p)
		}
	}
	slices.SortFunc(events, func(a, b *post) int { return cmp.Compare(a.id, b.id) })
	statuses := []string{"yes", "yes", "yes", "yes", "yes", "yes", "yes", "maybe", "no", "invited"}
	for _, p := range events {
		yes := 0
		for _, m := range sd.sample(sd.memberIDs, 3+sd.r.IntN(14)) {
			if m == sd.demo {
				continue
			}
			status := statuses[sd.r.IntN(len(statuses))]
			if status == rsvpYes {
				if p.event.rsvpLimit != nil && yes >= *p.event.rsvpLimit {
					status = "maybe"
				} else {
					yes++
				}
			}
			sd.st.rsvp(p.id, m, status, sd.between(p.createdAt, minTime(p.event.startsAt, sd.now)))
		}
	}
	var upcoming, past []*post
	for _, p := range events {
		if p.event.endsAt.After(sd.now) {
			upcoming = append(upcoming, p)
		} else {
			past = append(past, p)
		}
	}
	slices.SortFunc(upcoming, func(a, b *post) int { return a.event.startsAt.Compare(b.event.startsAt) })
	slices.SortFunc(past, func(a, b *post) int { return b.event.startsAt.Compare(a.event.startsAt) })
	demoRSVP := func(p *post, status string) {
		sd.st.rsvp(p.id, sd.demo, status, sd.between(p.createdAt, minTime(p.event.startsAt, sd.now)))
	}
	demoRSVP(upcoming[0], rsvpYes)
	demoRSVP(upcoming[1], "maybe")
	demoRSVP(past[0], rsvpYes)
}
