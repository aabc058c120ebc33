package sandbox

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"time"
)

// The demo community's notifications and chats, drawn from their own
// fixed-seed generator (so the rest of the seed is unchanged) and dated
// relative to the start rounded down to the hour, like the rest.
//
// The demo member gets notifications of several actions (comments and
// replies on their posts and comments, likes, new posts in their spaces,
// mentions), the older ones read and the newest few counted as new; and
// rooms of both kinds: a long direct conversation (75 messages, several
// pages back), a named group with threads and reactions, shorter direct
// rooms with and without unread messages, an unnamed group whose thread has
// replies the demo member has not read. Two rooms the demo member is not in
// exist too.

// Shape of the seeded notifications.
const (
	seedUnreadNotifications = 6 // the newest six are unread
	seedNewNotifications    = 3 // the newest three arrived since the last reset
)

// seedLive fills s's notification and chat state.
func seedLive(s *Sandbox, now time.Time) {
	now = now.UTC().Truncate(time.Hour)
	seedNotifications(s, now)
	seedChat(s, rand.New(rand.NewPCG(0xc4a7, 0x5eed)), now)
}

func seedNotifications(s *Sandbox, now time.Time) {
	st, demo := s.store, s.demoID
	var drafts []notificationDraft
	func() {
		st.mu.RLock()
		defer st.mu.RUnlock()
		visible := map[int64]bool{}
		for _, sid := range st.spaceOrder {
			if _, ok := st.spaces[sid].members[demo]; ok {
				visible[sid] = true
			}
		}
		var othersPosts []*post
		for _, pid := range st.postOrder {
			p := st.posts[pid]
			if p.authorID != demo {
				if visible[p.spaceID] {
					othersPosts = append(othersPosts, p)
				}
				continue
			}
			for memberID, at := range p.likes {
				drafts = append(drafts, notificationDraft{memberID: demo, actorID: memberID, action: "like", notifiableType: "Post", verb: "liked", notifiableID: p.id, postID: p.id, at: at})
			}
			for _, cid := range p.comments {
				c := st.comments[cid]
				drafts = append(drafts, notificationDraft{memberID: demo, actorID: c.authorID, action: "add", notifiableType: "Comment", verb: "commented on", notifiableID: c.id, postID: p.id, at: c.createdAt, commentAnchor: true})
			}
		}
		// Replies to the demo member's comments on others' posts.
		for _, c := range st.comments {
			if c.parentID == 0 || st.comments[c.parentID].authorID != demo || st.posts[c.postID].authorID == demo {
				continue
			}
			drafts = append(drafts, notificationDraft{memberID: demo, actorID: c.authorID, action: "add", notifiableType: "Comment", verb: "replied to your comment on", notifiableID: c.id, postID: c.postID, parentComment: c.parentID, at: c.createdAt, commentAnchor: true})
		}
		// The newest posts of others in the demo member's spaces, and two
		// mentions.
		slices.SortFunc(othersPosts, func(a, b *post) int { return b.createdAt.Compare(a.createdAt) })
		for i, p := range othersPosts[:min(8, len(othersPosts))] {
			kind := "Post"
			if p.event != nil {
				kind = "Event"
			}
			d := notificationDraft{memberID: demo, actorID: p.authorID, action: "add", notifiableType: kind, verb: "posted", notifiableID: p.id, postID: p.id, at: p.createdAt}
			if i%4 == 1 {
				d.action, d.verb, d.at = "mention", "mentioned you in", p.createdAt.Add(20*time.Minute)
			}
			drafts = append(drafts, d)
		}
	}()
	slices.SortStableFunc(drafts, func(a, b notificationDraft) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		if c := cmp.Compare(a.notifiableID, b.notifiableID); c != 0 {
			return c
		}
		return cmp.Compare(a.actorID, b.actorID)
	})
	ns := s.notifications
	ns.mu.Lock()
	defer ns.mu.Unlock()
	for _, d := range drafts {
		if d.at.After(now) {
			d.at = now
		}
		ns.addLocked(st, d)
	}
	list := ns.byMember[demo]
	for i, n := range list {
		if i < len(list)-seedUnreadNotifications {
			n.readAt = minTime(n.createdAt.Add(3*time.Hour), now)
		}
	}
	if len(list) > seedNewNotifications {
		ns.countedUpTo[demo] = list[len(list)-seedNewNotifications-1].id
	}
}

// chatLines are what the seeded members say.
var chatLines = []string{
	"Hey! Did you get a chance to look at the draft?",
	"Yes, just finished it. Looks great overall.",
	"I left a few comments on the second section.",
	"Thanks, I'll go through them this afternoon.",
	"Are we still on for the call tomorrow?",
	"Works for me, 10am?",
	"Perfect, see you then 👋",
	"Quick question: which template did you use for the slides?",
	"The one from the community resources page.",
	"Can you share the link again?",
	"Here it is, pinned it in the space too.",
	"Love it, thank you!",
	"How did the workshop go?",
	"Really well, about 30 people joined.",
	"That's amazing, congrats 🎉",
	"Let's do another one next month.",
	"I'm in. Want me to draft the agenda?",
	"Yes please, that would help a lot.",
	"Sending it over by Friday.",
	"No rush, whenever works.",
}

// chatSeeder writes the seeded rooms into the chat state.
type chatSeeder struct {
	cs  *chatState
	r   *rand.Rand
	now time.Time
}

// room makes a room whose members talk n times over span, the newest
// message newest ago; it returns the room and its messages in order.
func (sd *chatSeeder) room(kind, name string, members []int64, n int, span, newest time.Duration) (*chatRoom, []*chatMessage) {
	end := sd.now.Add(-newest)
	start := end.Add(-span)
	room := sd.cs.addRoomLocked(kind, name, members, start.Add(-time.Hour))
	msgs := make([]*chatMessage, 0, n)
	for i := range n {
		at := end
		if n > 1 {
			at = start.Add(span * time.Duration(i) / time.Duration(n-1))
		}
		speaker := room.participants[sd.r.IntN(len(room.participants))]
		if i > 0 && speaker == room.participants[0] && sd.r.IntN(2) == 0 {
			speaker = room.participants[1+sd.r.IntN(len(room.participants)-1)]
		}
		msgs = append(msgs, sd.say(room, speaker.memberID, nil, chatLines[sd.r.IntN(len(chatLines))], at))
	}
	for _, p := range room.participants {
		if n := len(room.timeline); n > 0 {
			p.readUpTo = room.timeline[n-1]
		}
	}
	return room, msgs
}

// say adds one message (a reply when parent is set).
func (sd *chatSeeder) say(room *chatRoom, memberID int64, parent *chatMessage, text string, at time.Time) *chatMessage {
	return sd.cs.addMessageLocked(room, room.participantOf(memberID), parent, text, richTextDoc(text), at)
}

// react adds memberIDs' emoji to m.
func react(m *chatMessage, emoji string, memberIDs ...int64) {
	if !slices.Contains(m.reactionOrder, emoji) {
		m.reactionOrder = append(m.reactionOrder, emoji)
	}
	m.reactions[emoji] = append(m.reactions[emoji], memberIDs...)
}

// lastFrom makes the last k messages of msgs come from memberID and the
// demo member's read position stop before them.
func lastFrom(room *chatRoom, msgs []*chatMessage, k int, memberID, reader int64) {
	p := room.participantOf(memberID)
	for _, m := range msgs[len(msgs)-k:] {
		m.participantID, m.memberID = p.id, memberID
	}
	room.participantOf(reader).readUpTo = msgs[len(msgs)-k-1].id
}

func seedChat(s *Sandbox, r *rand.Rand, now time.Time) {
	demo := s.demoID
	ids := s.store.memberIDs()
	a, b, c, d, e, f, g, h, i, j := ids[1], ids[2], ids[3], ids[4], ids[5], ids[6], ids[7], ids[8], ids[9], ids[10]
	cs := s.chat
	cs.mu.Lock()
	defer cs.mu.Unlock()
	sd := &chatSeeder{cs: cs, r: r, now: now}
	day := 24 * time.Hour

	// A long direct conversation: four pages of 20 back, the last three
	// messages unread.
	long, longMsgs := sd.room("direct", "", []int64{a, demo}, 75, 10*day, 2*time.Hour)
	lastFrom(long, longMsgs, 3, a, demo)
	react(longMsgs[10], "thumbsup", demo)

	// A named group with two threads, reactions and five unread messages.
	group, groupMsgs := sd.room("group_chat", "Launch crew", []int64{a, demo, d, e}, 30, 3*day, 30*time.Minute)
	t1 := groupMsgs[5]
	sd.say(group, d, t1, "Agreed, let's keep the scope small.", t1.createdAt.Add(10*time.Minute))
	sd.say(group, demo, t1, "I can take the first part.", t1.createdAt.Add(20*time.Minute))
	sd.say(group, e, t1, "Great, I'll review it.", t1.createdAt.Add(30*time.Minute))
	t2 := groupMsgs[20]
	sd.say(group, a, t2, "Following up on this tomorrow.", t2.createdAt.Add(5*time.Minute))
	sd.say(group, d, t2, "Thanks!", t2.createdAt.Add(15*time.Minute))
	react(groupMsgs[3], "thumbsup", a, d)
	react(groupMsgs[3], "heart", demo)
	react(groupMsgs[28], "tada", e, a, demo)
	lastFrom(group, groupMsgs, 5, d, demo)

	// Short direct rooms: all read; one unread.
	sd.room("direct", "", []int64{b, demo}, 6, 2*day, 5*day)
	quiet, quietMsgs := sd.room("direct", "", []int64{c, demo}, 2, time.Hour, day)
	lastFrom(quiet, quietMsgs, 1, c, demo)

	// An unnamed group whose thread on the demo member's message has
	// replies the demo member has not read.
	trio, trioMsgs := sd.room("group_chat", "", []int64{f, demo, g}, 8, day, 2*day)
	parent := trioMsgs[2]
	parent.participantID, parent.memberID = trio.participantOf(demo).id, demo
	sd.say(trio, f, parent, "Count me in.", parent.createdAt.Add(time.Hour))
	sd.say(trio, g, parent, "Same here!", parent.createdAt.Add(2*time.Hour))
	trio.participantOf(demo).threadReadUpTo = map[int64]int64{parent.threadID: parent.id}

	// Rooms the demo member is not in.
	sd.room("group_chat", "Moderators", []int64{h, i, j}, 10, 2*day, 3*time.Hour)
	sd.room("direct", "", []int64{a, b}, 4, day, 6*time.Hour)
}
