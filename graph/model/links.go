package model

import (
	"time"

	"github.com/circle-gateway/gateway/circle"
)

// CommunityLink is one of the community's navigation links.
type CommunityLink struct{ l *circle.CommunityLink }

// CommunityLinkFrom wraps a community link.
func CommunityLinkFrom(l *circle.CommunityLink) *CommunityLink { return &CommunityLink{l: l} }

// ID is the GraphQL id.
func (l *CommunityLink) ID() string { return FormatID(l.l.ID) }

// Name is the link's text.
func (l *CommunityLink) Name() string { return l.l.Name }

// URL is where the link points.
func (l *CommunityLink) URL() string { return l.l.URL }

// CreatedAt is when the link was added.
func (l *CommunityLink) CreatedAt() *time.Time { return l.l.CreatedAt.Ptr() }

// UpdatedAt is the last change.
func (l *CommunityLink) UpdatedAt() *time.Time { return l.l.UpdatedAt.Ptr() }

// ProfileField is one of the community's profile fields.
type ProfileField struct{ f *circle.ProfileField }

// ProfileFieldFrom wraps a profile field.
func ProfileFieldFrom(f *circle.ProfileField) *ProfileField { return &ProfileField{f: f} }

// ID is the GraphQL id.
func (f *ProfileField) ID() string { return FormatID(f.f.ID) }

// Label is the field's label.
func (f *ProfileField) Label() string { return f.f.Label }

// FieldType is Circle's field type.
func (f *ProfileField) FieldType() string { return f.f.FieldType }

// Key is the field's key.
func (f *ProfileField) Key() string { return f.f.Key }

// Placeholder is the input's placeholder.
func (f *ProfileField) Placeholder() *string { return nonEmptyPtr(f.f.Placeholder) }

// Description is the help text.
func (f *ProfileField) Description() *string { return nonEmptyPtr(f.f.Description) }

// Required reports whether members must answer.
func (f *ProfileField) Required() bool { return f.f.Required }

// AllowNull reports whether the answer may be empty.
func (f *ProfileField) AllowNull() bool { return f.f.AllowNull }

// PlatformField reports whether Circle defines the field.
func (f *ProfileField) PlatformField() bool { return f.f.PlatformField }

// NumberFormat is how a number field is shown.
func (f *ProfileField) NumberFormat() *ProfileFieldNumberFormat {
	n := f.f.NumberOptions
	if n == nil {
		return nil
	}
	return &ProfileFieldNumberFormat{Format: nonEmpty(n.Format), Decimals: n.Decimal, Position: n.Position, Text: nonEmptyPtr(n.Text)}
}

// Choices are the choices of a choice field.
func (f *ProfileField) Choices() []*ProfileFieldChoice {
	out := make([]*ProfileFieldChoice, len(f.f.Choices))
	for i, c := range f.f.Choices {
		out[i] = &ProfileFieldChoice{ID: FormatID(c.ID), Value: c.Value}
	}
	return out
}
