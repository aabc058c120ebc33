package circledouble

import (
	"encoding/base64"
	"fmt"
	"strings"
)

// --- JSON as Circle writes it ---

func (d *Circle) renderSpace(s *Space, viewer int64) map[string]any {
	member := s.Members[viewer]
	out := map[string]any{
		"id": s.ID, "name": s.Name, "slug": s.Slug, "space_group_id": 7_700_001, "community_id": 31_337,
		"post_type": s.Kind, "space_type": s.Kind, "display_view": "posts", "emoji": s.Emoji,
		"custom_emoji_url":      Site + "/assets/emoji-picker-v3/shapes/circle/shape-circle-green.png",
		"custom_emoji_dark_url": Site + "/assets/emoji-picker-v3/shapes/circle/shape-circle-green-dark.png",
		"is_private":            s.Private, "space_group_name": "Greenhouse", "url": Site + "/c/" + s.Slug,
		"is_post_disabled": false, "hide_post_settings": false, "is_member": member, "default_tab": "posts",
		"visible_tabs": map[string]any{"posts": true, "members": !s.Private}, "default_sort": nil, "hide_sorting": false,
		"show_in_spaces_segment": !s.Unlisted, "show_lock_icon_for_non_members": s.Private,
		"policies": map[string]any{"can_manage_space": viewer == Dana, "can_view_space": true, "can_leave_space": member,
			"can_create_post": member, "can_invite_members": member},
		"require_topic_selection": false, "topics_count": 2, "display_space_welcome_banner": true,
		"cover_image": nil, "cover_image_url": nil, "lockscreen_site_page_url": nil,
	}
	if member {
		out["space_member_id"] = 5_500_000 + s.ID%1000*1000 + viewer%1000
	}
	return out
}

func (d *Circle) renderSpaceRef(s *Space) map[string]any {
	return map[string]any{"id": s.ID, "slug": s.Slug, "name": s.Name, "emoji": s.Emoji,
		"custom_emoji_url":      Site + "/assets/emoji-picker-v3/shapes/circle/shape-circle-green.png",
		"custom_emoji_dark_url": Site + "/assets/emoji-picker-v3/shapes/circle/shape-circle-green-dark.png"}
}

var memberTags = []any{map[string]any{"id": 3, "name": "Seedling", "color": "#2E7D32", "emoji": "🌱", "is_public": true,
	"is_background_enabled": true, "display_format": "emoji", "display_locations": []any{"profile", "post"},
	"custom_emoji_url": "", "custom_emoji_dark_url": ""}}

func (m *Member) roleNames() []string {
	names := []string{}
	if m.Admin {
		names = append(names, "admin")
	}
	if m.Moderator {
		names = append(names, "moderator")
	}
	return names
}

func (m *Member) roleObject() map[string]any {
	return map[string]any{"admin": m.Admin, "moderator": m.Moderator}
}

// renderAuthor is shared_community_member as posts and comments embed it:
// "id" is the user id, roles a list of names.
func (d *Circle) renderAuthor(m *Member, inComment bool) map[string]any {
	var roles any = m.roleNames()
	if inComment && m.NullRolesInComments {
		roles = nil
	}
	return map[string]any{"id": m.UserID, "community_member_id": m.ID, "name": m.Name, "headline": m.Headline,
		"avatar_url": m.Avatar, "roles": roles, "rich_text_field_sgid": base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("gid://member/%d", m.ID))),
		"member_tags": memberTags}
}

func (d *Circle) renderPost(p *Post, viewer int64, withPostType bool) map[string]any {
	author, space := d.Member(p.AuthorID), d.Space(p.SpaceID)
	var body, tiptap any
	if p.HTML != nil {
		body = map[string]any{"attachments": map[string]any{}, "attachments_array": []any{}, "html": *p.HTML}
	}
	if p.Tiptap != nil {
		tiptap = p.Tiptap
	}
	editor := "trix"
	if p.Tiptap != nil || p.Kind == "image" {
		editor = "tiptap"
	}
	first := []any{}
	for _, m := range d.Likers(p) {
		if len(first) < 2 {
			first = append(first, map[string]any{"name": m.Name, "community_member_id": m.ID, "avatar_url": m.Avatar})
		}
	}
	out := map[string]any{
		"status": "published", "id": p.ID, "name": p.Name, "display_title": p.DisplayTitle, "slug": p.Slug,
		"is_comments_closed": p.Closed, "is_comments_enabled": true, "is_liking_enabled": !p.LikingOff,
		"is_pinned_at_top_of_space": p.Pinned, "comment_count": d.CommentCount(p.ID), "user_likes_count": len(p.Likes),
		"hide_meta_info": false, "is_liked": p.Likes[viewer], "is_truncation_disabled": false, "bookmark_id": nil,
		"flagged_for_approval_at": nil, "unresolved_flagged_reports_count": 0, "first_liked_by": first, "editor": editor,
		"body": body, "tiptap_body": tiptap, "body_plain_text": p.Plain, "body_plain_text_without_attachments": p.Plain,
		"url": Site + "/c/" + space.Slug + "/" + p.Slug, "created_at": TS(p.Created), "updated_at": TS(p.Updated),
		"space": d.renderSpaceRef(space), "post_follower_id": nil, "topic_follower_id": nil,
		"author":      d.renderAuthor(author, false),
		"action":      map[string]any{"user_name": strings.Fields(author.Name)[0], "created_at": TS(p.Created), "type": "posted"},
		"custom_html": nil,
		"policies": map[string]any{"can_destroy_post": viewer == p.AuthorID, "can_duplicate_post": false,
			"can_manage_post": viewer == p.AuthorID, "can_report_post": viewer != p.AuthorID, "can_update_post": viewer == p.AuthorID},
		"topics": []any{map[string]any{"id": 91, "name": "Houseplants", "admin_only": false}, map[string]any{"id": 92, "name": "Staff picks", "admin_only": true}},
	}
	if withPostType {
		out["post_type"] = p.Kind
		out["space_type"] = space.Kind
	}
	if p.Kind == "image" {
		out["gallery"] = d.renderGallery(p)
	}
	if b := d.BookmarkOf(viewer, "post", p.ID); b != nil {
		out["bookmark_id"] = b.ID
	}
	if f := d.FollowerOf(viewer, p.ID); f != 0 {
		out["post_follower_id"] = f
	}
	if e := p.Event; e != nil {
		var inPerson any
		if e.InPerson != nil {
			inPerson = *e.InPerson
		}
		var limit any
		if e.Limit != nil {
			limit = *e.Limit
		}
		out["event_setting_attributes"] = map[string]any{
			"starts_at": TS(e.Starts), "ends_at": TS(e.Ends), "in_person_location": inPerson,
			"hide_location_from_non_attendees": false, "duration_in_seconds": int(e.Ends.Sub(e.Starts).Seconds()),
			"rsvp_disabled": false, "hide_attendees": false, "send_email_reminder": true, "send_in_app_notification_reminder": true,
			"send_email_confirmation": true, "send_in_app_notification_confirmation": true, "enable_custom_thank_you_message": false,
			"confirmation_message_title": "Registration confirmed for " + p.DisplayTitle, "confirmation_message_description": "We'll send you a reminder.",
			"confirmation_message_button_title": "Done", "confirmation_message_button_link": "",
			"location_type": e.LocationType, "virtual_location_url": e.Virtual, "rsvp_limit": limit, "rsvp_count": e.YesCount(),
		}
		status := d.RsvpOf(p, viewer)
		var rs any
		if status != "" {
			rs = status
		}
		embedded := []any{}
		for i, a := range e.Attendees {
			if i < 3 {
				embedded = append(embedded, d.renderAttendee(a))
			}
		}
		out["event_type"] = "single"
		if e.Dates != nil {
			last := e.Dates[len(e.Dates)-1]
			out["event_type"] = "recurring"
			out["recurring_setting_attributes"] = map[string]any{"frequency": "weekly", "ends_at": TS(last.Ends), "occurrences": len(e.Dates), "range_type": "occurrences"}
		}
		out["rsvped_event"] = status == "yes"
		out["rsvp_status"] = rs
		out["invited_attendee"] = status == "invited"
		out["event_attendees"] = map[string]any{"records": embedded, "count": len(e.Attendees)}
	}
	return out
}

func (d *Circle) renderComment(c *Comment, viewer int64, withReplies, fromReplies bool) map[string]any {
	author, post := d.Member(c.AuthorID), d.Post(c.PostID)
	var parent, tiptap any
	if c.ParentID != 0 {
		parent = c.ParentID
	}
	editor := "trix"
	if c.Tiptap != nil {
		tiptap, editor = c.Tiptap, "tiptap"
	}
	out := map[string]any{
		"id": c.ID, "user_id": author.UserID, "post_id": c.PostID, "user_likes_count": len(c.Likes),
		"created_at": TS(c.Created), "updated_at": TS(c.Updated), "parent_comment_id": parent,
		"replies_count": len(d.Replies(c.ID)), "removed_at": nil, "community_member_id": author.ID, "editor": editor,
		"topic_id": 91, "space_id": post.SpaceID, "post_name": post.DisplayTitle,
		"body":        map[string]any{"attachments": map[string]any{}, "attachments_array": []any{}, "html": c.HTML},
		"tiptap_body": tiptap, "body_text": c.Text, "is_liked": c.Likes[viewer], "bookmark_id": nil,
		"flagged_for_approval_at": nil, "unresolved_flagged_reports_count": 0,
		"author": d.renderAuthor(author, true),
		"policies": map[string]any{"can_bookmark": true, "can_destroy": viewer == c.AuthorID, "can_edit": viewer == c.AuthorID,
			"can_report": viewer != c.AuthorID, "can_manage": viewer == Dana},
	}
	if fromReplies && c.Bare {
		delete(out, "author")
		delete(out, "policies")
	}
	replies := []any{}
	if withReplies {
		for _, r := range SortComments(d.Replies(c.ID), "oldest") {
			replies = append(replies, d.renderComment(r, viewer, false, false))
		}
	}
	out["replies"] = replies
	return out
}

func (d *Circle) renderProfile(m *Member) map[string]any {
	return map[string]any{
		"id": m.ID, "connection_to_current_community_member": nil, "headline": m.Headline, "bio": m.Bio, "name": m.Name,
		"email": m.Email, "posts_count": d.PostsCount(m.ID), "comments_count": d.CommentsCount(m.ID), "spaces_count": d.SpacesCount(m.ID),
		"can_receive_dm_from_current_member": true, "messaging_enabled": true,
		"profile_info": map[string]any{"website": "https://" + slug(m.Name) + ".test", "location": "Zone 7b", "twitter_url": "",
			"facebook_url": "", "instagram_url": "", "linkedin_url": ""},
		"roles": m.roleObject(), "member_tags": memberTags, "avatar_url": m.Avatar, "large_avatar_url": m.Avatar,
		"gamification_stats": map[string]any{"total_points": 1000 + m.ID%1000, "current_level": 3, "current_level_name": "Sprout",
			"points_to_next_level": 12, "level_progress": 40, "community_member_id": m.ID},
	}
}

func (d *Circle) renderCurrent(m *Member) map[string]any {
	return map[string]any{
		"id": m.ID, "user_id": m.UserID, "public_uid": fmt.Sprintf("%x", m.UserID), "email": m.Email, "name": m.Name,
		"avatar_url": m.Avatar, "large_avatar_url": m.Avatar, "bio": m.Bio, "headline": m.Headline,
		"posts_count": d.PostsCount(m.ID), "comments_count": d.CommentsCount(m.ID), "spaces_count": d.SpacesCount(m.ID),
		"bookmarks_count": 2, "default_space_id": Shed, "active": true,
		"profile_info": map[string]any{"website": nil, "location": "Zone 7b", "twitter_url": nil, "facebook_url": nil, "instagram_url": nil, "linkedin_url": nil},
		"roles":        m.roleObject(),
		"features": map[string]any{"messaging_enabled": true, "can_create_live_streams": false, "display_home_page": true,
			"profile_fields_feature_flag_enabled": false, "voice_messages_enabled": true, "chat_reactions_enabled": true, "tiptap_webview_editor_enabled": true},
		"mobile_home_segments": []any{map[string]any{"id": 1, "kind": "feed", "name": nil}, map[string]any{"id": 2, "kind": "spaces", "name": nil}},
		"live_stream_limits":   map[string]any{"live_stream_max_host_capacity": 30, "live_stream_max_spectator_capacity": 100},
		"member_tags":          memberTags,
	}
}

func (d *Circle) renderDirectoryEntry(m *Member) map[string]any {
	return map[string]any{"headline": m.Headline, "member_tags": memberTags, "name": m.Name, "community_member_id": m.ID,
		"avatar_url": m.Avatar, "messaging_enabled": true, "email": m.Email, "can_receive_dm_from_current_member": m.ID != Gus}
}

// renderLiker is a record of GET /posts/{id}/user_likes: roles as an
// object, no user id, as in the OpenAPI example.
func (d *Circle) renderLiker(m *Member) map[string]any {
	return map[string]any{"headline": m.Headline, "member_tags": []any{}, "name": m.Name, "roles": m.roleObject(),
		"community_member_id": m.ID, "avatar_url": m.Avatar}
}

func (d *Circle) renderAttendee(a *Attendee) map[string]any {
	m := d.Member(a.MemberID)
	return map[string]any{"id": a.ID, "community_member_id": m.ID, "contact_id": m.ID, "contact_type": "CommunityMember",
		"avatar_url": m.Avatar, "rsvp_date": TS(a.At), "rsvp_status": a.Status, "name": m.Name}
}
