package circle

import "context"

// Community-wide reads: the links of the community's navigation and the
// profile fields each page shows.

// CommunityLink is one link of GET /community_links.
type CommunityLink struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	URL         string    `json:"url"`
	CommunityID int64     `json:"community_id"`
	CreatedAt   Timestamp `json:"created_at"`
	UpdatedAt   Timestamp `json:"updated_at"`
}

// CommunityLinks lists the community's links: GET /community_links (not
// paginated).
func (m *MemberAPI) CommunityLinks(ctx context.Context) ([]CommunityLink, error) {
	var out []CommunityLink
	return out, m.get(ctx, "/community_links", "/community_links", nil, &out)
}

// ProfileFieldNumberOptions is how a number field is shown.
type ProfileFieldNumberOptions struct {
	ID       int64   `json:"id"`
	Format   string  `json:"format"`
	Decimal  *int    `json:"decimal"`
	Position *int    `json:"position"`
	Text     *string `json:"text"`
}

// ProfileFieldChoice is one choice of a choice field.
type ProfileFieldChoice struct {
	ID    int64  `json:"id"`
	Value string `json:"value"`
}

// ProfileField is one field of GET /page_profile_fields.
type ProfileField struct {
	ID            int64                      `json:"id"`
	Label         string                     `json:"label"`
	FieldType     string                     `json:"field_type"`
	Key           string                     `json:"key"`
	Placeholder   *string                    `json:"placeholder"`
	Description   *string                    `json:"description"`
	Required      bool                       `json:"required"`
	AllowNull     bool                       `json:"allow_null"`
	PlatformField bool                       `json:"platform_field"`
	NumberOptions *ProfileFieldNumberOptions `json:"number_options"`
	Choices       []ProfileFieldChoice       `json:"choices"`
}

// Profile pages, as page_name takes them.
const (
	ProfilePageSignup        = "signup"
	ProfilePageEditProfile   = "edit_profile"
	ProfilePageProfileView   = "profile_view"
	ProfilePageCommunityView = "community_view"
)

// PageProfileFields lists the profile fields a page shows:
// GET /page_profile_fields?page_name=….
func (m *MemberAPI) PageProfileFields(ctx context.Context, page string, p ListParams) (*Page[ProfileField], error) {
	q := p.query()
	q.Set("page_name", page)
	var out Page[ProfileField]
	return &out, m.get(ctx, "/page_profile_fields", "/page_profile_fields", q, &out)
}
