package sandbox

import "encoding/json"

// The wire types of posts, comments and spaces (and the parts only image
// and event posts have), written from Circle's OpenAPI document
// (basic_post, image_post, event_post, comment, space) so that every field
// Circle sends is on the sandbox's wire too, whatever the gateway's client
// decodes; the conformance test checks them against the document.

// wireSpaceRef is the short space embedded in posts.
type wireSpaceRef struct {
	ID    int64   `json:"id"`
	Name  string  `json:"name"`
	Slug  string  `json:"slug"`
	Emoji *string `json:"emoji"`
}

// wireBody is the body object of a post or comment.
type wireBody struct {
	Attachments      map[string]any `json:"attachments"`
	AttachmentsArray []any          `json:"attachments_array"`
	HTML             string         `json:"html"`
}

func newWireBody(html string) *wireBody {
	return &wireBody{Attachments: map[string]any{}, AttachmentsArray: []any{}, HTML: html}
}

// wirePostPolicies is basic_post.policies.
type wirePostPolicies struct {
	CanDestroyPost   bool `json:"can_destroy_post"`
	CanDuplicatePost bool `json:"can_duplicate_post"`
	CanManagePost    bool `json:"can_manage_post"`
	CanReportPost    bool `json:"can_report_post"`
	CanUpdatePost    bool `json:"can_update_post"`
}

// wirePost is a post of any type as Circle writes it. The parts only
// image and event posts have are nil pointers otherwise, so that their
// fields are left out of other posts (encoding/json skips the fields of a
// nil embedded struct pointer).
type wirePost struct {
	PostType             string           `json:"post_type"`
	SpaceType            string           `json:"space_type"`
	Status               string           `json:"status"`
	ID                   int64            `json:"id"`
	Name                 *string          `json:"name"`
	DisplayTitle         string           `json:"display_title"`
	Slug                 string           `json:"slug"`
	CoverImage           *string          `json:"cover_image"`
	CardviewImage        *string          `json:"cardview_image"`
	IsCommentsClosed     bool             `json:"is_comments_closed"`
	IsCommentsEnabled    bool             `json:"is_comments_enabled"`
	IsLikingEnabled      bool             `json:"is_liking_enabled"`
	IsPinnedAtTopOfSpace bool             `json:"is_pinned_at_top_of_space"`
	CommentCount         int              `json:"comment_count"`
	UserLikesCount       int              `json:"user_likes_count"`
	IsLiked              bool             `json:"is_liked"`
	BookmarkID           *int64           `json:"bookmark_id"`
	Editor               string           `json:"editor"`
	Body                 *wireBody        `json:"body"`
	TiptapBody           json.RawMessage  `json:"tiptap_body"`
	BodyPlainText        string           `json:"body_plain_text"`
	URL                  string           `json:"url"`
	CreatedAt            wireTime         `json:"created_at"`
	UpdatedAt            wireTime         `json:"updated_at"`
	Space                wireSpaceRef     `json:"space"`
	PostFollowerID       *int64           `json:"post_follower_id"`
	Author               wireAuthor       `json:"author"`
	Topics               []wireTopic      `json:"topics"`
	Policies             wirePostPolicies `json:"policies"`

	*wireImagePart
	*wireEventPart
}

// wireImagePart is what an image post adds.
type wireImagePart struct {
	Gallery *wireGallery `json:"gallery"`
}

// wireGallery is image_post.gallery.
type wireGallery struct {
	ID                 int64              `json:"id"`
	DownloadableImages bool               `json:"downloadable_images"`
	Images             []wireGalleryImage `json:"images"`
}

// wireGalleryImage is one image of a gallery.
type wireGalleryImage struct {
	ID          int64  `json:"id"`
	SignedID    string `json:"signed_id"`
	OriginalURL string `json:"original_url"`
	URL         string `json:"url"`
	Filename    string `json:"filename"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
}

// wireEventPart is what an event post adds. rsvp_status is always there
// (null when the viewer has not answered).
type wireEventPart struct {
	EventSettings    wireEventSettings  `json:"event_setting_attributes"`
	EventType        string             `json:"event_type"`
	RecurringSetting *wireRecurrenceSet `json:"recurring_setting_attributes,omitempty"`
	RsvpedEvent      bool               `json:"rsvped_event"`
	RsvpStatus       *string            `json:"rsvp_status"`
}

// wireEventSettings is event_post.event_setting_attributes.
type wireEventSettings struct {
	StartsAt              wireTime `json:"starts_at"`
	EndsAt                wireTime `json:"ends_at"`
	InPersonLocation      *string  `json:"in_person_location"`
	HideLocationFromGuest bool     `json:"hide_location_from_non_attendees"`
	DurationInSeconds     int      `json:"duration_in_seconds"`
	RsvpDisabled          bool     `json:"rsvp_disabled"`
	HideAttendees         bool     `json:"hide_attendees"`
	LocationType          string   `json:"location_type"`
	VirtualLocationURL    string   `json:"virtual_location_url,omitempty"`
	RsvpLimit             *int     `json:"rsvp_limit"`
	RsvpCount             int      `json:"rsvp_count"`
}

// wireRecurrenceSet is event_post.recurring_setting_attributes.
type wireRecurrenceSet struct {
	Frequency   string   `json:"frequency"`
	EndsAt      wireTime `json:"ends_at"`
	Occurrences int      `json:"occurrences"`
	RangeType   string   `json:"range_type"`
}

// wireCommentPolicies is comment.policies.
type wireCommentPolicies struct {
	CanBookmark bool `json:"can_bookmark"`
	CanDestroy  bool `json:"can_destroy"`
	CanEdit     bool `json:"can_edit"`
	CanManage   bool `json:"can_manage"`
	CanReport   bool `json:"can_report"`
}

// wireComment is a comment or reply as Circle writes it. Replies is left
// out where Circle does not embed replies (in replies themselves).
type wireComment struct {
	ID                int64               `json:"id"`
	UserID            int64               `json:"user_id"`
	PostID            int64               `json:"post_id"`
	UserLikesCount    int                 `json:"user_likes_count"`
	CreatedAt         wireTime            `json:"created_at"`
	UpdatedAt         wireTime            `json:"updated_at"`
	ParentCommentID   *int64              `json:"parent_comment_id"`
	RepliesCount      int                 `json:"replies_count"`
	RemovedAt         wireTime            `json:"removed_at"`
	CommunityMemberID int64               `json:"community_member_id"`
	Editor            string              `json:"editor"`
	SpaceID           int64               `json:"space_id"`
	PostName          string              `json:"post_name"`
	Body              *wireBody           `json:"body"`
	TiptapBody        json.RawMessage     `json:"tiptap_body"`
	BodyText          string              `json:"body_text"`
	IsLiked           bool                `json:"is_liked"`
	BookmarkID        *int64              `json:"bookmark_id"`
	Author            wireAuthor          `json:"author"`
	Policies          wireCommentPolicies `json:"policies"`
	Replies           []wireComment       `json:"replies,omitempty"`
}

// wireSpacePolicies is space.policies.
type wireSpacePolicies struct {
	CanManageSpace   bool `json:"can_manage_space"`
	CanViewSpace     bool `json:"can_view_space"`
	CanLeaveSpace    bool `json:"can_leave_space"`
	CanCreatePost    bool `json:"can_create_post"`
	CanInviteMembers bool `json:"can_invite_members"`
}

// wireVisibleTabs is space.visible_tabs.
type wireVisibleTabs struct {
	Posts   bool `json:"posts"`
	Members bool `json:"members"`
}

// wireSpace is a space as GET /spaces and GET /spaces/{id} write it.
type wireSpace struct {
	ID                   int64             `json:"id"`
	Name                 string            `json:"name"`
	Slug                 string            `json:"slug"`
	SpaceGroupID         int64             `json:"space_group_id"`
	CommunityID          int64             `json:"community_id"`
	PostType             string            `json:"post_type"`
	SpaceType            string            `json:"space_type"`
	DisplayView          string            `json:"display_view"`
	Emoji                *string           `json:"emoji"`
	IsPrivate            bool              `json:"is_private"`
	SpaceGroupName       string            `json:"space_group_name"`
	URL                  string            `json:"url"`
	IsPostDisabled       bool              `json:"is_post_disabled"`
	IsMember             bool              `json:"is_member"`
	DefaultTab           string            `json:"default_tab"`
	VisibleTabs          wireVisibleTabs   `json:"visible_tabs"`
	DefaultSort          *string           `json:"default_sort"`
	ShowInSpacesSegment  bool              `json:"show_in_spaces_segment"`
	SpaceMemberID        *int64            `json:"space_member_id,omitempty"`
	Policies             wireSpacePolicies `json:"policies"`
	RequireTopicSelected bool              `json:"require_topic_selection"`
	TopicsCount          int               `json:"topics_count"`
	CoverImage           *string           `json:"cover_image"`
	CoverImageURL        *string           `json:"cover_image_url"`
}
