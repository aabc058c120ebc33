package circledouble

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Topics, post followers, bookmarks, space bookmarks and image posts, shaped
// after the OpenAPI document's examples (bookmarks name their type
// bookmark_type, as the examples do, not the schema's bookmarkable_type).
// Their ids lie in ranges of their own (the curated double's included):
// topics 91…94 (as the posts embed them), bookmarks 5_600_00x, followings
// 5_700_00x, sidebar links 5_800_00x, gallery images 5_900_0xx.

// The first ids of the content records.
const (
	Bookmark0 int64 = 5_600_000
	Follower0 int64 = 5_700_000
	Link0     int64 = 5_800_000
	Image0    int64 = 5_900_000
)

// Topic is a topic of a space.
type Topic struct {
	ID        int64
	Name      string
	AdminOnly bool
}

// Bookmark is a member's bookmark of a post or comment.
type Bookmark struct {
	ID, MemberID, RecordID int64
	Kind                   string // "post" or "comment"
	Created                time.Time
}

// Image is an image of an image post's gallery.
type Image struct {
	ID            int64
	SignedID      string
	Width, Height int
}

// content is the double's state of this file's endpoints.
type content struct {
	topics    map[int64][]Topic // by space
	links     map[int64][]any   // a space's sidebar, rendered
	bookmarks []*Bookmark
	followers map[[2]int64]int64 // (member, post) → following id
	galleries map[int64][]*Image // by post; absent: the seeded image
	nextID    int64
}

func newContent() content {
	link := func(id int64, name, url, emoji string) map[string]any {
		return map[string]any{"id": id, "name": name, "display_type": "link", "url": url, "emoji": emoji, "custom_emoji_url": nil, "custom_emoji_dark_url": nil}
	}
	return content{
		topics: map[int64][]Topic{
			Shed:    {{91, "Houseplants", false}, {92, "Staff picks", true}, {93, "Seed swaps", false}},
			Gallery: {{94, "Macro", false}},
		},
		links: map[int64][]any{
			Shed: {
				map[string]any{"id": Link0 + 1, "name": "Getting started", "display_type": "folder", "links": []any{
					link(Link0+2, "Watering guide", Site+"/c/potting-shed/watering", "💧"),
					link(Link0+3, "Pest atlas", "https://pests.example.org/atlas", "🐛"),
				}},
				link(Link0+4, "Seed bank sheet", "https://sheets.example.org/seed-bank", "🌱"),
			},
		},
		followers: map[[2]int64]int64{},
		galleries: map[int64][]*Image{},
		nextID:    1,
	}
}

// next is a fresh id after base.
func (c *content) next(base int64) int64 {
	id := base + c.nextID
	c.nextID++
	return id
}

func init() {
	routes = append(routes,
		route{"GET", "spaces/{}/topics", true, nil, (*call).getTopics},
		route{"GET", "spaces/{}/bookmarks", true, nil, (*call).getSpaceBookmarks},
		route{"POST", "posts/{}/post_followers", false, nil, (*call).follow},
		route{"DELETE", "posts/{}/post_followers", false, nil, (*call).unfollow},
		route{"DELETE", "posts/{}/post_followers/{}", false, nil, (*call).unfollow},
		route{"GET", "bookmarks", true, params{"bookmark_type": enum("post", "comment")}, (*call).getBookmarks},
		route{"POST", "bookmarks", false, nil, (*call).createBookmark},
		route{"DELETE", "bookmarks/{}", false, nil, (*call).deleteBookmark},
		route{"POST", "spaces/{}/images/posts", false, nil, (*call).createImagePost},
		route{"PUT", "spaces/{}/images/posts/{}", false, nil, (*call).updateImagePost},
	)
}

// BookmarkOf is viewer's bookmark of a record, nil when none.
func (d *Circle) BookmarkOf(viewer int64, kind string, recordID int64) *Bookmark {
	for _, b := range d.content.bookmarks {
		if b.MemberID == viewer && b.Kind == kind && b.RecordID == recordID {
			return b
		}
	}
	return nil
}

// FollowerOf is viewer's following id of a post, 0 when none.
func (d *Circle) FollowerOf(viewer, postID int64) int64 {
	return d.content.followers[[2]int64{viewer, postID}]
}

// Topics are a space's topics.
func (d *Circle) Topics(spaceID int64) []Topic { return d.content.topics[spaceID] }

// strictBody decodes the request's JSON body into v, refusing (as a
// violation) any field v does not name, and records it in Bodies.
func (c *call) strictBody(v any) bool {
	c.d.Bodies = append(c.d.Bodies, string(c.body))
	if ct := c.r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		c.d.violate("%s: Content-Type %q, want application/json", c.what, ct)
	}
	dec := json.NewDecoder(bytes.NewReader(c.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		c.d.violate("%s: a body that is not Circle's request schema: %v", c.what, err)
		c.fail(http.StatusBadRequest, "Bad request")
		return false
	}
	return true
}

func (c *call) getTopics() {
	s := c.d.Space(c.ids[0])
	if s == nil || !s.VisibleTo(c.viewer) {
		c.notFound("space")
		return
	}
	list(c, c.d.content.topics[s.ID], func(t Topic) any {
		return map[string]any{"id": t.ID, "name": t.Name, "admin_only": t.AdminOnly}
	}, nil)
}

func (c *call) getSpaceBookmarks() {
	s := c.d.Space(c.ids[0])
	if s == nil || !s.VisibleTo(c.viewer) {
		c.notFound("space")
		return
	}
	list(c, c.d.content.links[s.ID], func(l any) any { return l }, nil)
}

// followedPost is the post a follow or unfollow names, nil (answered)
// when it is not visible or the call carries a body.
func (c *call) followedPost() *Post {
	p := c.visiblePost(c.ids[0])
	if p == nil {
		c.notFound("post")
		return nil
	}
	if !c.noBody() {
		return nil
	}
	return p
}

func (c *call) follow() {
	p := c.followedPost()
	if p == nil {
		return
	}
	key := [2]int64{c.viewer, p.ID}
	if c.d.content.followers[key] == 0 {
		c.d.content.followers[key] = c.d.content.next(Follower0)
	}
	c.json(http.StatusOK, map[string]any{"success": true, "message": "Post followed."})
}

func (c *call) unfollow() {
	p := c.followedPost()
	if p == nil {
		return
	}
	key := [2]int64{c.viewer, p.ID}
	if len(c.ids) == 2 && c.d.content.followers[key] != c.ids[1] {
		c.notFound("post_follower")
		return
	}
	delete(c.d.content.followers, key)
	c.json(http.StatusOK, map[string]any{"success": true, "message": "Post unfollowed."})
}

// renderBookmark is a bookmark as the document's example shows it.
func (c *call) renderBookmark(b *Bookmark) any {
	out := map[string]any{"id": b.ID, "record_id": b.RecordID, "bookmark_type": b.Kind, "created_at": TS(b.Created),
		"community_id": 1, "community_member_id": b.MemberID, "bookmark_record": map[string]any{}, "is_deleted": true}
	var p *Post
	var cm *Comment
	if b.Kind == "post" {
		p = c.visiblePost(b.RecordID)
	} else if cm = c.d.Comment(b.RecordID); cm != nil {
		p = c.visiblePost(cm.PostID)
	}
	if p == nil {
		return out
	}
	space := c.d.Space(p.SpaceID)
	author, body, created, url := c.d.Member(p.AuthorID), p.Plain, p.Created, Site+"/c/"+space.Slug+"/"+p.Slug
	if cm != nil {
		author, body, created, url = c.d.Member(cm.AuthorID), cm.Text, cm.Created, url+"#comment_wrapper_"+ID(cm.ID)
	}
	out["is_deleted"] = false
	out["bookmark_record"] = map[string]any{"id": b.RecordID, "slug": p.Slug, "created_at": TS(created), "name": p.DisplayTitle,
		"url": url, "body": body, "attachment_count": 0, "hide_meta_info": false,
		"author": map[string]any{"name": author.Name, "avatar_url": author.Avatar, "community_member_id": author.ID},
		"space":  c.d.renderSpaceRef(space)}
	return out
}

func (c *call) getBookmarks() {
	kind := c.q.Get("bookmark_type")
	var mine []*Bookmark
	for _, b := range slices.Backward(c.d.content.bookmarks) {
		if b.MemberID == c.viewer && (kind == "" || b.Kind == kind) {
			mine = append(mine, b)
		}
	}
	list(c, mine, func(b *Bookmark) any { return c.renderBookmark(b) }, nil)
}

func (c *call) createBookmark() {
	var body struct {
		RecordID     *int64 `json:"record_id"`
		BookmarkType string `json:"bookmark_type"`
	}
	if !c.strictBody(&body) {
		return
	}
	if body.RecordID == nil || (body.BookmarkType != "post" && body.BookmarkType != "comment") {
		c.d.violate("%s: record_id and bookmark_type (post or comment) are required", c.what)
		c.failWith(http.StatusUnprocessableEntity, "Bookmark type is not included in the list", map[string]any{"bookmark_type": []string{"is not included in the list"}})
		return
	}
	visible := false
	if body.BookmarkType == "post" {
		visible = c.visiblePost(*body.RecordID) != nil
	} else if cm := c.d.Comment(*body.RecordID); cm != nil {
		visible = c.visiblePost(cm.PostID) != nil
	}
	if !visible {
		c.notFound(body.BookmarkType)
		return
	}
	if c.d.BookmarkOf(c.viewer, body.BookmarkType, *body.RecordID) != nil {
		c.failWith(http.StatusUnprocessableEntity, "Record has already been bookmarked", map[string]any{"record_id": []string{"has already been taken"}})
		return
	}
	b := &Bookmark{ID: c.d.content.next(Bookmark0), MemberID: c.viewer, RecordID: *body.RecordID, Kind: body.BookmarkType, Created: Base.Add(time.Duration(c.d.content.nextID) * time.Minute)}
	c.d.content.bookmarks = append(c.d.content.bookmarks, b)
	c.json(http.StatusCreated, c.renderBookmark(b))
}

func (c *call) deleteBookmark() {
	if !c.noBody() {
		return
	}
	i := slices.IndexFunc(c.d.content.bookmarks, func(b *Bookmark) bool { return b.ID == c.ids[0] && b.MemberID == c.viewer })
	if i < 0 {
		c.notFound("bookmark")
		return
	}
	c.d.content.bookmarks = slices.Delete(c.d.content.bookmarks, i, i+1)
	c.w.WriteHeader(http.StatusNoContent)
}

// imageBody is the request body of both image post endpoints: creating
// names images by signed_id, updating moves them by id and position and
// adds new ones by image.
type imageBody struct {
	SpaceID           *int64          `json:"space_id"`
	Slug              *string         `json:"slug"`
	IsLikingEnabled   *bool           `json:"is_liking_enabled"`
	IsCommentsEnabled *bool           `json:"is_comments_enabled"`
	TiptapBody        json.RawMessage `json:"tiptap_body"`
	Gallery           *struct {
		Images []struct {
			ID       *int64  `json:"id"`
			SignedID *string `json:"signed_id"`
			Image    *string `json:"image"`
			Width    *int    `json:"width"`
			Height   *int    `json:"height"`
			Position *int    `json:"position"`
		} `json:"images_attributes"`
	} `json:"gallery_attributes"`
}

// caption reads a tiptap_body envelope's text.
func caption(raw json.RawMessage) (string, bool) {
	var env struct {
		Body struct {
			Type    string `json:"type"`
			Content []struct {
				Content []struct {
					Text string `json:"text"`
				} `json:"content"`
			} `json:"content"`
		} `json:"body"`
	}
	if json.Unmarshal(raw, &env) != nil || env.Body.Type != "doc" {
		return "", false
	}
	var parts []string
	for _, block := range env.Body.Content {
		for _, t := range block.Content {
			parts = append(parts, t.Text)
		}
	}
	return strings.Join(parts, " "), true
}

func (c *call) createImagePost() {
	s := c.d.Space(c.ids[0])
	if s == nil || !s.VisibleTo(c.viewer) {
		c.notFound("space")
		return
	}
	var body imageBody
	if !c.strictBody(&body) {
		return
	}
	if body.SpaceID == nil || *body.SpaceID != s.ID {
		c.d.violate("%s: space_id %v does not repeat the path's", c.what, body.SpaceID)
	}
	if !s.Members[c.viewer] {
		c.fail(http.StatusForbidden, "You are not allowed to perform this action.")
		return
	}
	if s.Kind != "image" {
		c.failWith(http.StatusUnprocessableEntity, "Image posts can only be created in an image space.", map[string]any{"space_id": []string{"is not an image space"}})
		return
	}
	var images []*Image
	if body.Gallery != nil {
		for _, in := range body.Gallery.Images {
			if in.SignedID == nil || in.ID != nil || in.Image != nil || in.Position != nil {
				c.d.violate("%s: a new image is named by signed_id alone", c.what)
				continue
			}
			img := &Image{ID: c.d.content.next(Image0), SignedID: *in.SignedID, Width: 1000, Height: 1000}
			if in.Width != nil && in.Height != nil {
				img.Width, img.Height = *in.Width, *in.Height
			}
			images = append(images, img)
		}
	}
	if len(images) == 0 {
		c.failWith(http.StatusUnprocessableEntity, "Gallery images can't be blank", map[string]any{"gallery": []string{"can't be blank"}})
		return
	}
	p := &Post{ID: Post0 + 100 + c.d.content.nextID, SpaceID: s.ID, AuthorID: c.viewer, Kind: "image", Likes: map[int64]bool{},
		Created: Base.Add(time.Duration(c.d.content.nextID) * time.Hour)}
	p.Updated = p.Created
	if body.TiptapBody != nil {
		text, ok := caption(body.TiptapBody)
		if !ok {
			c.failWith(http.StatusUnprocessableEntity, "Tiptap body is invalid", map[string]any{"tiptap_body": []string{"is invalid"}})
			return
		}
		p.Plain, p.DisplayTitle, p.Tiptap = text, text, tiptap(text)
	}
	p.Slug = Or(deref(body.Slug), "image-"+ID(p.ID))
	p.LikingOff = body.IsLikingEnabled != nil && !*body.IsLikingEnabled
	c.d.Posts = append(c.d.Posts, p)
	c.d.content.galleries[p.ID] = images
	c.json(http.StatusOK, c.renderPost(p))
}

func (c *call) updateImagePost() {
	p := c.visiblePost(c.ids[1])
	if p == nil || p.SpaceID != c.ids[0] || p.Kind != "image" {
		c.notFound("post")
		return
	}
	var body imageBody
	if !c.strictBody(&body) {
		return
	}
	if p.AuthorID != c.viewer {
		c.fail(http.StatusForbidden, "You are not allowed to perform this action.")
		return
	}
	images := slices.Clone(c.d.content.galleries[p.ID])
	if body.Gallery != nil {
		for _, in := range body.Gallery.Images {
			switch {
			case in.SignedID != nil || in.Width != nil || in.Height != nil:
				c.d.violate("%s: an update names images by id, position and image only", c.what)
			case in.ID != nil && in.Image == nil:
				i := slices.IndexFunc(images, func(img *Image) bool { return img.ID == *in.ID })
				if i < 0 {
					c.failWith(http.StatusUnprocessableEntity, "Gallery images is invalid", map[string]any{"gallery": []string{"is invalid"}})
					return
				}
				if in.Position != nil {
					img := images[i]
					images = slices.Delete(images, i, i+1)
					images = slices.Insert(images, min(*in.Position, len(images)), img)
				}
			case in.Image != nil && in.ID == nil && in.Position == nil:
				images = append(images, &Image{ID: c.d.content.next(Image0), SignedID: *in.Image, Width: 1000, Height: 1000})
			default:
				c.d.violate("%s: an image is an id (with a position) or an image, not both", c.what)
			}
		}
	}
	if body.TiptapBody != nil {
		text, ok := caption(body.TiptapBody)
		if !ok {
			c.failWith(http.StatusUnprocessableEntity, "Tiptap body is invalid", map[string]any{"tiptap_body": []string{"is invalid"}})
			return
		}
		p.Plain, p.DisplayTitle, p.Tiptap = text, text, tiptap(text)
	}
	if body.Slug != nil {
		p.Slug = *body.Slug
	}
	if body.IsLikingEnabled != nil {
		p.LikingOff = !*body.IsLikingEnabled
	}
	c.d.content.galleries[p.ID] = images
	p.Updated = p.Updated.Add(time.Hour)
	c.json(http.StatusOK, c.renderPost(p))
}

// renderGallery is an image post's gallery.
func (d *Circle) renderGallery(p *Post) map[string]any {
	images, ok := d.content.galleries[p.ID]
	if !ok {
		return map[string]any{"id": p.ID - Post0 + 400, "downloadable_images": false, "images": []any{map[string]any{
			"id": p.ID - Post0 + 900, "signed_id": "signed-" + p.Slug, "original_url": Site + "/rails/active_storage/" + p.Slug + ".jpeg",
			"url": Site + "/rails/active_storage/representations/" + p.Slug + ".jpeg", "filename": p.Slug + ".jpeg", "width": 2000, "height": 1333}}}
	}
	out := []any{}
	for _, img := range images {
		out = append(out, map[string]any{"id": img.ID, "signed_id": img.SignedID, "filename": "image-" + ID(img.ID) + ".jpeg",
			"original_url": Site + "/rails/active_storage/disk/" + img.SignedID + ".jpeg",
			"url":          Site + "/rails/active_storage/representations/redirect/" + img.SignedID + ".jpeg", "width": img.Width, "height": img.Height})
	}
	return map[string]any{"id": p.ID - Post0 + 400, "downloadable_images": false, "images": out}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
