package graph

// Helpers of the small community actions (community_actions.resolvers.go):
// input checks made before any upstream call, and Circle's answers as the
// schema's types.

import (
	"context"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/graph/model"
)

// Bounds of the community actions' inputs, in characters.
const (
	maxReportDetailsChars  = 2000
	maxLiveRoomNameChars   = 255
	maxLiveRoomDescChars   = 2000
	maxLiveRoomSlugChars   = 100
	maxLiveRoomInvitees    = 100
	maxInvitationTokenSize = 200
)

var (
	// invitationTokenPattern is what an invitation link's last segment can
	// be; anything else cannot name an invitation and could not be one
	// path segment.
	invitationTokenPattern = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	// liveRoomSlugPattern is a URL slug.
	liveRoomSlugPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
)

// reportFields maps Circle's flagged_content fields to the input's.
var reportFields = fieldPaths{
	"flagged_contentable_id":   {"input", "contentId"},
	"flagged_contentable_type": {"input", "contentType"},
	"reported_reason_type":     {"input", "reason"},
	"reported_reason_body":     {"input", "details"},
}

// liveRoomFields maps Circle's live room fields to the input's.
var liveRoomFields = fieldPaths{
	"name":        {"input", "name"},
	"description": {"input", "description"},
	"slug":        {"input", "slug"},
}

// contentReport checks a ReportContentInput.
func contentReport(in model.ReportContentInput) (circle.ContentReport, []*model.UserError, error) {
	id, err := parseID("input.contentId", in.ContentID)
	if err != nil {
		return circle.ContentReport{}, nil, err
	}
	r := circle.ContentReport{ContentID: id, ContentType: "Post", Reason: strings.ToLower(string(in.Reason))}
	if in.ContentType == model.ReportedContentTypeComment {
		r.ContentType = "Comment"
	}
	if in.Details != nil {
		r.Details = strings.TrimSpace(*in.Details)
	}
	var problems []*model.UserError
	switch {
	case utf8.RuneCountInString(r.Details) > maxReportDetailsChars:
		problems = append(problems, &model.UserError{Field: []string{"input", "details"}, Message: "details must be at most 2000 characters"})
	case in.Reason == model.ReportReasonOther && r.Details == "":
		problems = append(problems, &model.UserError{Field: []string{"input", "details"}, Message: "say what is wrong in details when the reason is OTHER"})
	}
	return r, problems, nil
}

// checkInvitationToken refuses a token that cannot be an invitation
// link's, before any call.
func checkInvitationToken(token string) error {
	if len(token) == 0 || len(token) > maxInvitationTokenSize || !invitationTokenPattern.MatchString(token) {
		return badInput("token must be an invitation link's token: 1 to %d letters, digits, dashes or underscores", maxInvitationTokenSize)
	}
	return nil
}

// newLiveRoom checks a CreateLiveRoomInput.
func newLiveRoom(in model.CreateLiveRoomInput) (circle.NewLiveRoom, []*model.UserError, error) {
	var problems []*model.UserError
	problem := func(field, msg string) {
		problems = append(problems, &model.UserError{Field: []string{"input", field}, Message: msg})
	}
	r := circle.NewLiveRoom{
		Name:             strings.TrimSpace(in.Name),
		RecordingEnabled: in.RecordingEnabled,
		MuteOnJoin:       in.MuteOnJoin,
		LimitURLSharing:  in.LimitURLSharing,
	}
	switch n := utf8.RuneCountInString(r.Name); {
	case n == 0:
		problem("name", "name must not be empty")
	case n > maxLiveRoomNameChars:
		problem("name", "name must be at most 255 characters")
	}
	if in.Description != nil {
		r.Description = strings.TrimSpace(*in.Description)
		if utf8.RuneCountInString(r.Description) > maxLiveRoomDescChars {
			problem("description", "description must be at most 2000 characters")
		}
	}
	if in.Slug != nil {
		r.Slug = strings.TrimSpace(*in.Slug)
		if len(r.Slug) > maxLiveRoomSlugChars || !liveRoomSlugPattern.MatchString(r.Slug) {
			problem("slug", "slug must be lowercase letters, digits and single dashes, at most 100 characters")
		}
	}
	if in.ViewType != nil {
		r.ViewType = strings.ToLower(string(*in.ViewType))
	}
	if in.RoomType != nil {
		r.RoomType = strings.ToLower(string(*in.RoomType))
	}
	if in.Access != nil {
		r.AccessType = strings.ToLower(string(*in.Access))
	}
	var inv circle.LiveInvitees
	for _, list := range []struct {
		arg string
		in  []string
		out *[]int64
	}{
		{"input.invitedMemberIds", in.InvitedMemberIds, &inv.MemberIDs},
		{"input.invitedSpaceIds", in.InvitedSpaceIds, &inv.SpaceIDs},
		{"input.invitedSpaceGroupIds", in.InvitedSpaceGroupIds, &inv.SpaceGroupIDs},
		{"input.invitedMemberTagIds", in.InvitedMemberTagIds, &inv.MemberTagIDs},
	} {
		if len(list.in) > maxLiveRoomInvitees {
			return r, nil, badInput("%s takes at most %d ids", list.arg, maxLiveRoomInvitees)
		}
		for _, v := range list.in {
			id, err := parseID(list.arg, v)
			if err != nil {
				return r, nil, err
			}
			*list.out = append(*list.out, id)
		}
	}
	if len(inv.MemberIDs)+len(inv.SpaceIDs)+len(inv.SpaceGroupIDs)+len(inv.MemberTagIDs) > 0 {
		r.Invited = &inv
	}
	return r, problems, nil
}

// liveRoom is the GraphQL view of Circle's room; a view type, room type or
// access Circle names that the schema does not know is null.
func liveRoom(r *circle.LiveRoom) *model.LiveRoom {
	out := &model.LiveRoom{
		ID:                model.FormatID(r.ID),
		Name:              r.Name,
		Description:       nonEmptyString(r.Description),
		Slug:              r.Slug,
		Status:            r.Status,
		RecordingEnabled:  r.RecordingEnabled,
		MuteOnJoin:        r.MuteOnJoin,
		LimitURLSharing:   r.LimitURLSharing,
		CreatedAt:         r.CreatedAt.Ptr(),
		ChatRoomUUID:      nonEmptyString(r.ChatRoomUUID),
		ParticipantsCount: r.Participants.Count,
		CanHost:           r.CanHost,
		CanManage:         r.CanManage,
		CanModerate:       r.CanModerate,
		IsCreator:         r.IsCreator,
	}
	if r.HostCapacity > 0 {
		out.HostCapacity = &r.HostCapacity
	}
	if v := model.LiveRoomViewType(strings.ToUpper(r.ViewType)); v.IsValid() {
		out.ViewType = &v
	}
	if v := model.LiveRoomType(strings.ToUpper(r.RoomType)); v.IsValid() {
		out.RoomType = &v
	}
	if v := model.LiveRoomAccess(strings.ToUpper(r.AccessType)); v.IsValid() {
		out.Access = &v
	}
	return out
}

// invitedSpace is the space an invitation leads to: its id alone when
// that is all the payload asks for, else its full record.
func invitedSpace(ctx context.Context, id int64) *model.Space {
	if payloadSelectsOnly(ctx, "space", "Space", "id") {
		return model.SpaceFrom(&circle.Space{ID: id})
	}
	return reread(ctx, "the space", func() (*model.Space, error) { return load(ctx, spaces, id, model.SpaceFrom) })
}
