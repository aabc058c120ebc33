package sandbox

import (
	"net/http"
	"strconv"
	"time"
)

// contentFixture holds the seed records the content cases act on: the
// recurring event, an image post, topics, a reply of the demo member's, and
// a comment of someone else's.
type contentFixture struct {
	series, single                int64 // an event with a series, one without
	occurrences                   []int64
	imagePost, othersImagePost    int64
	generalTopic, adminTopic      int64
	introTopic                    int64
	ownReply, othersReply, parent int64 // replies (by the demo member, by someone else) to parent
	replyPost                     int64
	ownComment, othersComment     int64 // comments on replyPost
	removedPost                   int64 // the post holding the removed comment
	followed                      int64 // a post the demo member follows, and its following
	followerID                    int64
	imageSlug                     string // imagePost's slug
}

func newContentFixture(h *harness) contentFixture {
	h.t.Helper()
	st := h.sb.store
	demo := h.sb.DemoMemberID()
	postID, parent := h.commentWithReplies(spaceGeneral)
	other := h.spaceMembers(spaceGeneral)[0]
	if other == demo {
		other = h.spaceMembers(spaceGeneral)[1]
	}
	at := testStart.Add(-time.Hour)
	f := contentFixture{parent: parent, replyPost: postID}
	f.ownReply = st.addComment(comment{postID: postID, parentID: parent, authorID: demo, html: "<p>mine</p>", text: "mine", createdAt: at, updatedAt: at})
	f.othersReply = st.addComment(comment{postID: postID, parentID: parent, authorID: other, html: "<p>theirs</p>", text: "theirs", createdAt: at, updatedAt: at})
	f.ownComment = st.addComment(comment{postID: postID, authorID: demo, html: "<p>mine</p>", text: "mine", createdAt: at, updatedAt: at})
	f.othersComment = st.addComment(comment{postID: postID, authorID: other, html: "<p>theirs</p>", text: "theirs", createdAt: at, updatedAt: at})

	st.mu.RLock()
	defer st.mu.RUnlock()
	for _, id := range st.postOrder {
		p := st.posts[id]
		switch {
		case p.event != nil && p.event.series != nil:
			f.series = id
			for _, o := range p.event.series.occurrences {
				f.occurrences = append(f.occurrences, o.id)
			}
		case p.event != nil && f.single == 0:
			f.single = id
		case p.gallery != nil && p.authorID == demo && f.imagePost == 0:
			f.imagePost, f.imageSlug = id, p.slug
		case p.gallery != nil && p.authorID != demo && f.othersImagePost == 0:
			f.othersImagePost = id
		}
		if _, ok := p.followers[demo]; ok && p.authorID != demo && f.followed == 0 {
			f.followed, f.followerID = id, p.followers[demo]
		}
		for _, cid := range p.comments {
			if !st.comments[cid].removedAt.IsZero() {
				f.removedPost = id
			}
		}
	}
	for _, t := range st.spaces[spaceGeneral].topics {
		if t.adminOnly {
			f.adminTopic = t.id
		} else if f.generalTopic == 0 {
			f.generalTopic = t.id
		}
	}
	f.introTopic = st.spaces[spaceIntroductions].topics[0].id
	if f.series == 0 || f.single == 0 || f.imagePost == 0 || f.othersImagePost == 0 || f.followed == 0 || f.removedPost == 0 || f.adminTopic == 0 {
		h.t.Fatalf("the seed lacks a record the content cases need: %+v", f)
	}
	return f
}

// contentConfCases are the conformance cases of posts, comments, events
// and bookmarks beyond the basics. They run in order on one sandbox.
func contentConfCases(f *confFixture) []confCase {
	fx := newContentFixture(f.harness)
	id := func(v int64) string { return strconv.FormatInt(v, 10) }
	c := func(name, method, path, cred string, b any, status int, message string) confCase {
		tc := confCase{name: name, method: method, path: memberPrefix + path, cred: cred, status: status, message: message}
		if b != nil {
			tc.body = func() any { return b }
		}
		if status == http.StatusNotFound && message == "" {
			tc.message = msgMissingRecord
		}
		return tc
	}
	get, post, put, patch, del, member := http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, credMember
	comment := func(b any) map[string]any { return map[string]any{"comment": b} }
	series := "/spaces/" + id(spaceEvents) + "/events/" + id(fx.series) + "/recurring_events"
	images := "/spaces/" + id(spaceImages) + "/images/posts"
	reply := func(rid int64) string { return "/comments/" + id(fx.parent) + "/replies/" + id(rid) }
	staffPost := f.postsIn(spaceStaff)[0]
	_, staffComment := f.commentWithReplies(spaceStaff)
	gallery := func(ids ...string) map[string]any {
		imgs := []any{}
		for _, s := range ids {
			imgs = append(imgs, map[string]any{"signed_id": s, "width": 1200, "height": 800})
		}
		return map[string]any{"images_attributes": imgs}
	}

	cases := []confCase{
		c("space topics", get, "/spaces/"+id(spaceGeneral)+"/topics", member, nil, 200, ""),
		c("space topics paged", get, "/spaces/"+id(spaceGeneral)+"/topics?page=2&per_page=3", member, nil, 200, ""),
		c("topics of a private space of others", get, "/spaces/"+id(spaceStaff)+"/topics", member, nil, 404, ""),
		c("space topics expired", get, "/spaces/"+id(spaceGeneral)+"/topics", credExpired, nil, 401, msgTokenExpired),
		c("space posts by topics", get, "/spaces/"+id(spaceGeneral)+"/posts?topics="+id(fx.generalTopic)+"&topics="+id(fx.adminTopic)+"&per_page=5", member, nil, 200, ""),
		c("space draft posts", get, "/spaces/"+id(spaceGeneral)+"/posts?status=draft", member, nil, 200, ""),
		c("image space posts", get, "/spaces/"+id(spaceImages)+"/posts?per_page=5", member, nil, 200, ""),
		c("image post", get, "/spaces/"+id(spaceImages)+"/posts/"+id(fx.imagePost), member, nil, 200, ""),
		c("image post by its space's slug and its own", get, "/spaces/photo-wall/posts/"+fx.imageSlug, member, nil, 200, ""),
		c("post by a slug of another space", get, "/spaces/general/posts/"+fx.imageSlug, member, nil, 404, ""),
		c("comments with a removed one", get, "/posts/"+id(fx.removedPost)+"/comments?per_page=100", member, nil, 200, ""),
		c("published community events", get, "/community_events?status=published&per_page=20", member, nil, 200, ""),

		c("space bookmarks", get, "/spaces/"+id(spaceGeneral)+"/bookmarks", member, nil, 200, ""),
		c("space bookmarks of a private space of others", get, "/spaces/"+id(spaceStaff)+"/bookmarks", member, nil, 404, ""),
		c("space bookmarks revoked", get, "/spaces/"+id(spaceGeneral)+"/bookmarks", credRevoked, nil, 401, msgTokenRevoked),
		c("bookmarks", get, "/bookmarks", member, nil, 200, ""),
		c("comment bookmarks", get, "/bookmarks?bookmark_type=comment&per_page=5", member, nil, 200, ""),
		c("bookmarks ghost", get, "/bookmarks", credGhost, nil, 401, msgNoTokenMember),

		c("recurring events", get, series, member, nil, 200, ""),
		c("recurring events paged", get, series+"?page=2&per_page=2", member, nil, 200, ""),
		c("recurring events of a single event", get, "/spaces/"+id(spaceEvents)+"/events/"+id(fx.single)+"/recurring_events", member, nil, 404, ""),
		c("recurring events through another space", get, "/spaces/"+id(spaceGeneral)+"/events/"+id(fx.series)+"/recurring_events", member, nil, 404, ""),
		c("recurring events garbage token", get, series, credGarbage, nil, 401, msgTokenInvalid),

		c("reply", get, reply(fx.othersReply), member, nil, 200, ""),
		c("reply of another comment", get, "/comments/"+id(fx.othersComment)+"/replies/"+id(fx.othersReply), member, nil, 404, ""),
		c("reply other community", get, reply(fx.othersReply), credOtherCommunity, nil, 401, msgNoCommunity),
		c("comment likes", get, "/comments/"+id(fx.parent)+"/user_likes?per_page=5", member, nil, 200, ""),
		c("likes of a private comment of others", get, "/comments/"+id(staffComment)+"/user_likes", member, nil, 404, ""),
		c("comment likes expired", get, "/comments/"+id(fx.parent)+"/user_likes", credExpired, nil, 401, msgTokenExpired),

		// Writes.
		c("edit own comment", patch, "/posts/"+id(fx.replyPost)+"/comments/"+id(fx.ownComment), member, comment(map[string]any{"body": "<p>Edited</p>"}), 200, ""),
		c("edit own comment to tiptap", patch, "/posts/"+id(fx.replyPost)+"/comments/"+id(fx.ownComment), member, comment(map[string]any{"tiptap_body": tiptapBody("Rich edit")}), 200, ""),
		c("blank comment edit", patch, "/posts/"+id(fx.replyPost)+"/comments/"+id(fx.ownComment), member, comment(map[string]any{"body": " "}), 400, msgCommentUpdateFailed),
		c("edit someone else's comment", patch, "/posts/"+id(fx.replyPost)+"/comments/"+id(fx.othersComment), member, comment(map[string]any{"body": "x"}), 403, msgForbidden),
		c("edit a comment through another post", patch, "/posts/"+id(fx.removedPost+1)+"/comments/"+id(fx.ownComment), member, comment(map[string]any{"body": "x"}), 404, ""),
		c("edit comment expired", patch, "/posts/"+id(fx.replyPost)+"/comments/"+id(fx.ownComment), credExpired, comment(map[string]any{"body": "x"}), 401, msgTokenExpired),

		c("edit own reply", patch, reply(fx.ownReply), member, comment(map[string]any{"body": "Edited reply"}), 200, ""),
		c("blank reply edit", patch, reply(fx.ownReply), member, comment(map[string]any{"tiptap_body": tiptapBody(" ")}), 400, msgReplyUpdateFailed),
		c("edit someone else's reply", patch, reply(fx.othersReply), member, comment(map[string]any{"body": "x"}), 403, msgForbidden),
		c("edit reply revoked", patch, reply(fx.ownReply), credRevoked, comment(map[string]any{"body": "x"}), 401, msgTokenRevoked),
		c("delete someone else's reply", del, reply(fx.othersReply), member, nil, 403, msgForbidden),
		c("delete own reply", del, reply(fx.ownReply), member, nil, 200, ""),
		c("delete a deleted reply", del, reply(fx.ownReply), member, nil, 404, ""),
		c("delete reply ghost", del, reply(fx.othersReply), credGhost, nil, 401, msgNoTokenMember),

		c("follow post", post, "/posts/"+id(fx.replyPost)+"/post_followers", member, nil, 200, ""),
		c("follow post again", post, "/posts/"+id(fx.replyPost)+"/post_followers", member, nil, 200, ""),
		c("unfollow post", del, "/posts/"+id(fx.replyPost)+"/post_followers", member, nil, 200, ""),
		c("follow a private post of others", post, "/posts/"+id(staffPost)+"/post_followers", member, nil, 404, ""),
		c("unfollow by someone else's following", del, "/posts/"+id(fx.followed)+"/post_followers/"+id(fx.followerID+1), member, nil, 404, ""),
		c("unfollow by id", del, "/posts/"+id(fx.followed)+"/post_followers/"+id(fx.followerID), member, nil, 200, ""),
		c("follow post expired", post, "/posts/"+id(fx.replyPost)+"/post_followers", credExpired, nil, 401, msgTokenExpired),

		c("create post with topics and a cover", post, "/spaces/"+id(spaceGeneral)+"/posts", member, map[string]any{"name": "Tagged", "body": "x", "topics": []int64{fx.generalTopic}, "cover_image": signedID(1), "slug": "tagged-post"}, 200, ""),
		c("create post without the required topic", post, "/spaces/"+id(spaceIntroductions)+"/posts", member, map[string]any{"name": "Hi", "body": "x"}, 422, msgTopicRequired),
		c("create post with the required topic", post, "/spaces/"+id(spaceIntroductions)+"/posts", member, map[string]any{"name": "Hi", "body": "x", "topics": []int64{fx.introTopic}}, 200, ""),
		c("create post with an admin topic", post, "/spaces/"+id(spaceGeneral)+"/posts", member, map[string]any{"name": "x", "topics": []int64{fx.adminTopic}}, 422, msgTopicInvalid),
		c("create a basic post in the image space", post, "/spaces/"+id(spaceImages)+"/posts", member, map[string]any{"name": "x"}, 422, msgImageSpacePost),

		c("create image post", post, images, member, map[string]any{"space_id": spaceImages, "tiptap_body": tiptapBody("Sunset"), "gallery_attributes": gallery(signedID(7), signedID(8))}, 200, ""),
		c("create image post by slug, comments off", post, "/spaces/photo-wall/images/posts", member, map[string]any{"is_comments_enabled": false, "gallery_attributes": gallery(signedID(9))}, 200, ""),
		c("create image post without images", post, images, member, map[string]any{"tiptap_body": tiptapBody("Nothing")}, 422, msgGalleryBlank),
		c("create image post in a basic space", post, "/spaces/"+id(spaceGeneral)+"/images/posts", member, map[string]any{"gallery_attributes": gallery(signedID(7))}, 422, msgNotImageSpace),
		c("create image post expired", post, images, credExpired, map[string]any{"gallery_attributes": gallery(signedID(7))}, 401, msgTokenExpired),
		c("update image post", put, images+"/"+id(fx.imagePost), member, map[string]any{"tiptap_body": tiptapBody("New caption"), "gallery_attributes": map[string]any{"images_attributes": []any{map[string]any{"image": signedID(10)}}}}, 200, ""),
		c("update someone else's image post", put, images+"/"+id(fx.othersImagePost), member, map[string]any{"is_liking_enabled": false}, 403, msgForbidden),
		c("update a basic post as an image post", put, "/spaces/"+id(spaceGeneral)+"/images/posts/"+id(f.postsIn(spaceGeneral)[0]), member, map[string]any{"is_liking_enabled": false}, 404, ""),
		c("update an image that is not in the gallery", put, images+"/"+id(fx.imagePost), member, map[string]any{"gallery_attributes": map[string]any{"images_attributes": []any{map[string]any{"id": 1, "position": 0}}}}, 422, msgGalleryImageGone),

		c("rsvp to dates of a series", put, series+"/rsvp", member, map[string]any{"event_ids": fx.occurrences[1:3]}, 200, ""),
		c("withdraw from every date", put, series+"/rsvp", member, map[string]any{"event_ids": []int64{}}, 200, ""),
		c("rsvp to a date of another series", put, series+"/rsvp", member, map[string]any{"event_ids": []int64{fx.single}}, 422, msgOccurrenceInvalid),
		c("rsvp to a single event's series", put, "/spaces/"+id(spaceEvents)+"/events/"+id(fx.single)+"/recurring_events/rsvp", member, map[string]any{"event_ids": []int64{fx.occurrences[0]}}, 404, ""),
		c("rsvp to dates ghost", put, series+"/rsvp", credGhost, map[string]any{"event_ids": []int64{}}, 401, msgNoTokenMember),

		c("bookmark a post", post, "/bookmarks", member, map[string]any{"record_id": fx.othersImagePost, "bookmark_type": "post"}, 201, ""),
		c("bookmark a post twice", post, "/bookmarks", member, map[string]any{"record_id": fx.othersImagePost, "bookmark_type": "post"}, 422, msgBookmarkTaken),
		c("bookmark a comment", post, "/bookmarks", member, map[string]any{"record_id": fx.othersComment, "bookmark_type": "comment"}, 201, ""),
		c("bookmark a private post of others", post, "/bookmarks", member, map[string]any{"record_id": staffPost, "bookmark_type": "post"}, 404, ""),
		c("bookmark expired", post, "/bookmarks", credExpired, map[string]any{"record_id": fx.replyPost, "bookmark_type": "post"}, 401, msgTokenExpired),
		c("delete a bookmark", del, "/bookmarks/"+id(firstBookmarkID), member, nil, 204, ""),
		c("delete a deleted bookmark", del, "/bookmarks/"+id(firstBookmarkID), member, nil, 404, ""),
		c("delete a bookmark revoked", del, "/bookmarks/"+id(firstBookmarkID+1), credRevoked, nil, 401, msgTokenRevoked),
	}
	broken := []confCase{
		c("rsvp to dates without event_ids", put, series+"/rsvp", member, map[string]any{}, 422, msgOccurrenceInvalid),
		c("bookmark of an unknown type", post, "/bookmarks", member, map[string]any{"record_id": fx.replyPost, "bookmark_type": "space"}, 422, msgBookmarkType),
		c("follow post without a token", post, "/posts/"+id(fx.replyPost)+"/post_followers", credNone, nil, 401, msgTokenInvalid),
	}
	return append(cases, markInvalid(broken)...)
}
