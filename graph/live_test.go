package graph

import (
	"encoding/json"
	"testing"

	"github.com/circle-gateway/gateway/graph/model"
	"github.com/circle-gateway/gateway/live"
)

// chatMessageDeletion turns the deletedMessage events of one room's
// channel into ChatMessageDeletion values, with the data the sandbox's
// cable sends ({"id": …, "parent_message": the parent as Circle renders
// it, or null}); a reply whose parent is in another room, and anything
// that is not a deletion of a message, gives nothing.
func TestChatMessageDeletion(t *testing.T) {
	t.Parallel()
	const room = "65f3668c-46fe-4f62-9b31-6a3fa1d4e883"
	parent := func(id string) *string { return &id }
	for name, tc := range map[string]struct {
		event string
		data  string
		want  *model.ChatMessageDeletion // nil: dropped
	}{
		"top-level message": {
			event: live.EventDeletedMessage,
			data:  `{"id":41,"parent_message":null}`,
			want:  &model.ChatMessageDeletion{MessageID: "41", ChatRoomUUID: room},
		},
		"no parent_message at all": {
			event: live.EventDeletedMessage,
			data:  `{"id":41}`,
			want:  &model.ChatMessageDeletion{MessageID: "41", ChatRoomUUID: room},
		},
		"reply in the room's thread": {
			event: live.EventDeletedMessage,
			data:  `{"id":43,"parent_message":{"id":41,"chat_room_uuid":"` + room + `","body":"top","replies_count":0}}`,
			want:  &model.ChatMessageDeletion{MessageID: "43", ChatRoomUUID: room, ParentMessageID: parent("41")},
		},
		"reply, the room's uuid in capitals": {
			event: live.EventDeletedMessage,
			data:  `{"id":43,"parent_message":{"id":41,"chat_room_uuid":"65F3668C-46FE-4F62-9B31-6A3FA1D4E883"}}`,
			want:  &model.ChatMessageDeletion{MessageID: "43", ChatRoomUUID: room, ParentMessageID: parent("41")},
		},
		"reply whose parent is in another room": {
			event: live.EventDeletedMessage,
			data:  `{"id":43,"parent_message":{"id":41,"chat_room_uuid":"00000000-0000-4000-8000-000000000000"}}`,
		},
		"no id": {
			event: live.EventDeletedMessage,
			data:  `{"parent_message":null}`,
		},
		"not JSON": {
			event: live.EventDeletedMessage,
			data:  `"deleted"`,
		},
		"a new message": {
			event: live.EventNewMessage,
			data:  `{"id":41,"chat_room_uuid":"` + room + `","body":"top"}`,
		},
		"an edit": {
			event: live.EventUpdatedMessage,
			data:  `{"id":41,"chat_room_uuid":"` + room + `","body":"top, edited"}`,
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := &Resolver{}
			got, ok := r.chatMessageDeletion(room)(live.Event{Kind: live.KindMessage, Name: tc.event, Data: json.RawMessage(tc.data)})
			if tc.want == nil {
				if ok || got != nil {
					t.Fatalf("delivered %+v, want nothing", got)
				}
				return
			}
			if !ok || got == nil {
				t.Fatal("dropped")
			}
			if got.MessageID != tc.want.MessageID || got.ChatRoomUUID != tc.want.ChatRoomUUID || (got.ParentMessageID == nil) != (tc.want.ParentMessageID == nil) || deref(got.ParentMessageID) != deref(tc.want.ParentMessageID) {
				t.Fatalf("delivered %+v (parent %q), want %+v (parent %q)", got, deref(got.ParentMessageID), tc.want, deref(tc.want.ParentMessageID))
			}
		})
	}
}
