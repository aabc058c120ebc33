package graph

// Helpers of the signed-in member's account mutations
// (account.resolvers.go): the input checks made before any upstream call,
// the request Circle gets, and the member the payload shows.

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"

	"github.com/circle-gateway/gateway/auth"
	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/graph/model"
)

// Bounds of the profile inputs, in characters. Circle documents none; these
// are Rails' string columns (255) and generous bounds for the rest, so that
// what is refused here is what Circle could not store anyway.
const (
	maxProfileNameChars     = 255
	maxProfileHeadlineChars = 255
	maxTimeZoneChars        = 100
	maxProfileFieldChars    = 10000
	maxProfileFieldAnswers  = 100
	maxProfileFieldChoices  = 100
	maxSignedIDBytes        = 1024
)

// signedIDPattern is an Active Storage signed id, as createDirectUpload
// returns it: a Base64 message, "--" and a hex digest.
var signedIDPattern = regexp.MustCompile(`^[A-Za-z0-9+/=_-]+--[0-9a-f]{20,128}$`)

// profileFields maps the request fields Circle's error_details may blame to
// the path of the argument they came from.
var profileFields = fieldPaths{
	"name":      {"input", "name"},
	"headline":  {"input", "headline"},
	"avatar":    {"input", "avatarSignedId"},
	"time_zone": {"input", "timeZone"},
}

// checkSignedID refuses, as BAD_USER_INPUT, a value that cannot be a signed
// id createDirectUpload handed out: it is not the user's to type.
func checkSignedID(arg, v string) error {
	if len(v) > maxSignedIDBytes || !signedIDPattern.MatchString(v) {
		return badInput("%s must be the signedId createDirectUpload returned", arg)
	}
	return nil
}

// printable reports whether s has no control characters.
func printable(s string) bool {
	return strings.IndexFunc(s, unicode.IsControl) < 0
}

// profileUpdate checks an UpdateProfileInput and turns it into Circle's
// request. Malformed ids are an error (BAD_USER_INPUT); what the member
// typed wrong is userErrors; with either, nothing may be sent. empty is
// true when the input changes nothing.
func profileUpdate(in model.UpdateProfileInput) (u circle.ProfileUpdate, empty bool, problems []*model.UserError, err error) {
	problem := func(field, msg string) {
		problems = append(problems, &model.UserError{Field: []string{"input", field}, Message: msg})
	}
	if in.Name != nil {
		name := strings.TrimSpace(*in.Name)
		switch n := utf8.RuneCountInString(name); {
		case n == 0:
			problem("name", "name must not be empty")
		case n > maxProfileNameChars:
			problem("name", "name must be at most 255 characters")
		case !printable(name):
			problem("name", "name must not contain control characters")
		}
		u.Name = &name
	}
	if in.Headline != nil {
		headline := strings.TrimSpace(*in.Headline)
		if utf8.RuneCountInString(headline) > maxProfileHeadlineChars {
			problem("headline", "headline must be at most 255 characters")
		} else if !printable(headline) {
			problem("headline", "headline must not contain control characters")
		}
		u.Headline = &headline
	}
	if in.AvatarSignedID != nil {
		if err := checkSignedID("input.avatarSignedId", *in.AvatarSignedID); err != nil {
			return u, false, nil, err
		}
		u.Avatar = in.AvatarSignedID
	}
	if in.TimeZone != nil {
		tz := strings.TrimSpace(*in.TimeZone)
		if tz == "" || utf8.RuneCountInString(tz) > maxTimeZoneChars || !printable(tz) {
			problem("timeZone", "timeZone must be a time zone name of at most 100 characters")
		}
		u.TimeZone = &tz
	}
	if in.MessagingEnabled != nil || in.VisibleInMemberDirectory != nil || in.MakeEmailPublic != nil {
		u.Preferences = &circle.ProfilePreferences{
			MessagingEnabled:         in.MessagingEnabled,
			VisibleInMemberDirectory: in.VisibleInMemberDirectory,
			MakeMyEmailPublic:        in.MakeEmailPublic,
		}
	}
	if len(in.ProfileFields) > maxProfileFieldAnswers {
		return u, false, nil, badInput("input.profileFields takes at most %d answers", maxProfileFieldAnswers)
	}
	for i, f := range in.ProfileFields {
		a, err := profileFieldUpdate(i, f, problem)
		if err != nil {
			return u, false, nil, err
		}
		u.ProfileFields = append(u.ProfileFields, a)
	}
	empty = u.Name == nil && u.Headline == nil && u.Avatar == nil && u.TimeZone == nil && u.Preferences == nil && len(u.ProfileFields) == 0
	return u, empty, problems, nil
}

// profileFieldUpdate checks one profile field answer.
func profileFieldUpdate(i int, f *model.ProfileFieldAnswerInput, problem func(field, msg string)) (circle.ProfileFieldUpdate, error) {
	arg := "input.profileFields[" + strconv.Itoa(i) + "]"
	var a circle.ProfileFieldUpdate
	var err error
	if a.ProfileFieldID, err = parseID(arg+".profileFieldId", f.ProfileFieldID); err != nil {
		return a, err
	}
	if f.AnswerID != nil {
		if a.ID, err = parseID(arg+".answerId", *f.AnswerID); err != nil {
			return a, err
		}
	}
	for _, text := range []struct {
		v    *string
		name string
		to   **string
	}{{f.Text, "text", &a.Text}, {f.Textarea, "textarea", &a.Textarea}} {
		if text.v == nil {
			continue
		}
		if utf8.RuneCountInString(*text.v) > maxProfileFieldChars {
			problem("profileFields", "profileFields["+strconv.Itoa(i)+"]."+text.name+" must be at most 10000 characters")
		}
		*text.to = text.v
	}
	if len(f.Choices) > maxProfileFieldChoices {
		return a, badInput("%s.choices takes at most %d choices", arg, maxProfileFieldChoices)
	}
	for j, c := range f.Choices {
		var pick circle.ProfileChoiceUpdate
		carg := arg + ".choices[" + strconv.Itoa(j) + "]"
		if pick.ProfileFieldChoiceID, err = parseID(carg+".choiceId", c.ChoiceID); err != nil {
			return a, err
		}
		if c.PickID != nil {
			if pick.ID, err = parseID(carg+".pickId", *c.PickID); err != nil {
				return a, err
			}
		}
		pick.Destroy = c.Remove != nil && *c.Remove
		a.Choices = append(a.Choices, pick)
	}
	return a, nil
}

// profileWrite runs a profile write (PUT /profile or PUT /signup/profile)
// after checking the input, and builds the payload. allowEmpty lets an
// input that changes nothing through (confirming a signup profile as it
// is). Circle's 409 (a signup profile confirmed already) is the member's
// to know, so it is a userError.
func profileWrite(ctx context.Context, in model.UpdateProfileInput, allowEmpty bool,
	do func(*circle.MemberAPI, context.Context, circle.ProfileUpdate) (*circle.UpdatedProfile, error)) (*model.ProfilePayload, error) {
	u, empty, problems, err := profileUpdate(in)
	if err != nil {
		return nil, err
	}
	if empty && !allowEmpty {
		problems = append(problems, &model.UserError{Field: []string{"input"}, Message: "give at least one field to change"})
	}
	if len(problems) > 0 {
		return &model.ProfilePayload{UserErrors: problems}, nil
	}
	l, out, err := write(ctx, func(api *circle.MemberAPI) (*circle.UpdatedProfile, error) { return do(api, ctx, u) })
	if circle.IsStatus(err, http.StatusConflict) {
		var ce *circle.Error
		errors.As(err, &ce)
		return &model.ProfilePayload{UserErrors: []*model.UserError{{Message: ce.Message}}}, nil
	}
	if problems, err := writeFailed(err, profileFields); problems != nil || err != nil {
		return &model.ProfilePayload{UserErrors: problems}, err
	}
	p := &model.ProfilePayload{Message: nonEmptyString(out.Message), UserErrors: noUserErrors()}
	if answered := answeredMember(out); answered != nil && payloadSelectsOnly(ctx, "member", "Member", "id", "name", "headline", "avatarUrl") {
		// Circle's answer holds every field the payload asks for.
		p.Member = answered
		return p, nil
	}
	p.Member = reread(ctx, "the profile", func() (*model.Member, error) {
		me, err := l.API.Me(ctx)
		if err != nil {
			return nil, err
		}
		return model.MemberFromCurrent(me), nil
	})
	return p, nil
}

// answeredMember is the member of a profile write's answer, or nil when
// the answer names no member (a Circle-compatible upstream may answer
// with the message only).
func answeredMember(out *circle.UpdatedProfile) *model.Member {
	c := out.CurrentMember
	id := c.CommunityMemberID
	if id == 0 {
		id = c.ID
	}
	if id == 0 || c.Name == "" {
		return nil
	}
	return model.MemberFromUpdate(id, c.Name, c.Headline, c.AvatarURL)
}

func nonEmptyString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// payloadSelectsOnly reports whether the payload field being resolved
// selects, under its field named field (of type typeName), nothing beyond
// allowed (and __typename). A payload that does not select field at all
// qualifies too.
func payloadSelectsOnly(ctx context.Context, field, typeName string, allowed ...string) bool {
	if !graphql.HasOperationContext(ctx) || graphql.GetFieldContext(ctx) == nil {
		return false
	}
	oc := graphql.GetOperationContext(ctx)
	for _, f := range graphql.CollectFieldsCtx(ctx, nil) {
		if f.Name != field {
			continue
		}
		for _, sub := range graphql.CollectFields(oc, f.Selections, []string{typeName}) {
			if sub.Name != "__typename" && !slices.Contains(allowed, sub.Name) {
				return false
			}
		}
	}
	return true
}

// confirmDeactivation checks deactivateAccount's confirmation against the
// member the request's token names.
func confirmDeactivation(ctx context.Context, confirm string) error {
	m, err := auth.FromContext(ctx)
	if err != nil {
		return err
	}
	id, err := parseID("confirmMemberId", confirm)
	if err != nil {
		return err
	}
	if m.MemberID == 0 || id != m.MemberID {
		return badInput("confirmMemberId must be the signed-in member's own id (me { id }): nothing was deactivated")
	}
	return nil
}
