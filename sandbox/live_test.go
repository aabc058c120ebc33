package sandbox

import "testing"

func TestLiveHubDeliversByStream(t *testing.T) {
	t.Parallel()
	var h liveHub
	a := h.subscribe(notificationStream(101))
	b := h.subscribe(notificationStream(102))
	room := h.subscribe(chatRoomStream(7))

	h.publish(liveEvent{Stream: notificationStream(101), Event: eventNewNotification, Data: 1})
	h.publish(liveEvent{Stream: chatRoomStream(7), Event: "newMessage", Data: 2})
	h.publish(liveEvent{Stream: memberChatStream(101), Event: "nobody listens", Data: 3})

	if got := <-a.C; got.Event != eventNewNotification || got.Data != 1 {
		t.Fatalf("member 101 got %+v", got)
	}
	if got := <-room.C; got.Data != 2 {
		t.Fatalf("room got %+v", got)
	}
	for name, s := range map[string]*liveSubscription{"101": a, "102": b, "room": room} {
		if n := len(s.C); n != 0 {
			t.Errorf("%s: %d more events, want none", name, n)
		}
	}

	a.cancel()
	a.cancel()
	if _, open := <-a.C; open {
		t.Fatal("cancelled subscription still open")
	}
	h.publish(liveEvent{Stream: notificationStream(101), Data: 4}) // no subscriber: no panic, no block
	b.cancel()
	room.cancel()
	if len(h.subs) != 0 {
		t.Fatalf("streams left after every cancel: %v", h.subs)
	}
}

func TestLiveHubNeverBlocksOnASlowSubscriber(t *testing.T) {
	t.Parallel()
	var h liveHub
	slow := h.subscribe(chatRoomStream(1))
	defer slow.cancel()
	for i := range liveSubscriberBuffer + 10 {
		h.publish(liveEvent{Stream: chatRoomStream(1), Data: i})
	}
	if n := len(slow.C); n != liveSubscriberBuffer {
		t.Fatalf("%d events buffered, want %d (the rest dropped)", n, liveSubscriberBuffer)
	}
	if first := <-slow.C; first.Data != 0 {
		t.Fatalf("first event %v, want the oldest kept (0)", first.Data)
	}
}
