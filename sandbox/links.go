package sandbox

import (
	"net/http"
	"slices"
	"time"
)

// Community-wide reads: the community's navigation links (GET
// /community_links) and the profile fields each page shows (GET
// /page_profile_fields). Both are fixed demo data, the same on every
// start, with ids of their own ranges.

const (
	firstCommunityLinkID = 78001
	firstProfileFieldID  = 81001
	firstFieldChoiceID   = 82001
)

// msgUnsupportedPage is Circle's 400 for a page_name it does not know,
// word for word from the document.
const msgUnsupportedPage = "Unsupported page_name param, supported values are signup, edit_profile, profile_view, community_view"

// linksAddedAt is when the demo community's links were added: a fixed
// date, as the links are the same on every start.
var linksAddedAt = time.Date(2024, 6, 11, 11, 34, 13, 0, time.UTC)

// profilePages are the page names GET /page_profile_fields takes.
var profilePages = []string{"signup", "edit_profile", "profile_view", "community_view"}

type communityLink struct {
	id        int64
	name, url string
}

type profileField struct {
	id                    int64
	label, fieldType, key string
	placeholder, help     string
	required, allowNull   bool
	platform              bool
	decimals              *int // number fields
	choices               []string
	pages                 []string
}

// The demo community's links and profile fields.
var (
	communityLinks = []communityLink{
		{firstCommunityLinkID, "Community guidelines", communityURL + "/guidelines"},
		{firstCommunityLinkID + 1, "Help center", "https://help.sandbox-community.example.com/"},
		{firstCommunityLinkID + 2, "Code of conduct", communityURL + "/code-of-conduct"},
	}
	zeroDecimals  = 0
	profileFields = []profileField{
		{id: firstProfileFieldID, label: "What do you do?", fieldType: "text", key: "profile_field_job", placeholder: "e.g. Product designer", allowNull: true, pages: profilePages},
		{id: firstProfileFieldID + 1, label: "Years of experience", fieldType: "number", key: "profile_field_experience", allowNull: true, decimals: &zeroDecimals, pages: []string{"edit_profile", "profile_view", "community_view"}},
		{id: firstProfileFieldID + 2, label: "Favourite topic", fieldType: "select", key: "profile_field_topic", help: "Pick the one you would talk about all day.", allowNull: true, choices: []string{"Design", "Engineering", "Community"}, pages: []string{"signup", "edit_profile", "profile_view"}},
		{id: firstProfileFieldID + 3, label: "What brings you here?", fieldType: "textarea", key: "profile_field_reason", required: true, pages: []string{"signup", "edit_profile"}},
		{id: firstProfileFieldID + 4, label: "Location", fieldType: "location", key: "location", platform: true, allowNull: true, pages: []string{"edit_profile", "profile_view", "community_view"}},
	}
)

type wireCommunityLink struct {
	ID          int64    `json:"id"`
	Name        string   `json:"name"`
	URL         string   `json:"url"`
	CommunityID int64    `json:"community_id"`
	CreatedAt   wireTime `json:"created_at"`
	UpdatedAt   wireTime `json:"updated_at"`
}

type wireNumberOptions struct {
	ID       int64   `json:"id"`
	Format   string  `json:"format"`
	Decimal  int     `json:"decimal"`
	Position *int    `json:"position"`
	Text     *string `json:"text"`
}

type wireFieldChoice struct {
	ID    int64  `json:"id"`
	Value string `json:"value"`
}

type wireProfileField struct {
	ID            int64              `json:"id"`
	Label         string             `json:"label"`
	FieldType     string             `json:"field_type"`
	Key           string             `json:"key"`
	Placeholder   *string            `json:"placeholder"`
	Description   *string            `json:"description"`
	Required      bool               `json:"required"`
	AllowNull     bool               `json:"allow_null"`
	PlatformField bool               `json:"platform_field"`
	NumberOptions *wireNumberOptions `json:"number_options"`
	Choices       []wireFieldChoice  `json:"choices"`
}

func nonEmptyPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (f profileField) wire() wireProfileField {
	out := wireProfileField{ID: f.id, Label: f.label, FieldType: f.fieldType, Key: f.key, Placeholder: nonEmptyPtr(f.placeholder), Description: nonEmptyPtr(f.help),
		Required: f.required, AllowNull: f.allowNull, PlatformField: f.platform, Choices: []wireFieldChoice{}}
	if f.decimals != nil {
		out.NumberOptions = &wireNumberOptions{ID: f.id - firstProfileFieldID + 1, Format: "number", Decimal: *f.decimals}
	}
	for i, c := range f.choices {
		out.Choices = append(out.Choices, wireFieldChoice{ID: firstFieldChoiceID + (f.id-firstProfileFieldID)*10 + int64(i), Value: c})
	}
	return out
}

// linkRoutes adds the community links and profile fields endpoints through member.
func (s *Sandbox) linkRoutes(member func(method, path string, h memberHandler)) {
	member(http.MethodGet, "/community_links", s.communityLinks)
	member(http.MethodGet, "/page_profile_fields", s.pageProfileFields)
}

func (s *Sandbox) communityLinks(w http.ResponseWriter, _ *http.Request, _ int64) {
	at := linksAddedAt
	out := make([]wireCommunityLink, len(communityLinks))
	for i, l := range communityLinks {
		t := at.Add(time.Duration(i) * time.Hour)
		out[i] = wireCommunityLink{ID: l.id, Name: l.name, URL: l.url, CommunityID: communityID, CreatedAt: wireTime(t), UpdatedAt: wireTime(t)}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Sandbox) pageProfileFields(w http.ResponseWriter, r *http.Request, _ int64) {
	q := r.URL.Query()
	page := q.Get("page_name")
	if !slices.Contains(profilePages, page) {
		writeError(w, &apiError{status: http.StatusBadRequest, message: msgUnsupportedPage})
		return
	}
	var fields []profileField
	for _, f := range profileFields {
		if slices.Contains(f.pages, page) {
			fields = append(fields, f)
		}
	}
	writeJSON(w, http.StatusOK, ownPage(fields, pageFrom(q, defaultPerPage), profileField.wire))
}
