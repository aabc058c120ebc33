package sandbox

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Posts beyond the basic ones: image posts and their galleries
// (/spaces/{space_id}/images/posts), a space's topics, and members
// following posts (/posts/{post_id}/post_followers).

// Space types; the posts of a space have its type as post_type.
const (
	spaceTypeBasic = "basic"
	spaceTypeEvent = "event"
	spaceTypeImage = "image"
)

// Messages of image-post and follower answers. The follow ones are the
// document's; it shows no failure of an image post.
const (
	msgPostFollowed     = "Post followed."
	msgPostUnfollowed   = "Post unfollowed."
	msgNotImageSpace    = "Image posts can only be created in an image space."
	msgGalleryBlank     = "Gallery images can't be blank"
	msgGalleryImageGone = "Gallery images is invalid"
)

// imageBody is the body Circle gives image posts for clients that cannot
// show a gallery, word for word from the document's example.
const imageBody = "<div><strong>Update available</strong><br>Please update the app to view this post.</div>"

// maxGalleryImages bounds a gallery in the sandbox.
const maxGalleryImages = 50

// imageRequest is the body of POST and PUT /spaces/{space_id}/images/posts.
// Creating names images by signed_id; updating moves images of the gallery
// by id and position and adds new ones by image (a signed id).
type imageRequest struct {
	Slug              string          `json:"slug"`
	IsCommentsEnabled *bool           `json:"is_comments_enabled"`
	IsLikingEnabled   *bool           `json:"is_liking_enabled"`
	TiptapBody        json.RawMessage `json:"tiptap_body"`
	Gallery           *struct {
		Images []struct {
			ID       int64  `json:"id"`
			SignedID string `json:"signed_id"`
			Image    string `json:"image"`
			Width    int    `json:"width"`
			Height   int    `json:"height"`
			Position *int   `json:"position"`
		} `json:"images_attributes"`
	} `json:"gallery_attributes"`
	// files are the request's signed ids that name files uploaded to the
	// sandbox (its direct uploads): their images show those files.
	files map[string]uploadedFile
}

// uploadedFile is what an image shows of a file uploaded to the sandbox.
type uploadedFile struct {
	filename, url string
}

// withUploads finds the request's signed ids among the sandbox's uploaded
// files.
func (b *imageRequest) withUploads(u *uploadStore) {
	if b.Gallery == nil {
		return
	}
	b.files = map[string]uploadedFile{}
	for _, img := range b.Gallery.Images {
		sid := cmp.Or(img.Image, img.SignedID)
		if blob, err := u.attachable(sid); err == nil && strings.HasPrefix(blob.contentType, "image/") {
			b.files[sid] = uploadedFile{filename: blob.filename, url: blob.serviceURL}
		}
	}
}

// caption renders the request's TipTap caption.
func (b imageRequest) caption() (htmlBody, text string, tiptap json.RawMessage) {
	return draft{tiptap: b.TiptapBody}.render()
}

// createImagePost is POST /spaces/{space_id}/images/posts.
func (st *store) createImagePost(viewer int64, spaceRef string, b imageRequest, now time.Time) (wirePost, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	sp, err := st.postableSpaceLocked(viewer, spaceRef)
	if err != nil {
		return wirePost{}, err
	}
	if sp.spaceType != spaceTypeImage {
		return wirePost{}, invalid(msgNotImageSpace, map[string][]string{"space_id": {"is not an image space"}})
	}
	g := &gallery{id: st.nextGalleryID}
	st.nextGalleryID++
	if b.Gallery != nil {
		for _, img := range b.Gallery.Images {
			if strings.TrimSpace(img.SignedID) == "" {
				continue
			}
			g.images = append(g.images, st.newImageLocked(img.SignedID, img.Width, img.Height, b.files))
		}
	}
	if len(g.images) == 0 || len(g.images) > maxGalleryImages {
		return wirePost{}, invalid(msgGalleryBlank, map[string][]string{"gallery": {"can't be blank"}})
	}
	_, text, tiptap := b.caption()
	p := post{
		spaceID: sp.id, authorID: viewer, slug: st.uniqueSlugLocked(sp.id, cmp.Or(slugify(b.Slug), firstWords(text), "image")),
		html: imageBody, text: text, tiptap: tiptap, createdAt: now, updatedAt: now, gallery: g,
		commentsDisabled: b.IsCommentsEnabled != nil && !*b.IsCommentsEnabled,
		likingDisabled:   b.IsLikingEnabled != nil && !*b.IsLikingEnabled,
	}
	id := st.addPostLocked(p)
	return st.postLocked(st.posts[id], viewer), nil
}

// newImageLocked adds an image of an uploaded file to no gallery yet; a
// file uploaded to the sandbox (in files) keeps its name and is served.
func (st *store) newImageLocked(signedID string, width, height int, files map[string]uploadedFile) galleryImage {
	img := galleryImage{id: st.nextImageID, signedID: signedID, width: width, height: height}
	st.nextImageID++
	img.filename = fmt.Sprintf("image-%d.jpeg", img.id)
	if f, ok := files[signedID]; ok {
		img.filename, img.url = f.filename, f.url
	}
	if img.width <= 0 || img.height <= 0 {
		img.width, img.height = 1600, 1200
	}
	return img
}

// updateImagePost is PUT /spaces/{space_id}/images/posts/{id}: the author
// (or an admin) changes the caption, the settings and the gallery. Images
// named by id move to their position; images given as a signed id join the
// gallery; the others stay where they are.
func (st *store) updateImagePost(viewer int64, spaceRef, postRef string, b imageRequest, now time.Time) (wirePost, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	p, err := st.postInSpaceLocked(viewer, spaceRef, postRef)
	if err != nil {
		return wirePost{}, err
	}
	if p.gallery == nil {
		return wirePost{}, notFound("post")
	}
	if p.authorID != viewer && !st.isAdminLocked(viewer) {
		return wirePost{}, forbidden()
	}
	images := slices.Clone(p.gallery.images)
	if b.Gallery != nil {
		type placed struct {
			img galleryImage
			pos int
		}
		var moves []placed
		for _, in := range b.Gallery.Images {
			switch {
			case in.ID != 0:
				i := slices.IndexFunc(images, func(g galleryImage) bool { return g.id == in.ID })
				if i < 0 {
					return wirePost{}, invalid(msgGalleryImageGone, map[string][]string{"gallery": {"is invalid"}})
				}
				if in.Position != nil {
					moves = append(moves, placed{images[i], *in.Position})
					images = slices.Delete(images, i, i+1)
				}
			case strings.TrimSpace(cmp.Or(in.Image, in.SignedID)) != "":
				images = append(images, st.newImageLocked(cmp.Or(in.Image, in.SignedID), in.Width, in.Height, b.files))
			}
		}
		slices.SortStableFunc(moves, func(a, b placed) int { return cmp.Compare(a.pos, b.pos) })
		for _, m := range moves {
			at := min(max(m.pos, 0), len(images))
			images = slices.Insert(images, at, m.img)
		}
	}
	if len(images) > maxGalleryImages {
		return wirePost{}, invalid(msgGalleryBlank, map[string][]string{"gallery": {"is too long"}})
	}
	if b.TiptapBody != nil {
		_, p.text, p.tiptap = b.caption()
	}
	if b.Slug != "" {
		p.slug = st.uniqueSlugLocked(p.spaceID, slugify(b.Slug))
	}
	if b.IsCommentsEnabled != nil {
		p.commentsDisabled = !*b.IsCommentsEnabled
	}
	if b.IsLikingEnabled != nil {
		p.likingDisabled = !*b.IsLikingEnabled
	}
	p.gallery.images = images
	p.updatedAt = now
	return st.postLocked(p, viewer), nil
}

// spaceTopics is GET /spaces/{space_id}/topics.
func (st *store) spaceTopics(viewer, spaceID int64, pp pageParams) (wirePage[wireTopic], error) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	sp, ok := st.spaces[spaceID]
	if !ok || !st.canSeeLocked(sp, viewer) {
		return wirePage[wireTopic]{}, notFound("space")
	}
	return pageOf(sp.topics, pp, func(t topic) wireTopic { return wireTopic{ID: t.id, Name: t.name, AdminOnly: t.adminOnly} }), nil
}

// follow is POST /posts/{post_id}/post_followers: viewer follows the post,
// once however often it is sent.
func (st *store) follow(viewer, postID int64) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	p, ok := st.visiblePostLocked(postID, viewer)
	if !ok {
		return notFound("post")
	}
	if _, ok := p.followers[viewer]; !ok {
		p.followers[viewer] = st.nextFollowerID
		st.nextFollowerID++
	}
	return nil
}

// unfollow is DELETE /posts/{post_id}/post_followers (followerID 0) and
// DELETE /posts/{post_id}/post_followers/{id}, which must name viewer's
// own following. Unfollowing a post one does not follow changes nothing.
func (st *store) unfollow(viewer, postID, followerID int64) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	p, ok := st.visiblePostLocked(postID, viewer)
	if !ok {
		return notFound("post")
	}
	if id, ok := p.followers[viewer]; followerID != 0 && (!ok || id != followerID) {
		return notFound("post_follower")
	}
	delete(p.followers, viewer)
	return nil
}

func (s *Sandbox) createImagePost(w http.ResponseWriter, r *http.Request, viewer int64) {
	var body imageRequest
	if err := decodeBodyLimit(w, r, &body, maxWriteBodyBytes); err != nil {
		writeError(w, err)
		return
	}
	body.withUploads(s.uploads)
	p, err := s.store.createImagePost(viewer, r.PathValue("space_id"), body, s.now())
	answer(w, p, err)
}

func (s *Sandbox) updateImagePost(w http.ResponseWriter, r *http.Request, viewer int64) {
	var body imageRequest
	if err := decodeBodyLimit(w, r, &body, maxWriteBodyBytes); err != nil {
		writeError(w, err)
		return
	}
	body.withUploads(s.uploads)
	p, err := s.store.updateImagePost(viewer, r.PathValue("space_id"), r.PathValue("id"), body, s.now())
	answer(w, p, err)
}

func (s *Sandbox) spaceTopicList(w http.ResponseWriter, r *http.Request, viewer int64) {
	byID(w, r, "space_id", "space", func(spaceID int64) (any, error) {
		return s.store.spaceTopics(viewer, spaceID, pageFrom(r.URL.Query(), defaultPerPage))
	})
}

func (s *Sandbox) followPost(w http.ResponseWriter, r *http.Request, viewer int64) {
	postID, err := pathID(r, "post_id", "post")
	if err == nil {
		err = s.store.follow(viewer, postID)
	}
	answerDone(w, msgPostFollowed, err)
}

func (s *Sandbox) unfollowPost(w http.ResponseWriter, r *http.Request, viewer int64) {
	postID, err := pathID(r, "post_id", "post")
	if err == nil {
		err = s.store.unfollow(viewer, postID, 0)
	}
	answerDone(w, msgPostUnfollowed, err)
}

func (s *Sandbox) unfollowPostByID(w http.ResponseWriter, r *http.Request, viewer int64) {
	postID, err := pathID(r, "post_id", "post")
	var followerID int64
	if err == nil {
		followerID, err = pathID(r, "id", "post_follower")
	}
	if err == nil {
		err = s.store.unfollow(viewer, postID, followerID)
	}
	answerDone(w, msgPostUnfollowed, err)
}

// contentRoutes adds the endpoints of posts, comments, events and
// bookmarks beyond the basics (posts.go, comments.go, recurring.go,
// bookmarks.go).
func (s *Sandbox) contentRoutes(member func(method, path string, h memberHandler)) {
	get, post, put, patch, del := http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete
	member(post, "/spaces/{space_id}/images/posts", s.createImagePost)
	member(put, "/spaces/{space_id}/images/posts/{id}", s.updateImagePost)
	member(get, "/spaces/{space_id}/topics", s.spaceTopicList)
	member(post, "/posts/{post_id}/post_followers", s.followPost)
	member(del, "/posts/{post_id}/post_followers", s.unfollowPost)
	member(del, "/posts/{post_id}/post_followers/{id}", s.unfollowPostByID)
	member(patch, "/posts/{post_id}/comments/{id}", s.updateComment)
	member(get, "/comments/{comment_id}/replies/{id}", s.reply)
	member(patch, "/comments/{comment_id}/replies/{id}", s.updateReply)
	member(del, "/comments/{comment_id}/replies/{id}", s.deleteReply)
	member(get, "/comments/{comment_id}/user_likes", s.commentLikes)
	member(get, "/spaces/{space_id}/events/{event_id}/recurring_events", s.recurringEvents)
	member(put, "/spaces/{space_id}/events/{event_id}/recurring_events/rsvp", s.rsvpRecurring)
	member(post, "/bookmarks", s.createBookmark)
	member(get, "/bookmarks", s.bookmarks)
	member(del, "/bookmarks/{id}", s.deleteBookmark)
	member(get, "/spaces/{space_id}/bookmarks", s.spaceLinks)
}
