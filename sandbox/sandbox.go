package sandbox

import (
	"net/http"
	"time"
)

// Path prefixes of the two APIs, as on app.circle.so.
const (
	memberPrefix = "/api/headless/v1"
	authPrefix   = "/api/v1/headless"
)

// Options configure a Sandbox. The zero value is a working sandbox with
// fresh random keys.
type Options struct {
	// Now is the sandbox's clock: token expiry, and which events are
	// upcoming, follow it (tests move it to expire tokens). The seed data is
	// dated relative to Now at New. Nil means time.Now.
	Now func() time.Time
	// Secret is the HS256 key that signs member access tokens. Nil means 32
	// random bytes, so tokens die with the process.
	Secret []byte
	// AppToken is the Headless Auth app token the Auth API accepts (what the
	// gateway is given as CIRCLE_HEADLESS_AUTH_TOKEN). "" means a random one.
	AppToken string
	// CablePingInterval is how often /cable pings its clients (default 3s,
	// as ActionCable).
	CablePingInterval time.Duration
	// CableOrigins are the Origin values /cable accepts, as Circle accepts
	// only the domains whitelisted for the community; empty accepts any.
	CableOrigins []string
	// OnPublish, when set, is told of every event the sandbox publishes
	// for its cable, at the moment it publishes it (before any connection
	// sends it): benchmarks measure from there to the client. It runs on
	// the publishing goroutine and must not block.
	OnPublish func(Published)
	// OnCableConnection, when set, is told of each cable connection the
	// sandbox accepts (open true) and of its end, with the member whose
	// token opened it: benchmarks count the gateway's connections from
	// the sandbox's side. It must not block.
	OnCableConnection func(memberID int64, open bool)
}

// Sandbox is an in-memory Circle community that answers the Member API and
// the Auth API like Circle does. It is safe for concurrent use.
type Sandbox struct {
	now      func() time.Time
	secret   []byte
	appToken string
	store    *store
	// live carries state changes to the sandbox's real-time cable.
	live liveHub
	// uploads holds the direct uploads and their files.
	uploads *uploadStore
	// notifications and chat are those domains' state (notifications.go,
	// chat.go), each behind its own lock.
	notifications *notificationState
	chat          *chatState
	// sessions holds the web sessions POST /cookies starts.
	sessions *webSessions
	// cable is the real-time cable's own bookkeeping (cable.go).
	cable cableState
	// community holds reports, live rooms, invitation links and read marks.
	community *communityState
	demoID    int64
	handler   http.Handler
}

// New builds a sandbox holding the demo community. The data is the same on
// every call (for the same Options.Now); tokens and keys are not.
func New(opts Options) *Sandbox {
	s := &Sandbox{now: opts.Now, secret: opts.Secret, appToken: opts.AppToken, store: newStore()}
	if s.now == nil {
		s.now = time.Now
	}
	if s.secret == nil {
		s.secret = randomBytes(32)
	}
	if s.appToken == "" {
		s.appToken = randomToken()
	}
	s.uploads = newUploadStore(s.secret, s.now)
	s.sessions = newWebSessions()
	s.cable = cableState{ping: opts.CablePingInterval, origins: opts.CableOrigins, onConnection: opts.OnCableConnection}
	s.live.onPublish = opts.OnPublish
	if s.cable.ping <= 0 {
		s.cable.ping = defaultCablePing
	}
	s.community = newCommunityState()
	s.demoID = seed(s.store, s.now())
	s.notifications, s.chat = newNotificationState(s.now()), newChatState()
	seedLive(s, s.now())
	s.handler = s.routes()
	return s
}

// routes maps every endpoint to its handler; anything else is a JSON 404,
// and a known path with the wrong method a JSON 405.
func (s *Sandbox) routes() http.Handler {
	mux := http.NewServeMux()
	endpoints := map[string]methods{}
	member := func(method, path string, h memberHandler) {
		if endpoints[path] == nil {
			endpoints[path] = methods{}
		}
		endpoints[path][method] = s.memberOnly(h)
	}
	get, post, del := http.MethodGet, http.MethodPost, http.MethodDelete
	member(get, "/community_member", s.currentMember)
	member(get, "/spaces", s.spaces)
	member(get, "/spaces/{id}", s.space)
	member(post, "/spaces/{id}/join", s.joinSpace)
	member(post, "/spaces/{id}/leave", s.leaveSpace)
	member(get, "/spaces/{space_id}/posts", s.spacePosts)
	member(post, "/spaces/{space_id}/posts", s.createPost)
	member(get, "/spaces/{space_id}/posts/{id}", s.post)
	member(del, "/spaces/{space_id}/posts/{id}", s.deletePost)
	member(get, "/home", s.home)
	member(get, "/community_events", s.events)
	member(get, "/posts/{post_id}/comments", s.postComments)
	member(post, "/posts/{post_id}/comments", s.createComment)
	member(get, "/posts/{post_id}/comments/{id}", s.comment)
	member(del, "/posts/{post_id}/comments/{id}", s.deleteComment)
	member(get, "/comments/{comment_id}/replies", s.replies)
	member(post, "/comments/{comment_id}/replies", s.createReply)
	member(post, "/comments/{comment_id}/user_likes", s.likeComment)
	member(del, "/comments/{comment_id}/user_likes", s.unlikeComment)
	member(get, "/posts/{post_id}/user_likes", s.postLikes)
	member(post, "/posts/{post_id}/user_likes", s.likePost)
	member(del, "/posts/{post_id}/user_likes", s.unlikePost)
	member(get, "/events/{event_id}/event_attendees", s.eventAttendees)
	member(post, "/events/{event_id}/event_attendees", s.rsvp)
	member(del, "/events/{event_id}/event_attendees", s.cancelRSVP)
	member(get, "/community_members", s.members)
	member(get, "/community_members/{community_member_id}/public_profile", s.publicProfile)
	member(get, "/community_members/{community_member_id}/posts", s.memberPosts)
	member(get, "/community_members/{community_member_id}/comments", s.memberComments)
	s.accountRoutes(member)
	s.uploadRoutes(member, mux)
	s.notificationRoutes(member)
	s.chatRoutes(member)
	s.sessionRoutes(member, mux)
	s.courseRoutes(member)
	s.communityRoutes(member)
	s.contentRoutes(member)
	s.searchRoutes(member)
	s.linkRoutes(member)
	for path, m := range endpoints {
		mux.Handle(memberPrefix+path, m)
	}

	mux.Handle(authPrefix+"/auth_token", methods{http.MethodPost: s.appOnly(s.authToken)})
	mux.Handle(authPrefix+"/access_token/refresh", methods{http.MethodPatch: s.appOnly(s.refreshAccessToken)})
	mux.Handle(authPrefix+"/access_token/revoke", methods{http.MethodPost: s.appOnly(s.revokeAccessToken)})
	mux.Handle(authPrefix+"/refresh_token/revoke", methods{http.MethodPost: s.appOnly(s.revokeRefreshToken)})

	mux.HandleFunc("GET /cable", s.serveCable)
	mux.HandleFunc("/", noRoute)
	return mux
}

// Handler serves both APIs under one base URL, as app.circle.so does: the
// Member API under /api/headless/v1/ and the Auth API under
// /api/v1/headless/, and the real-time cable at /cable. Point the gateway's
// CIRCLE_API_URL at it (and CIRCLE_CABLE_URL at ws://…/cable).
func (s *Sandbox) Handler() http.Handler { return s.handler }

// AppToken is the app token the Auth API accepts, for configuring the
// gateway (CIRCLE_HEADLESS_AUTH_TOKEN) against the sandbox.
func (s *Sandbox) AppToken() string { return s.appToken }

// DemoMemberID is the community member id of the demo member (sso_user_id
// "demo-user", email "demo@example.com"), whose token the startup log prints.
func (s *Sandbox) DemoMemberID() int64 { return s.demoID }

// IssueToken issues tokens for a member exactly as POST
// /api/v1/headless/auth_token does, without the HTTP round trip, so that
// startup code and tests can get a working member token directly.
func (s *Sandbox) IssueToken(memberID int64) (Token, error) {
	m, ok := s.store.memberByID(memberID)
	if !ok {
		return Token{}, errUnknownMember
	}
	return s.issue(m)
}

// MemberIDs lists every community member id, in id order, so that tests can
// act as many different members.
func (s *Sandbox) MemberIDs() []int64 { return s.store.memberIDs() }
