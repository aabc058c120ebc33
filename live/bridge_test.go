package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"
)

const (
	tokenA = "token-of-member-a"
	tokenB = "token-of-member-b"
)

var (
	memberA = Member{Token: tokenA, ID: 101}
	memberB = Member{Token: tokenB, ID: 102}
)

func newBridge(t *testing.T, f *fakeCable, edit func(*Config)) *Bridge {
	t.Helper()
	cfg := Config{
		URL:     f.url(),
		Origin:  "https://app.example.com",
		Backoff: func(int) time.Duration { return 5 * time.Millisecond },
		Log:     slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if edit != nil {
		edit(&cfg)
	}
	b, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := b.Close(ctx); err != nil {
			t.Errorf("bridge did not close: %v", err)
		}
	})
	return b
}

func subscribe(t *testing.T, b *Bridge, m Member, channel Channel) *Subscription {
	t.Helper()
	s, err := b.Subscribe(m, channel)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// next returns the subscription's next event; the bound only stops a
// broken test from hanging.
func next(t *testing.T, s *Subscription) Event {
	t.Helper()
	select {
	case e, ok := <-s.C:
		if !ok {
			t.Fatalf("subscription ended: %v", s.Err())
		}
		return e
	case <-time.After(20 * time.Second):
		t.Fatal("no event")
	}
	return Event{}
}

// nextMessage skips state events and returns the next message.
func nextMessage(t *testing.T, s *Subscription) Event {
	t.Helper()
	for {
		if e := next(t, s); e.Kind == KindMessage {
			return e
		}
	}
}

func waitKind(t *testing.T, s *Subscription, k Kind) {
	t.Helper()
	for {
		if e := next(t, s); e.Kind == k {
			return
		}
	}
}

// ended waits until the subscription ends and returns why.
func ended(t *testing.T, s *Subscription) error {
	t.Helper()
	for {
		select {
		case _, ok := <-s.C:
			if !ok {
				return s.Err()
			}
		case <-time.After(20 * time.Second):
			t.Fatal("subscription did not end")
		}
	}
}

func dataString(e Event) string {
	var v struct {
		Text string `json:"text"`
	}
	_ = json.Unmarshal(e.Data, &v)
	return v.Text
}

// Every subscription of one token shares one connection; each channel is
// subscribed once on it; the token and Origin go upstream; what is pushed
// to one token's channel reaches exactly that token's subscribers of that
// channel.
func TestOneConnectionPerTokenAndNoCrossDelivery(t *testing.T) {
	t.Parallel()
	f := newFakeCable(t)
	b := newBridge(t, f, nil)
	notifID := Identifier(NotificationChannel, memberA.ID)
	chatID := Identifier(ChatRoomChannel, memberA.ID)

	a1 := subscribe(t, b, memberA, Channel{Name: NotificationChannel})
	a2 := subscribe(t, b, memberA, Channel{Name: NotificationChannel})
	aChat := subscribe(t, b, memberA, Channel{Name: ChatRoomChannel})
	bNotif := subscribe(t, b, memberB, Channel{Name: NotificationChannel})
	connA := f.waitSubscribed(tokenA, notifID)
	f.waitSubscribed(tokenA, chatID)
	connB := f.waitSubscribed(tokenB, Identifier(NotificationChannel, memberB.ID))
	for _, s := range []*Subscription{a1, a2, aChat, bNotif} {
		waitKind(t, s, KindUp)
	}

	f.mu.Lock()
	if n := len(f.conns); n != 2 {
		t.Errorf("%d upstream connections for 2 tokens, want 2", n)
	}
	f.mu.Unlock()
	if connA.origin != "https://app.example.com" || connB.origin != "https://app.example.com" {
		t.Errorf("Origin sent: %q, %q", connA.origin, connB.origin)
	}
	connA.mu.Lock()
	subscribes := map[string]int{}
	for _, c := range connA.commands {
		if c.Command == cmdSubscribe {
			subscribes[c.Identifier]++
		}
	}
	connA.mu.Unlock()
	if subscribes[notifID] != 1 || subscribes[chatID] != 1 || len(subscribes) != 2 {
		t.Errorf("member A's connection subscribed %v, want each channel once", subscribes)
	}
	if b.Members() != 2 || b.Open() != 2 || b.Confirmed() != 3 {
		t.Errorf("bridge counts %d members, %d open connections, %d confirmed channels; want 2, 2, 3", b.Members(), b.Open(), b.Confirmed())
	}

	f.push(tokenA, notifID, EventNewNotification, map[string]any{"id": 1, "text": "for A"})
	f.push(tokenB, Identifier(NotificationChannel, memberB.ID), EventNewNotification, map[string]any{"id": 2, "text": "for B"})
	// Sentinels close each stream, so that "nothing else arrived" is read
	// from the streams themselves, not from a wait.
	f.push(tokenA, notifID, "sentinel", map[string]any{})
	f.push(tokenA, chatID, "sentinel", map[string]any{})
	f.push(tokenB, Identifier(NotificationChannel, memberB.ID), "sentinel", map[string]any{})

	for name, tc := range map[string]struct {
		s    *Subscription
		want []string
	}{
		"A notifications 1": {a1, []string{"for A"}},
		"A notifications 2": {a2, []string{"for A"}},
		"A chat":            {aChat, nil},
		"B notifications":   {bNotif, []string{"for B"}},
	} {
		var got []string
		for e := nextMessage(t, tc.s); e.Name != "sentinel"; e = nextMessage(t, tc.s) {
			if e.Name != EventNewNotification {
				t.Errorf("%s: event %q", name, e.Name)
			}
			got = append(got, dataString(e))
		}
		if len(got) != len(tc.want) || (len(got) > 0 && got[0] != tc.want[0]) {
			t.Errorf("%s received %v, want %v", name, got, tc.want)
		}
	}
}

// A channel whose last subscriber leaves is unsubscribed; the connection
// closes with its last subscription.
func TestLastSubscriberClosesTheConnection(t *testing.T) {
	t.Parallel()
	f := newFakeCable(t)
	b := newBridge(t, f, nil)
	notif := subscribe(t, b, memberA, Channel{Name: NotificationChannel})
	chat := subscribe(t, b, memberA, Channel{Name: ChatRoomChannel})
	conn := f.waitSubscribed(tokenA, Identifier(ChatRoomChannel, memberA.ID))
	f.waitSubscribed(tokenA, Identifier(NotificationChannel, memberA.ID))

	waitKind(t, chat, KindUp)
	waitKind(t, notif, KindUp)
	if n := b.Confirmed(); n != 2 {
		t.Errorf("%d confirmed channels before the chat leaves, want 2", n)
	}
	chat.Close()
	f.waitFor("chat unsubscribed", func() bool { return !conn.subscribed(Identifier(ChatRoomChannel, memberA.ID)) })
	for range chat.C { // what was buffered before Close, then the end
	}
	if n := b.Confirmed(); n != 1 {
		t.Errorf("%d confirmed channels after the chat left, want 1", n)
	}
	if chat.Err() != nil {
		t.Errorf("Close ended the subscription with %v, want nil", chat.Err())
	}

	notif.Close()
	for range notif.C {
	}
	<-conn.closed
	f.waitFor("no open connection", func() bool { return len(f.open()) == 0 })
	if b.Members() != 0 {
		t.Errorf("bridge still holds %d members", b.Members())
	}

	// A new subscriber dials a new connection.
	again := subscribe(t, b, memberA, Channel{Name: NotificationChannel})
	waitKind(t, again, KindUp)
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.conns) != 2 || len(f.open()) != 1 {
		t.Errorf("%d connections made, %d open; want 2, 1", len(f.conns), len(f.open()))
	}
}

// A connection that drops is dialled again; its subscribers are told it
// was down and up again, keep their subscriptions and get what is pushed
// after the reconnect.
func TestReconnectKeepsSubscriptions(t *testing.T) {
	t.Parallel()
	f := newFakeCable(t)
	b := newBridge(t, f, nil)
	s := subscribe(t, b, memberA, Channel{Name: ChatRoomChannel})
	id := Identifier(ChatRoomChannel, memberA.ID)
	f.waitSubscribed(tokenA, id)
	waitKind(t, s, KindUp)
	f.push(tokenA, id, "newMessage", map[string]any{"text": "before"})
	if e := nextMessage(t, s); dataString(e) != "before" {
		t.Fatalf("got %q", dataString(e))
	}

	f.dropAll()
	waitKind(t, s, KindDown)
	waitKind(t, s, KindUp)
	f.waitSubscribed(tokenA, id)
	f.push(tokenA, id, "newMessage", map[string]any{"text": "after"})
	if e := nextMessage(t, s); dataString(e) != "after" {
		t.Fatalf("got %q", dataString(e))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.conns) != 2 || len(f.open()) != 1 {
		t.Errorf("%d connections made, %d open; want 2, 1", len(f.conns), len(f.open()))
	}
}

// A cable that stops talking (no pings) counts as dead and is replaced.
func TestSilentCableIsReplaced(t *testing.T) {
	t.Parallel()
	f := newFakeCable(t)
	f.set(func(f *fakeCable) { f.silent = true })
	b := newBridge(t, f, func(c *Config) { c.StaleAfter = 50 * time.Millisecond })
	s := subscribe(t, b, memberA, Channel{Name: NotificationChannel})
	waitKind(t, s, KindDown)
	f.waitFor("a second connection", func() bool { return len(f.conns) >= 2 })

	f.set(func(f *fakeCable) { f.silent = false; f.pingIntv = 10 * time.Millisecond })
	waitKind(t, s, KindUp)
}

// Circle refusing the token ends the subscriptions with ErrUnauthorized,
// and the bridge does not knock again with the same token.
func TestUnauthorizedIsFinal(t *testing.T) {
	t.Parallel()
	for name, refuse := range map[string]func(f *fakeCable){
		"401 handshake": func(f *fakeCable) { f.status = http.StatusUnauthorized },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFakeCable(t)
			f.set(refuse)
			b := newBridge(t, f, nil)
			s := subscribe(t, b, memberA, Channel{Name: NotificationChannel})
			if err := ended(t, s); !errors.Is(err, ErrUnauthorized) {
				t.Fatalf("ended with %v, want ErrUnauthorized", err)
			}
			if b.Members() != 0 {
				t.Errorf("bridge keeps the refused token's connection")
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			if f.dials != 1 {
				t.Errorf("%d dials, want 1", f.dials)
			}
		})
	}
}

// ActionCable's own refusal: a disconnect message with reason unauthorized.
func TestUnauthorizedDisconnectIsFinal(t *testing.T) {
	t.Parallel()
	f := newFakeCable(t)
	b := newBridge(t, f, nil)
	s := subscribe(t, b, memberA, Channel{Name: NotificationChannel})
	conn := f.waitSubscribed(tokenA, Identifier(NotificationChannel, memberA.ID))
	if err := conn.write(context.Background(), map[string]any{"type": typeDisconnect, "reason": reasonUnauthzd, "reconnect": false}); err != nil {
		t.Fatal(err)
	}
	if err := ended(t, s); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("ended with %v, want ErrUnauthorized", err)
	}
}

// A rejected channel ends its own subscriptions only.
func TestRejectedChannel(t *testing.T) {
	t.Parallel()
	f := newFakeCable(t)
	f.set(func(f *fakeCable) { f.reject[Identifier(ChatRoomChannel, memberA.ID)] = true })
	b := newBridge(t, f, nil)
	notif := subscribe(t, b, memberA, Channel{Name: NotificationChannel})
	chat := subscribe(t, b, memberA, Channel{Name: ChatRoomChannel})
	if err := ended(t, chat); !errors.Is(err, ErrRejected) {
		t.Fatalf("chat ended with %v, want ErrRejected", err)
	}
	waitKind(t, notif, KindUp)
	f.push(tokenA, Identifier(NotificationChannel, memberA.ID), EventNewNotification, map[string]any{"id": 5, "text": "still here"})
	if e := nextMessage(t, notif); dataString(e) != "still here" {
		t.Fatalf("got %q", dataString(e))
	}
}

// A subscriber that does not read is ended; the others of its member are
// not held up.
func TestSlowSubscriberIsEnded(t *testing.T) {
	t.Parallel()
	f := newFakeCable(t)
	b := newBridge(t, f, func(c *Config) { c.Buffer = 3 })
	slow := subscribe(t, b, memberA, Channel{Name: NotificationChannel})
	fast := subscribe(t, b, memberA, Channel{Name: NotificationChannel})
	id := Identifier(NotificationChannel, memberA.ID)
	f.waitSubscribed(tokenA, id)
	waitKind(t, fast, KindUp)
	for i := range 6 {
		f.push(tokenA, id, "tick", map[string]any{"id": i + 1})
		nextMessage(t, fast)
	}
	if err := ended(t, slow); !errors.Is(err, ErrFellBehind) {
		t.Fatalf("slow subscriber ended with %v, want ErrFellBehind", err)
	}
	f.push(tokenA, id, "tick", map[string]any{"id": 99, "text": "fast goes on"})
	if e := nextMessage(t, fast); dataString(e) != "fast goes on" {
		t.Fatalf("got %q", dataString(e))
	}
}

// Close ends every subscription with ErrClosed and refuses new ones.
func TestCloseEndsEverything(t *testing.T) {
	t.Parallel()
	f := newFakeCable(t)
	b := newBridge(t, f, nil)
	s := subscribe(t, b, memberA, Channel{Name: NotificationChannel})
	f.waitSubscribed(tokenA, Identifier(NotificationChannel, memberA.ID))
	if err := b.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := ended(t, s); !errors.Is(err, ErrClosed) {
		t.Fatalf("ended with %v", err)
	}
	f.waitFor("connections closed", func() bool { return len(f.open()) == 0 })
	if _, err := b.Subscribe(memberA, Notifications()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Subscribe after Close: %v", err)
	}
}

// fakePoller answers each poll with what the test feeds it, in order, so
// that the test decides what every poll sees; once static is set, every
// further poll sees that.
type fakePoller struct {
	answers chan pollAnswer
	mu      sync.Mutex
	static  *pollAnswer
	last    pollAnswer
}

type pollAnswer struct {
	count  int
	recent []string // newest first
}

func (p *fakePoller) NewNotificationsCount(ctx context.Context) (int, error) {
	p.mu.Lock()
	static := p.static
	p.mu.Unlock()
	a := pollAnswer{}
	if static != nil {
		a = *static
	} else {
		select {
		case a = <-p.answers:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	p.mu.Lock()
	p.last = a
	p.mu.Unlock()
	return a.count, nil
}

func (p *fakePoller) RecentNotifications(_ context.Context, n int) ([]json.RawMessage, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []json.RawMessage
	for _, r := range p.last.recent[:min(n, len(p.last.recent))] {
		out = append(out, json.RawMessage(r))
	}
	return out, nil
}

// With the cable unreachable, notifications arrive by polling the count;
// once the cable is back, a last poll catches up and the cable takes over
// without delivering a notification twice.
func TestPollingFallback(t *testing.T) {
	t.Parallel()
	f := newFakeCable(t)
	f.set(func(f *fakeCable) { f.status = http.StatusServiceUnavailable })
	p := &fakePoller{answers: make(chan pollAnswer)}
	b := newBridge(t, f, func(c *Config) {
		c.PollInterval = 5 * time.Millisecond
		c.Poller = func(m Member) Poller {
			if m != memberA {
				t.Errorf("poller made for %+v", m)
			}
			return p
		}
	})
	s := subscribe(t, b, memberA, Channel{Name: NotificationChannel})
	waitKind(t, s, KindDown)
	p.answers <- pollAnswer{count: 3} // the first poll only learns the count

	p.answers <- pollAnswer{count: 5, recent: []string{`{"id":12,"text":"second"}`, `{"id":11,"text":"first"}`, `{"id":10,"text":"old"}`}}
	for _, want := range []string{"first", "second"} {
		e := nextMessage(t, s)
		if e.Name != EventNewNotification || dataString(e) != want {
			t.Fatalf("got %s %s, want newNotification %q", e.Name, e.Data, want)
		}
	}
	if e := nextMessage(t, s); e.Name != EventUpdateNotificationCount || string(e.Data) != `{"new_notifications_count":5}` {
		t.Fatalf("got %s %s", e.Name, e.Data)
	}

	// The member resets the count while the cable is still down.
	p.answers <- pollAnswer{count: 0}
	if e := nextMessage(t, s); e.Name != EventResetNotificationCount || string(e.Data) != `{"new_notifications_count":0}` {
		t.Fatalf("got %s %s", e.Name, e.Data)
	}

	// One more arrives as the cable comes back: a poll (the last one, after
	// the cable confirmed the channel, at the latest) delivers it.
	p.mu.Lock()
	p.static = &pollAnswer{count: 1, recent: []string{`{"id":13,"text":"during the switch"}`}}
	p.mu.Unlock()
	select { // a poll may be waiting for its answer
	case p.answers <- *p.static:
	default:
	}
	f.set(func(f *fakeCable) { f.status = 0 })
	var up, caught, counted bool
	for !up || !caught || !counted {
		switch e := next(t, s); {
		case e.Kind == KindUp:
			up = true
		case e.Name == EventNewNotification && dataString(e) == "during the switch" && !caught:
			caught = true
		case e.Name == EventUpdateNotificationCount && string(e.Data) == `{"new_notifications_count":1}` && !counted:
			counted = true
		case e.Kind == KindDown:
		default:
			t.Fatalf("unexpected %v %s %s", e.Kind, e.Name, e.Data)
		}
	}
	// The cable reports the same notification: not delivered twice.
	id := Identifier(NotificationChannel, memberA.ID)
	f.waitSubscribed(tokenA, id)
	f.push(tokenA, id, EventNewNotification, map[string]any{"id": 13, "text": "during the switch"})
	f.push(tokenA, id, EventNewNotification, map[string]any{"id": 14, "text": "live again"})
	if e := nextMessage(t, s); dataString(e) != "live again" {
		t.Fatalf("got %s %s, want only the new one", e.Name, e.Data)
	}
}

// An event reaching several subscriptions of one token is decoded once for
// all of them, and once per token: nothing decoded for one member's
// connection is handed to another's.
func TestDecodedOncePerConnection(t *testing.T) {
	t.Parallel()
	f := newFakeCable(t)
	b := newBridge(t, f, nil)
	idA, idB := Identifier(NotificationChannel, memberA.ID), Identifier(NotificationChannel, memberB.ID)
	subsA := []*Subscription{subscribe(t, b, memberA, Notifications()), subscribe(t, b, memberA, Notifications()), subscribe(t, b, memberA, Notifications())}
	subB := subscribe(t, b, memberB, Notifications())
	f.waitSubscribed(tokenA, idA)
	f.waitSubscribed(tokenB, idB)
	f.push(tokenA, idA, EventNewNotification, map[string]any{"id": 1, "text": "for A"})
	f.push(tokenB, idB, EventNewNotification, map[string]any{"id": 1, "text": "for B"})

	type key struct{}
	var mu sync.Mutex
	decodes := map[string]int{}
	decode := func(data json.RawMessage) any {
		var v struct{ Text string }
		_ = json.Unmarshal(data, &v)
		mu.Lock()
		decodes[v.Text]++
		mu.Unlock()
		return &v
	}
	var firstA any
	for i, s := range subsA {
		v := nextMessage(t, s).Decoded(key{}, decode)
		if i == 0 {
			firstA = v
		} else if v != firstA {
			t.Errorf("subscription %d of A got its own decoding", i)
		}
	}
	if v := nextMessage(t, subB).Decoded(key{}, decode); v == firstA {
		t.Error("B got A's decoded event")
	}
	if decodes["for A"] != 1 || decodes["for B"] != 1 || len(decodes) != 2 {
		t.Errorf("decodings %v, want one per token", decodes)
	}
}

// A subscription made with SubscribeFunc gets its events in order on the
// connection's goroutine; declining one ends it as fallen behind, and End
// is called once, after the last event, also after Close.
func TestSubscribeFunc(t *testing.T) {
	t.Parallel()
	f := newFakeCable(t)
	b := newBridge(t, f, nil)
	id := Identifier(NotificationChannel, memberA.ID)

	type got struct {
		mu       sync.Mutex
		texts    []string
		ends     []error
		closed   chan struct{}
		sentinel chan struct{} // closed when the sentinel arrives
	}
	record := func(g *got, accept int) Deliver {
		return Deliver{
			Event: func(e Event) bool {
				if e.Kind != KindMessage {
					return true
				}
				g.mu.Lock()
				defer g.mu.Unlock()
				if len(g.ends) > 0 {
					t.Errorf("event %s after End", e.Data)
				}
				g.texts = append(g.texts, dataString(e))
				if e.Name == "sentinel" {
					close(g.sentinel)
				}
				return len(g.texts) <= accept
			},
			End: func(err error) {
				g.mu.Lock()
				defer g.mu.Unlock()
				g.ends = append(g.ends, err)
				close(g.closed)
			},
		}
	}
	slow := &got{closed: make(chan struct{}), sentinel: make(chan struct{})}
	kept := &got{closed: make(chan struct{}), sentinel: make(chan struct{})}
	if _, err := b.SubscribeFunc(memberA, Notifications(), record(slow, 1)); err != nil {
		t.Fatal(err)
	}
	s, err := b.SubscribeFunc(memberA, Notifications(), record(kept, 100))
	if err != nil {
		t.Fatal(err)
	}
	f.waitSubscribed(tokenA, id)
	for _, text := range []string{"one", "two", "three"} {
		f.push(tokenA, id, EventNewNotification, map[string]any{"text": text})
	}
	<-slow.closed
	f.push(tokenA, id, "sentinel", map[string]any{"text": "sentinel"})
	select {
	case <-kept.sentinel:
	case <-time.After(20 * time.Second):
		t.Fatal("no sentinel")
	}
	s.Close()
	s.Close()
	<-kept.closed

	slow.mu.Lock()
	defer slow.mu.Unlock()
	kept.mu.Lock()
	defer kept.mu.Unlock()
	if fmt.Sprint(slow.texts) != "[one two]" || len(slow.ends) != 1 || !errors.Is(slow.ends[0], ErrFellBehind) {
		t.Errorf("the subscription that declined: %v, ended %v", slow.texts, slow.ends)
	}
	if fmt.Sprint(kept.texts) != "[one two three sentinel]" || len(kept.ends) != 1 || kept.ends[0] != nil {
		t.Errorf("the one that kept up: %v, ended %v", kept.texts, kept.ends)
	}
	if _, err := b.SubscribeFunc(memberA, Notifications(), Deliver{}); err == nil {
		t.Error("SubscribeFunc without its functions was accepted")
	}
}
