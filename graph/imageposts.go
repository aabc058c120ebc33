package graph

// Helpers of image posts, follows, topics and bookmarks
// (image_post.resolvers.go, topic.resolvers.go, bookmark.resolvers.go): the
// input checks made before any upstream call, and Circle's answers as the
// schema's types.

import (
	"context"
	"fmt"
	"strings"

	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/graph/model"
	"github.com/circle-gateway/gateway/loaders"
	"github.com/circle-gateway/gateway/relay"
)

// Bounds of the image post inputs. Circle documents none; a gallery of 50
// images is the most its web app offers, and no camera makes an image
// wider or taller than 20000 pixels.
const (
	maxGalleryImages    = 50
	maxImageSidePixels  = 20000
	maxGalleryPosition  = maxGalleryImages * 10
	maxPostSlugChars    = 100
	minGalleryImages    = 1
	galleryImagesNeeded = "an image post needs at least one image"
)

// The argument paths of the new writes' Circle fields.
var (
	imagePostFields = fieldPaths{
		"space_id":            {"input", "spaceId"},
		"slug":                {"input", "slug"},
		"tiptap_body":         {"input", "tiptapBody"},
		"gallery":             {"input", "images"},
		"gallery_attributes":  {"input", "images"},
		"images":              {"input", "images"},
		"is_comments_enabled": {"input", "isCommentsEnabled"},
		"is_liking_enabled":   {"input", "isLikingEnabled"},
	}
	bookmarkFields = fieldPaths{
		"record_id":     {"recordId"},
		"bookmark_type": {"type"},
	}
)

// checkPostSlug refuses a slug that is not lowercase letters, digits and
// single dashes; an absent one is fine.
func checkPostSlug(slug *string) []*model.UserError {
	if slug == nil {
		return nil
	}
	if len(*slug) > maxPostSlugChars || !liveRoomSlugPattern.MatchString(*slug) {
		return []*model.UserError{{Field: []string{"input", "slug"}, Message: "slug must be lowercase letters, digits and single dashes, at most 100 characters"}}
	}
	return nil
}

// imageSide checks an image's width or height: 1 to maxImageSidePixels.
func imageSide(arg string, v *int) error {
	if v != nil && (*v < 1 || *v > maxImageSidePixels) {
		return badInput("%s must be 1 to %d pixels, got %d", arg, maxImageSidePixels, *v)
	}
	return nil
}

// galleryCount refuses a gallery of no images or of more than the bound,
// as userErrors on input.images.
func galleryCount(n, least int) []*model.UserError {
	switch {
	case n < least:
		return []*model.UserError{{Field: []string{"input", "images"}, Message: galleryImagesNeeded}}
	case n > maxGalleryImages:
		return []*model.UserError{{Field: []string{"input", "images"}, Message: "an image post takes at most 50 images"}}
	}
	return nil
}

// newImagePost checks a CreateImagePostInput: malformed ids and sizes are
// errors (BAD_USER_INPUT), what a form can get wrong is userErrors; either
// way nothing is sent.
func newImagePost(in model.CreateImagePostInput) (circle.NewImagePost, []*model.UserError, error) {
	var out circle.NewImagePost
	for _, img := range in.Images {
		if err := checkSignedID("input.images.signedId", img.SignedID); err != nil {
			return out, nil, err
		}
		if err := imageSide("input.images.width", img.Width); err != nil {
			return out, nil, err
		}
		if err := imageSide("input.images.height", img.Height); err != nil {
			return out, nil, err
		}
		out.Gallery.Images = append(out.Gallery.Images, circle.NewGalleryImage{SignedID: img.SignedID, Width: img.Width, Height: img.Height})
	}
	settings, problems := imageSettings(in.TiptapBody, in.Slug, in.IsCommentsEnabled, in.IsLikingEnabled)
	problems = append(galleryCount(len(in.Images), minGalleryImages), problems...)
	if len(problems) > 0 {
		return out, problems, nil
	}
	out.ImagePostSettings = settings
	return out, nil, nil
}

// imagePostUpdate checks an UpdateImagePostInput. Each image names exactly
// one of an image of the gallery (id, with an optional position) and a new
// upload (signedId); an update that changes nothing is refused, since it
// would cost a call for nothing.
func imagePostUpdate(in model.UpdateImagePostInput) (circle.ImagePostUpdate, []*model.UserError, error) {
	var out circle.ImagePostUpdate
	if len(in.Images) > 0 {
		out.Gallery = &circle.GalleryChanges{}
	}
	for _, img := range in.Images {
		var ch circle.GalleryImageChange
		switch {
		case (img.ID == nil) == (img.SignedID == nil):
			return out, nil, badInput("each of input.images gives exactly one of id (an image of the gallery) and signedId (a new upload)")
		case img.ID != nil:
			id, err := parseID("input.images.id", *img.ID)
			if err != nil {
				return out, nil, err
			}
			ch.ID = id
		default:
			if err := checkSignedID("input.images.signedId", *img.SignedID); err != nil {
				return out, nil, err
			}
			if img.Position != nil {
				return out, nil, badInput("input.images.position goes with id: a new image joins the end of the gallery")
			}
			ch.Image = *img.SignedID
		}
		if p := img.Position; p != nil {
			if *p < 0 || *p > maxGalleryPosition {
				return out, nil, badInput("input.images.position must be 0 to %d, got %d", maxGalleryPosition, *p)
			}
			ch.Position = p
		}
		out.Gallery.Images = append(out.Gallery.Images, ch)
	}
	settings, problems := imageSettings(in.TiptapBody, in.Slug, in.IsCommentsEnabled, in.IsLikingEnabled)
	problems = append(galleryCount(len(in.Images), 0), problems...)
	if len(problems) == 0 && len(in.Images) == 0 && settings.TiptapBody == nil && settings.Slug == "" && settings.IsCommentsEnabled == nil && settings.IsLikingEnabled == nil {
		problems = append(problems, &model.UserError{Field: []string{"input"}, Message: "give at least one change: tiptapBody, slug, isCommentsEnabled, isLikingEnabled or images"})
	}
	if len(problems) > 0 {
		return out, problems, nil
	}
	out.ImagePostSettings = settings
	return out, nil, nil
}

// imageSettings checks the caption and slug of an image post write and
// gathers them with the comment and like settings.
func imageSettings(tiptap model.JSON, slug *string, comments, liking *bool) (circle.ImagePostSettings, []*model.UserError) {
	problems := append(checkTiptap(tiptap, "input"), checkPostSlug(slug)...)
	return circle.ImagePostSettings{Slug: deref(slug), TiptapBody: rawJSON(tiptap), IsCommentsEnabled: comments, IsLikingEnabled: liking}, problems
}

// writtenPost is the payload of a write Circle answered with the post: the
// answer itself, or a re-read when it lacks the embedded space its
// relations need (as a Circle-compatible upstream might).
func writtenPost(ctx context.Context, l *loaders.Loaders, what string, spaceID int64, p *circle.Post) (*model.PostPayload, error) {
	if p == nil || p.ID == 0 {
		return nil, fmt.Errorf("%s: Circle's answer holds no post id", what)
	}
	if p.Space.ID == 0 {
		return &model.PostPayload{Post: rereadPost(ctx, l, loaders.PostKey{SpaceID: spaceID, PostID: p.ID}), UserErrors: noUserErrors()}, nil
	}
	return &model.PostPayload{Post: model.PostFrom(p), UserErrors: noUserErrors()}, nil
}

// bookmarkKind maps BookmarkType to Circle's bookmark_type; "" for none.
func bookmarkKind(t *model.BookmarkType) string {
	if t == nil {
		return ""
	}
	if *t == model.BookmarkTypeComment {
		return circle.BookmarkComment
	}
	return circle.BookmarkPost
}

// spaceList is list for the lists a space owns (its topics, its sidebar
// links), fetched by the space's id through fetch, a method expression
// such as (*circle.MemberAPI).SpaceTopics. The home space (Query.homeSpace, id 0)
// is no space of Circle's and has none: its page is empty, with no call.
func spaceList[T, C any](ctx context.Context, s *model.Space, first *int, after *string, build func(context.Context, relay.Result[T]) C,
	fetch func(api *circle.MemberAPI, ctx context.Context, spaceID int64, p circle.ListParams) (*circle.Page[T], error)) (C, error) {
	var zero C
	if id := s.CircleID(); id > 0 {
		return list(ctx, first, after, build, func(ctx context.Context, api *circle.MemberAPI, p circle.ListParams) (*circle.Page[T], error) {
			return fetch(api, ctx, id, p)
		})
	}
	w, err := relay.NewWindow(first, after)
	if err != nil {
		return zero, err
	}
	if err := signedIn(ctx); err != nil {
		return zero, err
	}
	return build(ctx, relay.Result[T]{Offset: w.Offset}), nil
}

// topicConnection builds a page of a space's topics.
func topicConnection(_ context.Context, res relay.Result[circle.Topic]) *model.TopicConnection {
	c := &model.TopicConnection{}
	c.Edges, c.Nodes, c.PageInfo, c.TotalCount = connection(res, model.TopicFrom,
		func(cursor string, n *model.Topic) *model.TopicEdge { return &model.TopicEdge{Cursor: cursor, Node: n} })
	return c
}

// bookmarkConnection builds a page of the member's bookmarks.
func bookmarkConnection(_ context.Context, res relay.Result[circle.Bookmark]) *model.BookmarkConnection {
	c := &model.BookmarkConnection{}
	c.Edges, c.Nodes, c.PageInfo, c.TotalCount = connection(res, model.BookmarkFrom,
		func(cursor string, n *model.Bookmark) *model.BookmarkEdge {
			return &model.BookmarkEdge{Cursor: cursor, Node: n}
		})
	return c
}

// spaceBookmarkConnection builds a page of a space's sidebar links.
func spaceBookmarkConnection(_ context.Context, res relay.Result[circle.SpaceBookmark]) *model.SpaceBookmarkConnection {
	c := &model.SpaceBookmarkConnection{}
	c.Edges, c.Nodes, c.PageInfo, c.TotalCount = connection(res, spaceBookmark,
		func(cursor string, n *model.SpaceBookmark) *model.SpaceBookmarkEdge {
			return &model.SpaceBookmarkEdge{Cursor: cursor, Node: n}
		})
	return c
}

// spaceBookmark is the GraphQL view of a sidebar link or folder.
func spaceBookmark(b *circle.SpaceBookmark) *model.SpaceBookmark {
	out := &model.SpaceBookmark{
		ID: model.FormatID(b.ID), Name: b.Name, URL: nonEmptyString(b.URL), Emoji: nonEmptyPtr(b.Emoji),
		CustomEmojiURL: nonEmptyPtr(b.CustomEmojiURL), CustomEmojiDarkURL: nonEmptyPtr(b.CustomEmojiDarkURL),
		Links: make([]*model.SpaceBookmark, len(b.Links)),
	}
	if k := model.SpaceBookmarkKind(strings.ToUpper(b.DisplayType)); k.IsValid() {
		out.Kind = &k
	}
	for i := range b.Links {
		out.Links[i] = spaceBookmark(&b.Links[i])
	}
	return out
}

// nonEmptyPtr is s, or nil when it is nil or empty.
func nonEmptyPtr(s *string) *string {
	if s == nil || *s == "" {
		return nil
	}
	return s
}
