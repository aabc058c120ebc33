package sandbox

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
	"time"
)

// The demo community's topics, image posts, bookmarks, followings, a
// recurring event and a removed comment. They are added after the rest of
// the seed, without drawing from its random generator, so that every other
// record keeps the id and content it had before they existed; the image
// posts get the next post ids although they are dated among the others.

// spaceImages is the demo community's image space (the demo member is in it).
const spaceImages = 19

// signedID is a stable, ActiveStorage-shaped signed blob id for the seed's
// uploads: base64 JSON, "--", a 40-digit hex digest.
func signedID(n int) string {
	payload := base64.StdEncoding.EncodeToString(fmt.Appendf(nil, `{"_rails":{"data":%d,"pur":"blob_id"}}`, n))
	sum := sha1.Sum(fmt.Appendf(nil, "sandbox-blob-%d", n))
	return payload + "--" + hex.EncodeToString(sum[:])
}

// content seeds what this file describes; posts are the seed's post ids.
func (sd *seeder) content(posts []int64) {
	st := sd.st
	day := 24 * time.Hour

	// Topics: General has four (one for admins only) and tags its posts
	// with them; Introductions requires one on every new post.
	general, intros := st.spaces[spaceGeneral], st.spaces[spaceIntroductions]
	for _, t := range []topic{{name: "Productivity"}, {name: "Tools"}, {name: "Remote work"}, {name: "Staff picks", adminOnly: true}} {
		t.id = st.nextTopicID
		st.nextTopicID++
		general.topics = append(general.topics, t)
	}
	for _, name := range []string{"Hello", "Looking for collaborators"} {
		intros.topics = append(intros.topics, topic{id: st.nextTopicID, name: name})
		st.nextTopicID++
	}
	intros.requireTopic = true
	var generalPosts []*post
	for _, id := range posts {
		if p := st.posts[id]; p.spaceID == spaceGeneral {
			generalPosts = append(generalPosts, p)
		}
	}
	for i, p := range generalPosts {
		switch i % 4 {
		case 0:
			p.topicIDs = []int64{general.topics[0].id}
		case 1:
			p.topicIDs = []int64{general.topics[1].id, general.topics[2].id}
		case 2:
			p.topicIDs = []int64{general.topics[2].id}
		}
		if i%6 == 5 {
			cover := "https://picsum.photos/seed/sandbox-" + p.slug + "/1200/400"
			p.cover = &cover
		}
	}

	// Covers and sidebar links of spaces.
	for i, id := range []int64{spaceGeneral, spaceEvents} {
		s := signedID(900 + i)
		st.spaces[id].cover = &s
	}
	general.links = []spaceLink{
		{id: 320001, name: "Start here", displayType: "folder", links: []spaceLink{
			{id: 320002, name: "Community guidelines", displayType: "link", url: communityURL + "/c/announcements/community-guidelines", emoji: "📜"},
			{id: 320003, name: "Member directory", displayType: "link", url: communityURL + "/members", emoji: "👥"},
		}},
		{id: 320004, name: "Office hours calendar", displayType: "link", url: "https://calendar.example.com/sandbox-office-hours", emoji: "🗓️"},
	}

	// The image space and its posts.
	st.addSpace(space{id: spaceImages, name: "Photo Wall", slug: "photo-wall", emoji: emoji("📷"), spaceType: spaceTypeImage, groupID: 202, groupName: "Projects"})
	photographers := []int64{sd.demo}
	st.join(spaceImages, sd.demo)
	for k, id := range sd.memberIDs {
		if id != sd.demo && k%3 == 0 {
			st.join(spaceImages, id)
			photographers = append(photographers, id)
		}
	}
	sd.spaceMember[spaceImages] = photographers
	captions := []string{"Morning light over the harbour", "Desk setups from this week's thread", "Sketchbook pages, volume two"}
	for i, caption := range captions {
		author := photographers[i%len(photographers)]
		at := sd.now.Add(-time.Duration(20+15*i) * day)
		n := 2 + i
		images := make([]galleryImage, n)
		for k := range images {
			images[k] = galleryImage{signedID: signedID(100*(i+1) + k), filename: fmt.Sprintf("%s-%d.jpeg", slugify(caption), k+1), width: 2000, height: 1500 - 250*(k%2)}
		}
		st.addImagePost(post{
			spaceID: spaceImages, authorID: author, slug: slugify(caption), html: imageBody, text: caption,
			tiptap: tiptapDoc([]string{caption}), createdAt: at, updatedAt: at,
		}, images, i == 0)
	}

	// A recurring event: the Product Teardown Session repeats weekly, four
	// times; another event hides its attendees and takes no RSVPs.
	for _, id := range posts {
		p := st.posts[id]
		switch {
		case p.event == nil:
		case p.title == "Product Teardown Session":
			st.addSeries(p.id, 4)
			occ := p.event.series.occurrences
			occ[0].rsvps[sd.demo], occ[1].rsvps[sd.demo] = true, true
			for _, m := range sd.memberIDs[3:9] {
				occ[0].rsvps[m] = true
			}
		case p.title == "Year in Review Livestream":
			p.event.hideAttendees, p.event.rsvpDisabled = true, true
		}
	}

	// A removed comment: the first top-level comment in General with
	// replies that the demo member did not write stays in its thread.
	for _, p := range generalPosts {
		i := slices.IndexFunc(p.comments, func(id int64) bool {
			c := st.comments[id]
			return len(c.replies) > 0 && c.authorID != sd.demo
		})
		if i >= 0 {
			c := st.comments[p.comments[i]]
			c.removedAt = minTime(c.createdAt.Add(day), sd.now)
			break
		}
	}

	// Bookmarks and followings of the demo member: the welcome post, the
	// first General post by someone else, and a comment on it.
	welcome := st.posts[posts[0]]
	var other *post
	for _, p := range generalPosts {
		if p.authorID != sd.demo && len(p.comments) > 0 {
			other = p
			break
		}
	}
	at := sd.now.Add(-3 * day)
	st.mu.Lock()
	defer st.mu.Unlock()
	st.addBookmarkLocked(bookmark{memberID: sd.demo, kind: bookmarkPost, recordID: welcome.id, createdAt: at})
	st.addBookmarkLocked(bookmark{memberID: sd.demo, kind: bookmarkPost, recordID: other.id, createdAt: at.Add(time.Hour)})
	st.addBookmarkLocked(bookmark{memberID: sd.demo, kind: bookmarkComment, recordID: other.comments[0], createdAt: at.Add(2 * time.Hour)})
	for _, p := range []*post{welcome, other} {
		if _, ok := p.followers[sd.demo]; !ok {
			p.followers[sd.demo] = st.nextFollowerID
			st.nextFollowerID++
		}
	}
}

// addImagePost stores an image post with a gallery of images (ids given
// here); downloadable lets members download the files as uploaded.
func (st *store) addImagePost(p post, images []galleryImage, downloadable bool) int64 {
	st.mu.Lock()
	defer st.mu.Unlock()
	g := &gallery{id: st.nextGalleryID, downloadable: downloadable}
	st.nextGalleryID++
	for _, img := range images {
		img.id = st.nextImageID
		st.nextImageID++
		g.images = append(g.images, img)
	}
	p.gallery = g
	return st.addPostLocked(p)
}
