package circle

import (
	"context"
	"encoding/json"
	"net/http"
)

// Posts beyond creating, liking and deleting them: a space's topics, a
// member following a post, and image posts, whose pictures are files the
// client uploaded itself (createDirectUpload) and names here by signed id.

// SpaceTopics lists the topics posts of a space can be tagged with:
// GET /spaces/{space_id}/topics.
func (m *MemberAPI) SpaceTopics(ctx context.Context, spaceID int64, p ListParams) (*Page[Topic], error) {
	var out Page[Topic]
	return &out, m.get(ctx, "/spaces/{space_id}/topics", "/spaces/"+id(spaceID)+"/topics", p.query(), &out)
}

// FollowPost makes the member follow a post, so that its new comments
// notify them: POST /posts/{post_id}/post_followers. Circle answers only
// {success, message}; callers re-read the post for its post_follower_id.
func (m *MemberAPI) FollowPost(ctx context.Context, postID int64) error {
	return m.write(ctx, http.MethodPost, "/posts/{post_id}/post_followers", "/posts/"+id(postID)+"/post_followers", nil, nil)
}

// UnfollowPost ends the member's following of a post:
// DELETE /posts/{post_id}/post_followers.
func (m *MemberAPI) UnfollowPost(ctx context.Context, postID int64) error {
	return m.write(ctx, http.MethodDelete, "/posts/{post_id}/post_followers", "/posts/"+id(postID)+"/post_followers", nil, nil)
}

// UnfollowPostByID ends the following a post_follower_id names:
// DELETE /posts/{post_id}/post_followers/{id}.
func (m *MemberAPI) UnfollowPostByID(ctx context.Context, postID, followerID int64) error {
	return m.write(ctx, http.MethodDelete, "/posts/{post_id}/post_followers/{id}", "/posts/"+id(postID)+"/post_followers/"+id(followerID), nil, nil)
}

// ImagePostSettings are what both image post writes take besides the
// gallery: the caption (TiptapBody, sent exactly as given), the slug and
// the comment and like settings. Zero fields are not sent, so Circle's
// defaults apply on a new post and the post's values stay on an update.
type ImagePostSettings struct {
	Slug              string          `json:"slug,omitempty"`
	TiptapBody        json.RawMessage `json:"tiptap_body,omitempty"`
	IsCommentsEnabled *bool           `json:"is_comments_enabled,omitempty"`
	IsLikingEnabled   *bool           `json:"is_liking_enabled,omitempty"`
}

// NewImagePost is the body of POST /spaces/{space_id}/images/posts. An image
// post has no title: its caption is the settings' TiptapBody.
type NewImagePost struct {
	// SpaceID repeats the path's space id, as Circle's request schema has it.
	SpaceID int64 `json:"space_id"`
	ImagePostSettings
	Gallery struct {
		Images []NewGalleryImage `json:"images_attributes"`
	} `json:"gallery_attributes"`
}

// NewGalleryImage is an image of a new image post: an uploaded file by its
// signed id, with its size in pixels when the client knows it.
type NewGalleryImage struct {
	SignedID string `json:"signed_id"`
	Width    *int   `json:"width,omitempty"`
	Height   *int   `json:"height,omitempty"`
}

// ImagePostUpdate is the body of PUT /spaces/{space_id}/images/posts/{id}.
// Gallery is sent only when it names images.
type ImagePostUpdate struct {
	SpaceID int64 `json:"space_id"`
	ImagePostSettings
	Gallery *GalleryChanges `json:"gallery_attributes,omitempty"`
}

// GalleryChanges are the images an update names, in the document's
// images_attributes.
type GalleryChanges struct {
	Images []GalleryImageChange `json:"images_attributes"`
}

// GalleryImageChange is one image of an update, as the document has it: an
// image of the gallery by ID (moved to Position when set), or a new one by
// Image, the signed id of an uploaded file.
type GalleryImageChange struct {
	ID       int64  `json:"id,omitempty"`
	Image    string `json:"image,omitempty"`
	Position *int   `json:"position,omitempty"`
}

// CreateImagePost publishes an image post: POST /spaces/{space_id}/images/posts.
// Circle answers with the new post as the member sees it, gallery included.
func (m *MemberAPI) CreateImagePost(ctx context.Context, spaceID int64, p NewImagePost) (*Post, error) {
	p.SpaceID = spaceID
	var out Post
	if err := m.write(ctx, http.MethodPost, "/spaces/{space_id}/images/posts", "/spaces/"+id(spaceID)+"/images/posts", p, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateImagePost changes an image post's caption, settings or gallery:
// PUT /spaces/{space_id}/images/posts/{id}. Circle answers with the post as
// it now is.
func (m *MemberAPI) UpdateImagePost(ctx context.Context, spaceID, postID int64, u ImagePostUpdate) (*Post, error) {
	u.SpaceID = spaceID
	var out Post
	if err := m.write(ctx, http.MethodPut, "/spaces/{space_id}/images/posts/{id}", "/spaces/"+id(spaceID)+"/images/posts/"+id(postID), u, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
