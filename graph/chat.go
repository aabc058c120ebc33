package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"

	"github.com/circle-gateway/gateway/auth"
	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/graph/model"
	"github.com/circle-gateway/gateway/loaders"
	"github.com/circle-gateway/gateway/relay"
)

// What the chat fields share: room uuids and message content checked
// before any upstream call, plain text turned into Circle's TipTap
// envelope, and finding a sent message again (Circle queues new messages
// and answers without their id).

// Bounds on chat input, checked before any upstream call.
const (
	// maxChatBodyRunes bounds a plain-text message or edit.
	maxChatBodyRunes = 10_000
	// maxRichTextBytes bounds a TipTap envelope as sent.
	maxRichTextBytes = 256 << 10
	// maxChatRoomMembers bounds the members a new room is opened with.
	maxChatRoomMembers = 50
	// maxEmojiBytes bounds a reaction's emoji (a shortcode or a character
	// sequence).
	maxEmojiBytes = 64
)

// parseRoomUUID checks that a chat room argument is a uuid (Circle names
// rooms by canonical 8-4-4-4-12 hex uuids): anything else cannot name a
// room and is refused before any upstream call.
func parseRoomUUID(arg, v string) (string, error) {
	if !isUUID(v) {
		return "", badInput("%s must be a chat room uuid like 65f3668c-46fe-4f62-9b31-6a3fa1d4e883, got %q", arg, truncate(v, 40))
	}
	return v, nil
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// chatText checks a plain-text message body: not blank, at most
// maxChatBodyRunes.
func chatText(arg, body string) error {
	if strings.TrimSpace(body) == "" {
		return badInput("%s must not be empty: a chat message needs text", arg)
	}
	if n := utf8.RuneCountInString(body); n > maxChatBodyRunes {
		return badInput("%s is %d characters long; at most %d are allowed", arg, n, maxChatBodyRunes)
	}
	return nil
}

// richTextFromBody is Circle's TipTap envelope for plain text: one
// paragraph per line, the text itself as the fallback for clients without
// TipTap, and the (empty) lists Circle's envelope always carries.
func richTextFromBody(body string) json.RawMessage {
	lines := strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n")
	content := make([]map[string]any, len(lines))
	for i, line := range lines {
		p := map[string]any{"type": "paragraph", "content": []any{}}
		if line != "" {
			p["content"] = []any{map[string]any{"type": "text", "text": line}}
		}
		content[i] = p
	}
	raw, err := json.Marshal(map[string]any{
		"body":                     map[string]any{"type": "doc", "content": content},
		"circle_ios_fallback_text": body,
		"attachments":              []any{},
		"inline_attachments":       []any{},
		"sgids_to_object_map":      map[string]any{},
		"format":                   "chat",
		"community_members":        []any{},
		"entities":                 []any{},
		"group_mentions":           []any{},
		"polls":                    []any{},
	})
	if err != nil {
		panic(err) // maps of strings: cannot fail
	}
	return raw
}

// tiptapNode is a node of a TipTap document, as far as checking it goes.
type tiptapNode struct {
	Type    string       `json:"type"`
	Text    string       `json:"text"`
	Content []tiptapNode `json:"content"`
}

// hasContent reports whether a node holds text or anything else a reader
// would see (a mention, an image): only paragraphs and line breaks with no
// text are empty.
func (n tiptapNode) hasContent() bool {
	switch n.Type {
	case "doc", "paragraph", "hardBreak", "text":
	default:
		return true
	}
	if strings.TrimSpace(n.Text) != "" {
		return true
	}
	for _, c := range n.Content {
		if c.hasContent() {
			return true
		}
	}
	return false
}

// checkRichText checks a richTextBody argument: a JSON object in Circle's
// envelope shape ({"body": {"type": "doc", "content": [...]}, …}), at most
// maxRichTextBytes, with something in it.
func checkRichText(arg string, v model.JSON) (json.RawMessage, error) {
	raw := bytes.TrimSpace(v)
	if len(raw) > maxRichTextBytes {
		return nil, badInput("%s is %d bytes; at most %d are allowed", arg, len(raw), maxRichTextBytes)
	}
	var envelope struct {
		Body *tiptapNode `json:"body"`
	}
	if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &envelope) != nil || envelope.Body == nil || envelope.Body.Type != "doc" {
		return nil, badInput(`%s must be Circle's TipTap envelope, a JSON object like {"body": {"type": "doc", "content": [...]}}`, arg)
	}
	if !envelope.Body.hasContent() {
		return nil, badInput("%s must not be empty: a chat message needs text", arg)
	}
	return json.RawMessage(raw), nil
}

// messageContent turns sendChatMessage's body or richTextBody (exactly one
// of them) into the envelope Circle takes.
func messageContent(body *string, rich model.JSON) (json.RawMessage, error) {
	switch hasRich := presentJSON(rich); {
	case body != nil && hasRich:
		return nil, badInput("give either body or richTextBody, not both")
	case hasRich:
		return checkRichText("richTextBody", rich)
	case body == nil:
		return nil, badInput("give body or richTextBody: a chat message needs text")
	default:
		if err := chatText("body", *body); err != nil {
			return nil, err
		}
		return richTextFromBody(*body), nil
	}
}

// messagesPage is ChatRoom.messages: one window of Circle's id-windowed
// message list, cut to the connection's page.
func messagesPage(ctx context.Context, uuid string, last *int, before *string) (*model.ChatMessageConnection, error) {
	w, err := relay.NewBackWindow(uuid, last, before)
	if err != nil {
		return nil, err
	}
	api, err := memberAPI(ctx)
	if err != nil {
		return nil, err
	}
	res, err := api.ChatMessages(ctx, uuid, circle.MessageWindow{Around: w.Before, Previous: w.Previous()})
	if err != nil {
		return nil, err
	}
	items, hasPrevious := relay.Cut(w, res.Records, func(m *circle.ChatMessage) int64 { return m.ID }, res.HasPreviousPage)
	return messageConnection(uuid, items, hasPrevious, w.Before > 0 || res.HasNextPage, res.TotalCount), nil
}

// messageConnection builds a page of messages with cursors of room uuid.
func messageConnection(uuid string, items []circle.ChatMessage, hasPrevious, hasNext bool, total int) *model.ChatMessageConnection {
	c := &model.ChatMessageConnection{
		Edges:      make([]*model.ChatMessageEdge, len(items)),
		Nodes:      make([]*model.ChatMessage, len(items)),
		PageInfo:   &model.PageInfo{HasPreviousPage: hasPrevious, HasNextPage: hasNext},
		TotalCount: &total,
	}
	for i := range items {
		n := model.ChatMessageFrom(&items[i])
		c.Nodes[i] = n
		c.Edges[i] = &model.ChatMessageEdge{Cursor: relay.EncodeIDCursor(uuid, items[i].ID), Node: n}
	}
	if len(items) > 0 {
		start, end := c.Edges[0].Cursor, c.Edges[len(items)-1].Cursor
		c.PageInfo.StartCursor, c.PageInfo.EndCursor = &start, &end
	}
	return c
}

// chatRoomConnection builds a page of rooms (list's build argument).
func chatRoomConnection(_ context.Context, res relay.Result[circle.ChatRoom]) *model.ChatRoomConnection {
	c := &model.ChatRoomConnection{}
	c.Edges, c.Nodes, c.PageInfo, c.TotalCount = connection(res, model.ChatRoomFrom,
		func(cursor string, n *model.ChatRoom) *model.ChatRoomEdge {
			return &model.ChatRoomEdge{Cursor: cursor, Node: n}
		})
	return c
}

// recentForMatch is how many of a room's newest messages are searched for
// a message just sent.
const recentForMatch = 20

// sentMessage finds the message Circle queued for a send (its 202 names no
// id): among the room's newest messages, or the parent's thread for a
// reply, the one with the answer's creation_uuid, else the member's own
// with the answer's sent_at. Not finding it is no error: Circle may not
// have stored it yet, and it then arrives on the room's cable.
func sentMessage(ctx context.Context, l *loaders.Loaders, uuid string, parentID *int64, sent *circle.SentChatMessage) (*circle.ChatMessage, error) {
	var candidates []circle.ChatMessage
	if parentID != nil {
		parent, err := l.API.ChatMessage(ctx, uuid, *parentID)
		if err != nil {
			return nil, err
		}
		if parent.ChatThreadID == nil {
			return nil, nil
		}
		thread, err := l.API.ChatThread(ctx, *parent.ChatThreadID)
		if err != nil {
			return nil, err
		}
		candidates = thread.Replies
	} else {
		res, err := l.API.ChatMessages(ctx, uuid, circle.MessageWindow{Previous: recentForMatch})
		if err != nil {
			return nil, err
		}
		candidates = res.Records
	}
	me, _ := auth.FromContext(ctx)
	for i := len(candidates) - 1; i >= 0; i-- {
		m := &candidates[i]
		switch {
		case sent.CreationUUID != "" && m.CreationUUID == sent.CreationUUID:
			return m, nil
		case m.CreationUUID == "" && m.Sender.CommunityMemberID == me.MemberID && !sent.SentAt.IsZero() && m.SentAt.Equal(sent.SentAt.Time):
			return m, nil
		}
	}
	return nil, nil
}

// errNoRoom is a write's answer that names no room.
var errNoRoom = errors.New("Circle's answer holds no chat room")

// roomPayload wraps the room a write answered with, re-reading it when the
// answer holds none.
func roomPayload(ctx context.Context, l *loaders.Loaders, uuid string, r *circle.ChatRoom) *model.ChatRoomPayload {
	if r == nil || r.UUID == "" {
		r = reread(ctx, "the chat room", func() (*circle.ChatRoom, error) { return l.API.ChatRoom(ctx, uuid) })
		if r == nil {
			return &model.ChatRoomPayload{UserErrors: noUserErrors()}
		}
	}
	return &model.ChatRoomPayload{ChatRoom: model.ChatRoomFrom(r), UserErrors: noUserErrors()}
}

// chatRoomMembers checks createChatRoom's member ids: 1 to
// maxChatRoomMembers positive ids; duplicates and the signed-in member's
// own id are dropped, and at least one other member must remain.
func chatRoomMembers(ctx context.Context, ids []string) ([]string, error) {
	if len(ids) > maxChatRoomMembers {
		return nil, badInput("memberIds has %d ids; a room is opened with at most %d members", len(ids), maxChatRoomMembers)
	}
	me, _ := auth.FromContext(ctx)
	seen := map[int64]bool{}
	out := make([]string, 0, len(ids))
	for i, v := range ids {
		id, err := parseID(fmt.Sprintf("memberIds[%d]", i), v)
		if err != nil {
			return nil, err
		}
		if seen[id] || id == me.MemberID {
			continue
		}
		seen[id] = true
		out = append(out, model.FormatID(id))
	}
	if len(out) == 0 {
		return nil, badInput("memberIds must name at least one member other than yourself")
	}
	return out, nil
}

// The argument paths of the chat mutations' Circle fields, for userErrors.
var (
	chatRoomFields    = fieldPaths{"community_member_ids": {"memberIds"}}
	chatMessageFields = fieldPaths{"rich_text_body": {"body"}, "body": {"body"}, "parent_message_id": {"parentMessageId"}}
)

// checkMessageWindows validates the messages windows selected under a
// room about to be fetched, with the room's uuid: a cursor of another room
// is refused before the room is fetched (the query limits could check only
// its form, not which room it belongs to).
func checkMessageWindows(ctx context.Context, uuid string) error {
	vars := graphql.GetOperationContext(ctx).Variables
	for _, f := range graphql.CollectFieldsCtx(ctx, []string{"ChatRoom"}) {
		if f.Name != "messages" {
			continue
		}
		if _, err := relay.NewBackWindowFromArguments(uuid, f.ArgumentMap(vars)); err != nil {
			return err
		}
	}
	return nil
}

// participantFields blames updateChatParticipant's arguments.
var participantFields = fieldPaths{"admin": {"isRoomAdmin"}, "archived": {"archived"}, "muted": {"muted"}}

// participantConnection builds a page of a room's participants.
func participantConnection(_ context.Context, res relay.Result[circle.ChatParticipant]) *model.ChatParticipantConnection {
	c := &model.ChatParticipantConnection{}
	c.Edges, c.Nodes, c.PageInfo, c.TotalCount = connection(res, model.ChatParticipantFrom,
		func(cursor string, n *model.ChatParticipant) *model.ChatParticipantEdge {
			return &model.ChatParticipantEdge{Cursor: cursor, Node: n}
		})
	return c
}

// threadConnection builds a page of threads.
func threadConnection(_ context.Context, res relay.Result[circle.ChatThread]) *model.ChatThreadConnection {
	c := &model.ChatThreadConnection{}
	c.Edges, c.Nodes, c.PageInfo, c.TotalCount = connection(res, model.ChatThreadFrom,
		func(cursor string, n *model.ChatThread) *model.ChatThreadEdge {
			return &model.ChatThreadEdge{Cursor: cursor, Node: n}
		})
	return c
}

// reactions turns a message's reactions into their model, reactedByMe
// from the signed-in member's id.
func reactions(ctx context.Context, rs []circle.ChatReaction) []*model.ChatReaction {
	me, _ := auth.FromContext(ctx)
	out := make([]*model.ChatReaction, len(rs))
	for i, r := range rs {
		ids := make([]string, len(r.CommunityMemberIDs))
		for j, id := range r.CommunityMemberIDs {
			ids[j] = model.FormatID(id)
		}
		out[i] = &model.ChatReaction{Emoji: r.Emoji, Count: r.Count, MemberIds: ids, ReactedByMe: me.MemberID != 0 && slices.Contains(r.CommunityMemberIDs, me.MemberID)}
	}
	return out
}

// checkEmoji refuses a reaction's emoji that is blank, over maxEmojiBytes
// or holds control characters.
func checkEmoji(emoji string) (string, error) {
	e := strings.TrimSpace(emoji)
	switch {
	case e == "":
		return "", badInput("emoji must not be empty")
	case len(e) > maxEmojiBytes:
		return "", badInput("emoji is %d bytes; at most %d are allowed", len(e), maxEmojiBytes)
	case strings.IndexFunc(e, unicode.IsControl) >= 0:
		return "", badInput("emoji must not hold control characters")
	}
	return e, nil
}

// reactionWrite adds or removes the member's emoji on a message (do is
// MemberAPI.AddReaction or a wrapper of RemoveReaction) and re-reads the
// message, so that its reactions are current.
func reactionWrite(ctx context.Context, chatRoomUUID, messageID, emoji string, do func(*circle.MemberAPI, context.Context, int64, string) (*circle.Reaction, error)) (*model.ChatMessagePayload, error) {
	uuid, err := parseRoomUUID("chatRoomUuid", chatRoomUUID)
	if err != nil {
		return nil, err
	}
	id, err := parseID("messageId", messageID)
	if err != nil {
		return nil, err
	}
	if emoji, err = checkEmoji(emoji); err != nil {
		return nil, err
	}
	l, _, err := write(ctx, func(api *circle.MemberAPI) (*circle.Reaction, error) { return do(api, ctx, id, emoji) })
	if problems, err := writeFailed(err, fieldPaths{"emoji": {"emoji"}}); problems != nil || err != nil {
		return &model.ChatMessagePayload{UserErrors: problems}, err
	}
	m := reread(ctx, "the chat message", func() (*circle.ChatMessage, error) { return l.API.ChatMessage(ctx, uuid, id) })
	if m == nil {
		return &model.ChatMessagePayload{UserErrors: noUserErrors()}, nil
	}
	return &model.ChatMessagePayload{Message: model.ChatMessageFrom(m), UserErrors: noUserErrors()}, nil
}

// selectsOnly reports whether the field being resolved selects, on the
// object of type typeName it returns, nothing but the named fields (and
// __typename).
func selectsOnly(ctx context.Context, typeName string, names ...string) bool {
	for _, f := range graphql.CollectFieldsCtx(ctx, []string{typeName}) {
		if f.Name != "__typename" && !slices.Contains(names, f.Name) {
			return false
		}
	}
	return true
}
