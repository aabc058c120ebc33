package sandbox

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/circle-gateway/gateway/circle"
)

func TestTokenLifecycle(t *testing.T) {
	h := newHarness(t)
	demo := h.sb.DemoMemberID()

	// Issue through the Auth API.
	status, raw := h.authCall(http.MethodPost, "/auth_token", map[string]any{"sso_user_id": "demo-user"})
	if status != http.StatusOK {
		t.Fatalf("auth_token: %d %s", status, raw)
	}
	var pair circle.AuthToken
	if err := json.Unmarshal(raw, &pair); err != nil {
		t.Fatal(err)
	}
	if pair.CommunityMemberID != demo || pair.CommunityID != 1 {
		t.Errorf("token for member %d of community %d, want %d of 1", pair.CommunityMemberID, pair.CommunityID, demo)
	}
	if want := testStart.Truncate(time.Second).Add(time.Hour); !pair.AccessTokenExpiresAt.Equal(want) {
		t.Errorf("access_token_expires_at %v, want %v", pair.AccessTokenExpiresAt, want)
	}
	if want := testStart.Truncate(time.Second).AddDate(0, 1, 0); !pair.RefreshTokenExpiresAt.Equal(want) {
		t.Errorf("refresh_token_expires_at %v, want %v", pair.RefreshTokenExpiresAt, want)
	}

	// The access token is an HS256 JWT with Circle's claims.
	var claims accessClaims
	tok, err := jwt.ParseWithClaims(pair.AccessToken, &claims, func(*jwt.Token) (any, error) { return h.sb.secret, nil },
		jwt.WithTimeFunc(h.clock.Now), jwt.WithValidMethods([]string{"HS256"}))
	if err != nil || !tok.Valid {
		t.Fatalf("access token does not verify: %v", err)
	}
	if claims.CommunityID != 1 || claims.CommunityMemberID != demo || claims.SSOUserID != "demo-user" || claims.ID == "" {
		t.Errorf("claims %+v", claims)
	}
	if got := claims.ExpiresAt.Sub(claims.IssuedAt.Time); got != time.Hour {
		t.Errorf("exp - iat = %v, want 1h", got)
	}
	header, _ := base64.RawURLEncoding.DecodeString(strings.Split(pair.AccessToken, ".")[0])
	if string(header) != `{"alg":"HS256"}` {
		t.Errorf("JWT header %s, want Circle's {\"alg\":\"HS256\"}", header)
	}

	me := func(token string) (int, string) {
		status, raw := h.do(http.MethodGet, memberPrefix+"/community_member", token, nil)
		if status == http.StatusOK {
			return status, ""
		}
		return status, errorMessage(t, raw)
	}
	wantMe := func(token string, wantStatus int, wantMsg string) {
		t.Helper()
		if status, msg := me(token); status != wantStatus || msg != wantMsg {
			t.Fatalf("GET /community_member: %d %q, want %d %q", status, msg, wantStatus, wantMsg)
		}
	}
	wantMe(pair.AccessToken, http.StatusOK, "")
	h.clock.Advance(59 * time.Minute)
	wantMe(pair.AccessToken, http.StatusOK, "")
	h.clock.Advance(2 * time.Minute)
	wantMe(pair.AccessToken, http.StatusUnauthorized, msgTokenExpired)

	// Refresh: a new access token (new jti) for the same refresh token.
	refresh := func(refreshToken string) (int, circle.RefreshedAccessToken, []byte) {
		status, raw := h.authCall(http.MethodPatch, "/access_token/refresh", map[string]any{"refresh_token": refreshToken})
		var out circle.RefreshedAccessToken
		if status == http.StatusOK {
			if err := json.Unmarshal(raw, &out); err != nil {
				t.Fatal(err)
			}
		}
		return status, out, raw
	}
	status, fresh, raw := refresh(pair.RefreshToken)
	if status != http.StatusOK {
		t.Fatalf("refresh: %d %s", status, raw)
	}
	if want := h.clock.Now().Truncate(time.Second).Add(time.Hour); !fresh.AccessTokenExpiresAt.Equal(want) {
		t.Errorf("refreshed expiry %v, want %v", fresh.AccessTokenExpiresAt, want)
	}
	wantMe(fresh.AccessToken, http.StatusOK, "")

	// Revoking it is honoured at once, and only once.
	revokeAccess := func(token string) (int, []byte) {
		return h.authCall(http.MethodPost, "/access_token/revoke", map[string]any{"access_token": token})
	}
	if status, raw := revokeAccess(fresh.AccessToken); status != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", status, raw)
	}
	wantMe(fresh.AccessToken, http.StatusUnauthorized, msgTokenRevoked)
	if status, raw := revokeAccess(fresh.AccessToken); status != http.StatusUnprocessableEntity || errorMessage(t, raw) != msgTokenRevoked {
		t.Errorf("second revoke: %d %s", status, raw)
	}
	if status, raw := revokeAccess(pair.AccessToken); status != http.StatusUnprocessableEntity || errorMessage(t, raw) != msgTokenExpired {
		t.Errorf("revoke of an expired token: %d %s", status, raw)
	}

	// The refresh token outlives revoked access tokens…
	status, again, raw := refresh(pair.RefreshToken)
	if status != http.StatusOK {
		t.Fatalf("refresh after revoke: %d %s", status, raw)
	}
	wantMe(again.AccessToken, http.StatusOK, "")

	// …until it is revoked itself.
	revokeRefresh := func(token string) (int, []byte) {
		return h.authCall(http.MethodPost, "/refresh_token/revoke", map[string]any{"refresh_token": token})
	}
	if status, raw := revokeRefresh(pair.RefreshToken); status != http.StatusNoContent {
		t.Fatalf("revoke refresh: %d %s", status, raw)
	}
	if status, _, raw := refresh(pair.RefreshToken); status != http.StatusNotFound || errorMessage(t, raw) != msgRefreshNotFound {
		t.Errorf("refresh with a revoked refresh token: %d %s", status, raw)
	}
	if status, raw := revokeRefresh(pair.RefreshToken); status != http.StatusNotFound || errorMessage(t, raw) != msgRefreshNotFound {
		t.Errorf("second refresh revoke: %d %s", status, raw)
	}
	wantMe(again.AccessToken, http.StatusOK, "") // access tokens already issued stay valid

	// Refresh tokens last a month.
	late, err := h.sb.IssueToken(demo)
	if err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(29 * 24 * time.Hour)
	if status, _, raw := refresh(late.RefreshToken); status != http.StatusOK {
		t.Errorf("refresh after 29 days: %d %s", status, raw)
	}
	h.clock.Set(late.RefreshTokenExpiresAt)
	if status, _, raw := refresh(late.RefreshToken); status != http.StatusUnauthorized || errorMessage(t, raw) != msgRefreshExpired {
		t.Errorf("refresh after a month: %d %s", status, raw)
	}
	if status, raw := revokeRefresh(late.RefreshToken); status != http.StatusUnauthorized || errorMessage(t, raw) != msgRefreshExpired {
		t.Errorf("revoke of an expired refresh token: %d %s", status, raw)
	}
}

func TestAccessTokenRejected(t *testing.T) {
	h := newHarness(t)
	demo := h.sb.DemoMemberID()
	claims := func(community, member int64, exp time.Time, jti string) *accessClaims {
		return &accessClaims{CommunityID: community, CommunityMemberID: member, RegisteredClaims: jwt.RegisteredClaims{
			ExpiresAt: jwt.NewNumericDate(exp), IssuedAt: jwt.NewNumericDate(testStart), ID: jti,
		}}
	}
	later := testStart.Add(time.Hour)
	tests := []struct {
		name   string
		header string // the whole Authorization header; "" sends none
		want   string
	}{
		{"no header", "", msgTokenInvalid},
		{"empty bearer", "Bearer ", msgTokenInvalid},
		{"not bearer", "Basic " + h.token(demo), msgTokenInvalid},
		{"not a JWT", "Bearer abc.def.ghi", msgTokenInvalid},
		{"other key", "Bearer " + h.signed(jwt.SigningMethodHS256, claims(1, demo, later, "x"), []byte("another-key-another-key-another-k")), msgTokenInvalid},
		{"HS512 with the right key", "Bearer " + h.signed(jwt.SigningMethodHS512, claims(1, demo, later, "x"), h.sb.secret), msgTokenInvalid},
		{"alg none", "Bearer " + h.signed(jwt.SigningMethodNone, claims(1, demo, later, "x"), jwt.UnsafeAllowNoneSignatureType), msgTokenInvalid},
		{"no exp", "Bearer " + h.signed(jwt.SigningMethodHS256, &accessClaims{CommunityID: 1, CommunityMemberID: demo, RegisteredClaims: jwt.RegisteredClaims{ID: "x"}}, h.sb.secret), msgTokenInvalid},
		{"no jti", "Bearer " + h.signed(jwt.SigningMethodHS256, claims(1, demo, later, ""), h.sb.secret), msgTokenInvalid},
		{"expired", "Bearer " + h.signed(jwt.SigningMethodHS256, claims(1, demo, testStart.Add(-time.Second), "x"), h.sb.secret), msgTokenExpired},
		{"unknown member", "Bearer " + h.signed(jwt.SigningMethodHS256, claims(1, 999999, later, "x"), h.sb.secret), msgNoTokenMember},
		{"user id as member id", "Bearer " + h.signed(jwt.SigningMethodHS256, claims(1, firstUserID, later, "x"), h.sb.secret), msgNoTokenMember},
		{"other community", "Bearer " + h.signed(jwt.SigningMethodHS256, claims(7, demo, later, "x"), h.sb.secret), msgNoCommunity},
		{"lower-case scheme works", "bearer " + h.token(demo), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, h.srv.URL+memberPrefix+"/spaces", nil)
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			resp, err := h.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body struct{ Message string }
			_ = json.NewDecoder(resp.Body).Decode(&body)
			if tc.want == "" {
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("status %d %q, want 200", resp.StatusCode, body.Message)
				}
				return
			}
			if resp.StatusCode != http.StatusUnauthorized || body.Message != tc.want {
				t.Errorf("got %d %q, want 401 %q", resp.StatusCode, body.Message, tc.want)
			}
		})
	}
}

func TestAuthTokenIdentity(t *testing.T) {
	h := newHarness(t)
	demo := h.sb.DemoMemberID()
	other := h.sb.MemberIDs()[5]
	otherMember, _ := h.sb.store.memberByID(other)
	tests := []struct {
		name   string
		app    string
		body   any
		status int
		member int64 // when 200
	}{
		{"sso_user_id", testAppToken, map[string]any{"sso_user_id": "demo-user"}, 200, demo},
		{"community_member_id", testAppToken, map[string]any{"community_member_id": other}, 200, other},
		{"community_member_id as a string", testAppToken, map[string]any{"community_member_id": itoa(other)}, 200, other},
		{"email, any case", testAppToken, map[string]any{"email": "Demo@Example.COM"}, 200, demo},
		{"sso_user_id wins over community_member_id", testAppToken, map[string]any{"sso_user_id": "demo-user", "community_member_id": other}, 200, demo},
		{"community_member_id wins over email", testAppToken, map[string]any{"community_member_id": other, "email": "demo@example.com"}, 200, other},
		{"sso_user_id wins over email", testAppToken, map[string]any{"sso_user_id": otherMember.ssoUserID, "email": "demo@example.com"}, 200, other},
		{"the first identifier sent decides", testAppToken, map[string]any{"sso_user_id": "nobody", "email": "demo@example.com"}, 404, 0},
		{"empty identifiers are not sent", testAppToken, map[string]any{"sso_user_id": "", "email": "demo@example.com"}, 200, demo},
		{"user id is not a member id", testAppToken, map[string]any{"community_member_id": firstUserID}, 404, 0},
		{"no identifier", testAppToken, map[string]any{}, 404, 0},
		{"no body", testAppToken, nil, 404, 0},
		{"wrong app token", "nope", map[string]any{"sso_user_id": "demo-user"}, 401, 0},
		{"no app token", "", map[string]any{"sso_user_id": "demo-user"}, 401, 0},
		{"member token instead of app token", h.token(demo), map[string]any{"sso_user_id": "demo-user"}, 401, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, raw := h.do(http.MethodPost, authPrefix+"/auth_token", tc.app, tc.body)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %s", status, tc.status, raw)
			}
			switch status {
			case http.StatusOK:
				var tok circle.AuthToken
				if err := json.Unmarshal(raw, &tok); err != nil {
					t.Fatal(err)
				}
				if tok.CommunityMemberID != tc.member {
					t.Errorf("token for %d, want %d", tok.CommunityMemberID, tc.member)
				}
				var me circle.CurrentMember
				h.mustGet(tok.AccessToken, "/community_member", &me)
				if me.ID != tc.member {
					t.Errorf("token acts as %d, want %d", me.ID, tc.member)
				}
			case http.StatusNotFound:
				if msg := errorMessage(t, raw); msg != msgMemberNotFound {
					t.Errorf("message %q", msg)
				}
			case http.StatusUnauthorized:
				if msg := errorMessage(t, raw); msg != msgAppUnauthorized {
					t.Errorf("message %q", msg)
				}
			}
		})
	}
	if _, err := h.sb.IssueToken(999999); err == nil {
		t.Error("IssueToken(999999) succeeded")
	}
}

func TestPagination(t *testing.T) {
	h := newHarness(t)
	token := h.token(h.sb.DemoMemberID())
	total := len(h.sb.MemberIDs())
	if total < 30 {
		t.Fatalf("only %d members in the seed", total)
	}
	tests := []struct {
		query                 string
		page, perPage, length int
		hasNext               bool
	}{
		{"", 1, 10, 10, true},
		{"?page=2", 2, 10, 10, true},
		{"?per_page=7&page=5", 5, 7, 7, true},
		{"?per_page=7&page=" + itoa((total+6)/7), (total + 6) / 7, 7, total - 7*((total+6)/7-1), false},
		{"?per_page=7&page=" + itoa((total+6)/7+1), (total+6)/7 + 1, 7, 0, false},
		{"?page=1000000000000", 1000000000000, 10, 0, false},
		{"?per_page=0", 1, 1, 1, true},
		{"?per_page=-5", 1, 1, 1, true},
		{"?per_page=500", 1, 100, total, false},
		{"?per_page=" + itoa(total), 1, total, total, false},
		{"?page=0", 1, 10, 10, true},
		{"?page=-2", 1, 10, 10, true},
		{"?page=abc&per_page=xyz", 1, 10, 10, true},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			var p circle.Page[circle.CommunityMember]
			h.mustGet(token, "/community_members"+tc.query, &p)
			if p.Page != tc.page || p.PerPage != tc.perPage || len(p.Records) != tc.length || p.HasNextPage != tc.hasNext || p.Count != total {
				t.Errorf("page %d per_page %d len %d has_next %v count %d; want %d %d %d %v %d",
					p.Page, p.PerPage, len(p.Records), p.HasNextPage, p.Count, tc.page, tc.perPage, tc.length, tc.hasNext, total)
			}
			if p.Records == nil {
				t.Error("records is null, want []")
			}
		})
	}

	// Walking every page with the same per_page yields every record once, in order.
	var walked []int64
	for page := 1; ; page++ {
		var p circle.Page[circle.CommunityMember]
		h.mustGet(token, "/community_members?per_page=7&page="+itoa(page), &p)
		for _, m := range p.Records {
			walked = append(walked, m.CommunityMemberID)
		}
		if !p.HasNextPage {
			break
		}
	}
	if !slices.Equal(walked, h.sb.MemberIDs()) {
		t.Errorf("walked %v, want %v", walked, h.sb.MemberIDs())
	}
	raw := mustRaw(t, h, token, "/community_members?page=99")
	if !strings.Contains(raw, `"records":[]`) {
		t.Errorf("page past the end: %s", raw)
	}
}

func mustRaw(t *testing.T, h *harness, token, path string) string {
	t.Helper()
	status, raw := h.do(http.MethodGet, memberPrefix+path, token, nil)
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, status, raw)
	}
	return string(raw)
}

func TestDefaultPerPage(t *testing.T) {
	h := newHarness(t)
	demo := h.sb.DemoMemberID()
	token := h.token(demo)
	postID, commentID := h.commentWithReplies(spaceGeneral)
	events := h.postsIn(spaceEvents)
	tests := []struct {
		path string
		want int
	}{
		{"/spaces/12/posts", 10},
		{"/home", 10},
		{"/community_events", 10},
		{"/posts/" + itoa(postID) + "/comments", 60},
		{"/comments/" + itoa(commentID) + "/replies", 60},
		{"/posts/" + itoa(postID) + "/user_likes", 10},
		{"/events/" + itoa(events[0]) + "/event_attendees", 10},
		{"/community_members", 10},
		{"/community_members/" + itoa(demo) + "/posts", 10},
		{"/community_members/" + itoa(demo) + "/comments", 10},
	}
	for _, tc := range tests {
		var p circle.Page[json.RawMessage]
		h.mustGet(token, tc.path, &p)
		if p.PerPage != tc.want {
			t.Errorf("%s: per_page %d, want %d", tc.path, p.PerPage, tc.want)
		}
	}
}

func TestPostIDs(t *testing.T) {
	h := newHarness(t)
	token := h.token(h.sb.DemoMemberID())
	general := h.postsIn(spaceGeneral)
	staff := h.postsIn(spaceStaff)
	lounge := h.postsIn(spaceLounge)
	a, b, c := general[3], general[7], general[11]
	want := []int64{a, b, c}
	tests := []struct {
		name  string
		query string
		want  []int64
	}{
		{"comma-separated", "post_ids=" + itoa(a) + "," + itoa(b) + "," + itoa(c), want},
		{"comma-separated with spaces", "post_ids=" + itoa(a) + ",%20" + itoa(b) + "," + itoa(c), want},
		{"array", "post_ids[]=" + itoa(a) + "&post_ids[]=" + itoa(b) + "&post_ids[]=" + itoa(c), want},
		{"repeated key", "post_ids=" + itoa(a) + "&post_ids=" + itoa(b) + "&post_ids=" + itoa(c), want},
		{"other spaces' posts are left out", "post_ids=" + itoa(a) + "," + itoa(lounge[0]) + "," + itoa(staff[0]), []int64{a}},
		{"unknown ids are left out", "post_ids=" + itoa(a) + ",999999,abc", []int64{a}},
		{"only unknown ids", "post_ids=999999", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var p circle.Page[circle.Post]
			h.mustGet(token, "/spaces/12/posts?per_page=100&"+tc.query, &p)
			var got []int64
			for _, post := range p.Records {
				got = append(got, post.ID)
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) || p.Count != len(tc.want) {
				t.Errorf("got %v (count %d), want %v", got, p.Count, tc.want)
			}
		})
	}

	// A private space the member is not in stays closed, ids or not; its
	// members get the posts.
	if status := h.get(token, "/spaces/17/posts?post_ids="+itoa(staff[0]), nil); status != http.StatusNotFound {
		t.Errorf("post_ids in a private space of others: %d, want 404", status)
	}
	var p circle.Page[circle.Post]
	h.mustGet(h.token(h.admin()), "/spaces/17/posts?post_ids="+itoa(staff[0])+","+itoa(staff[1]), &p)
	if p.Count != 2 {
		t.Errorf("admin got %d staff posts, want 2", p.Count)
	}

	// Past events are found by id even though the event space lists only
	// upcoming ones by default.
	events := h.postsIn(spaceEvents)
	var all circle.Page[circle.Post]
	h.mustGet(token, "/spaces/14/posts?per_page=100&post_ids="+joinIDs(events), &all)
	if all.Count != len(events) {
		t.Errorf("post_ids of every event: %d of %d", all.Count, len(events))
	}
}

func joinIDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = itoa(id)
	}
	return strings.Join(parts, ",")
}

func TestPrivateSpaces(t *testing.T) {
	h := newHarness(t)
	demo := h.sb.DemoMemberID()
	token := h.token(demo)
	admin := h.token(h.admin())

	var spaces []circle.Space
	h.mustGet(token, "/spaces", &spaces)
	seen := map[int64]circle.Space{}
	for _, sp := range spaces {
		seen[sp.ID] = sp
	}
	for _, id := range []int64{spaceAnnouncements, spaceGeneral, spaceIntroductions, spaceEvents, spaceShowAndTell, spaceLounge} {
		if _, ok := seen[id]; !ok {
			t.Errorf("demo member does not see space %d", id)
		}
	}
	if _, ok := seen[spaceStaff]; ok {
		t.Error("demo member sees the Staff Room")
	}
	if sp := seen[spaceLounge]; !sp.IsPrivate || !sp.IsMember || sp.SpaceMemberID == nil {
		t.Errorf("lounge as the demo member sees it: %+v", sp)
	}
	if sp := seen[spaceShowAndTell]; sp.IsPrivate || sp.IsMember || sp.SpaceMemberID != nil {
		t.Errorf("show and tell as the demo member sees it: %+v", sp)
	}
	if sp := seen[spaceEvents]; sp.SpaceType != "event" || sp.PostType != "event" {
		t.Errorf("events space types %q/%q", sp.SpaceType, sp.PostType)
	}

	var adminSpaces []circle.Space
	h.mustGet(admin, "/spaces", &adminSpaces)
	if !slices.ContainsFunc(adminSpaces, func(sp circle.Space) bool { return sp.ID == spaceStaff && sp.IsMember }) {
		t.Error("admin does not see the Staff Room as a member")
	}
	if status := h.get(token, "/spaces/17", nil); status != http.StatusNotFound {
		t.Errorf("GET /spaces/17 as demo: %d", status)
	}
	h.mustGet(admin, "/spaces/17", nil)

	staff := h.postsIn(spaceStaff)
	staffSet := map[int64]bool{}
	for _, id := range staff {
		staffSet[id] = true
	}
	demoHome := allPages[circle.Post](h, token, "/home")
	adminHome := allPages[circle.Post](h, admin, "/home")
	for _, p := range demoHome {
		if p.Space.ID == spaceStaff {
			t.Fatalf("demo home has staff post %d", p.ID)
		}
	}
	staffInAdminHome := 0
	for _, p := range adminHome {
		if staffSet[p.ID] {
			staffInAdminHome++
		}
	}
	if staffInAdminHome != len(staff) {
		t.Errorf("admin home has %d of %d staff posts", staffInAdminHome, len(staff))
	}

	for _, path := range []string{
		"/spaces/17/posts/" + itoa(staff[0]),
		"/spaces/staff-room/posts",
		"/posts/" + itoa(staff[0]) + "/comments",
		"/posts/" + itoa(staff[0]) + "/user_likes",
		"/community_members?space_id=17",
	} {
		if status := h.get(token, path, nil); status != http.StatusNotFound {
			t.Errorf("GET %s as demo: %d, want 404", path, status)
		}
		h.mustGet(admin, path, nil)
	}

	// A staff author's post list shows the staff posts only to members of
	// the Staff Room.
	st := h.sb.store
	st.mu.RLock()
	author := st.posts[staff[0]].authorID
	st.mu.RUnlock()
	path := "/community_members/" + itoa(author) + "/posts"
	for _, p := range allPages[circle.Post](h, token, path) {
		if staffSet[p.ID] {
			t.Errorf("demo sees staff post %d in the author's posts", p.ID)
		}
	}
	if !slices.ContainsFunc(allPages[circle.Post](h, admin, path), func(p circle.Post) bool { return staffSet[p.ID] }) {
		t.Error("admin does not see staff posts in the author's posts")
	}
}

func TestPerMemberFields(t *testing.T) {
	h := newHarness(t)
	demo := h.sb.DemoMemberID()
	token := h.token(demo)

	// is_liked: the demo member's likes differ from another member's, and
	// agree with the likes lists.
	demoHome := allPages[circle.Post](h, token, "/home")
	differs := false
	for _, other := range h.sb.MemberIDs()[1:6] {
		otherLiked := map[int64]bool{}
		for _, p := range allPages[circle.Post](h, h.token(other), "/home") {
			otherLiked[p.ID] = p.IsLiked
		}
		for _, p := range demoHome {
			if liked, ok := otherLiked[p.ID]; ok && liked != p.IsLiked {
				differs = true
			}
		}
	}
	if !differs {
		t.Error("is_liked is the same for the demo member and five others on every post")
	}
	for _, p := range demoHome[:20] {
		likers := allPages[circle.Author](h, token, "/posts/"+itoa(p.ID)+"/user_likes")
		inList := slices.ContainsFunc(likers, func(a circle.Author) bool { return a.CommunityMemberID == demo })
		if inList != p.IsLiked {
			t.Errorf("post %d: is_liked %v but the demo member in user_likes: %v", p.ID, p.IsLiked, inList)
		}
		if len(likers) != p.UserLikesCount {
			t.Errorf("post %d: user_likes_count %d, user_likes has %d", p.ID, p.UserLikesCount, len(likers))
		}
	}

	// rsvp_status: the demo member is going to an upcoming event; a member
	// who did not answer sees null there.
	var events circle.Page[circle.Post]
	h.mustGet(token, "/community_events", &events)
	var going *circle.Post
	for i, ev := range events.Records {
		if ev.RsvpStatus != nil && *ev.RsvpStatus == "yes" {
			going = &events.Records[i]
			break
		}
	}
	if going == nil {
		t.Fatal("the demo member is going to no upcoming event")
	}
	attendees := allPages[circle.EventAttendee](h, token, "/events/"+itoa(going.ID)+"/event_attendees")
	answered := map[int64]string{}
	yes := 0
	for _, a := range attendees {
		answered[a.CommunityMemberID] = a.RsvpStatus
		if a.RsvpStatus == "yes" {
			yes++
		}
	}
	if answered[demo] != "yes" {
		t.Errorf("attendees list the demo member as %q", answered[demo])
	}
	if going.EventSettings.RsvpCount != yes {
		t.Errorf("rsvp_count %d, attendees saying yes %d", going.EventSettings.RsvpCount, yes)
	}
	var silent int64
	for _, id := range h.sb.MemberIDs() {
		if _, ok := answered[id]; !ok {
			silent = id
			break
		}
	}
	raw := mustRaw(t, h, h.token(silent), "/spaces/14/posts/"+itoa(going.ID))
	if !strings.Contains(raw, `"rsvp_status":null`) {
		t.Errorf("member %d who did not answer: %s", silent, raw)
	}
	for id, status := range answered {
		if id == demo {
			continue
		}
		var p circle.Post
		h.mustGet(h.token(id), "/spaces/14/posts/"+itoa(going.ID), &p)
		if p.RsvpStatus == nil || *p.RsvpStatus != status {
			t.Errorf("member %d sees rsvp_status %v, attendees say %q", id, p.RsvpStatus, status)
		}
	}
	// Basic posts carry no RSVP fields at all.
	if raw := mustRaw(t, h, token, "/spaces/12/posts/"+itoa(h.postsIn(spaceGeneral)[0])); strings.Contains(raw, "rsvp_status") {
		t.Errorf("basic post with rsvp_status: %s", raw)
	}
}

func TestMemberDirectory(t *testing.T) {
	h := newHarness(t)
	demo := h.sb.DemoMemberID()
	token := h.token(demo)
	everyone := allPages[circle.CommunityMember](h, token, "/community_members")

	for _, search := range []string{"a", "AN", "demo", "zzz"} {
		t.Run("search "+search, func(t *testing.T) {
			var want []int64
			for _, m := range everyone {
				if strings.Contains(strings.ToLower(m.Name), strings.ToLower(search)) {
					want = append(want, m.CommunityMemberID)
				}
			}
			var got []int64
			for _, m := range allPages[circle.CommunityMember](h, token, "/community_members?search_text="+search) {
				got = append(got, m.CommunityMemberID)
			}
			if !slices.Equal(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}

	for _, space := range []int64{spaceLounge, spaceShowAndTell, spaceGeneral} {
		var got []int64
		for _, m := range allPages[circle.CommunityMember](h, token, "/community_members?space_id="+itoa(space)) {
			got = append(got, m.CommunityMemberID)
		}
		if want := h.spaceMembers(space); !slices.Equal(got, want) {
			t.Errorf("space %d: got %v, want %v", space, got, want)
		}
		if in := slices.Contains(got, demo); in != (space != spaceShowAndTell) {
			t.Errorf("space %d lists the demo member: %v", space, in)
		}
	}

	var both circle.Page[circle.CommunityMember]
	h.mustGet(token, "/community_members?space_id=16&search_text=demo", &both)
	if both.Count != 1 || both.Records[0].CommunityMemberID != demo {
		t.Errorf("search within a space: %+v", both)
	}

	var alpha []string
	for _, m := range allPages[circle.CommunityMember](h, token, "/community_members?sort=alphabetical") {
		alpha = append(alpha, strings.ToLower(m.Name))
	}
	if !slices.IsSorted(alpha) {
		t.Errorf("sort=alphabetical: %v", alpha)
	}
}

func TestIDsDoNotMix(t *testing.T) {
	h := newHarness(t)
	token := h.token(h.admin()) // sees every space
	inRange := func(v, lo, hi int64) bool { return v >= lo && v < hi }
	checkAuthor := func(where string, a circle.Author) {
		t.Helper()
		if a.ID == a.CommunityMemberID || !inRange(a.ID, firstUserID, firstUserID+1000) || !inRange(a.CommunityMemberID, firstMemberID, firstMemberID+1000) {
			t.Errorf("%s: author id %d, community_member_id %d", where, a.ID, a.CommunityMemberID)
		}
	}
	posts := allPages[circle.Post](h, token, "/home")
	if len(posts) < 60 {
		t.Fatalf("only %d posts in the seed", len(posts))
	}
	for _, p := range posts {
		where := "post " + itoa(p.ID)
		if !inRange(p.ID, firstPostID, firstPostID+1000) || !inRange(p.Space.ID, 11, 20) {
			t.Errorf("%s in space %d: ids out of range", where, p.Space.ID)
		}
		checkAuthor(where, p.Author)
		comments := allPages[circle.Comment](h, token, "/posts/"+itoa(p.ID)+"/comments")
		total := len(comments)
		for _, c := range comments {
			where := where + " comment " + itoa(c.ID)
			checkAuthor(where, c.Author)
			if !inRange(c.ID, firstCommentID, firstCommentID+10000) || c.UserID != c.Author.ID || c.CommunityMemberID != c.Author.CommunityMemberID || c.PostID != p.ID || c.SpaceID != p.Space.ID || c.ParentCommentID != nil {
				t.Errorf("%s: %+v", where, c)
			}
			if c.RepliesCount != len(c.Replies) {
				t.Errorf("%s: replies_count %d, %d replies embedded", where, c.RepliesCount, len(c.Replies))
			}
			total += c.RepliesCount
			for _, r := range c.Replies {
				checkAuthor(where+" reply", r.Author)
				if r.ParentCommentID == nil || *r.ParentCommentID != c.ID || r.PostID != p.ID {
					t.Errorf("%s reply %d: parent %v post %d", where, r.ID, r.ParentCommentID, r.PostID)
				}
			}
		}
		if p.CommentCount != total {
			t.Errorf("%s: comment_count %d, comments and replies %d", where, p.CommentCount, total)
		}
	}

	// Directory, profiles, likes and attendees all speak member ids.
	for _, m := range allPages[circle.CommunityMember](h, token, "/community_members") {
		if !inRange(m.CommunityMemberID, firstMemberID, firstMemberID+1000) {
			t.Errorf("directory member id %d", m.CommunityMemberID)
		}
		var prof circle.Profile
		h.mustGet(token, "/community_members/"+itoa(m.CommunityMemberID)+"/public_profile", &prof)
		if prof.ID != m.CommunityMemberID {
			t.Errorf("profile %d has id %d", m.CommunityMemberID, prof.ID)
		}
	}
	var me circle.CurrentMember
	h.mustGet(h.token(h.sb.DemoMemberID()), "/community_member", &me)
	if me.ID != h.sb.DemoMemberID() || me.UserID == me.ID || !inRange(me.UserID, firstUserID, firstUserID+1000) {
		t.Errorf("current member id %d user id %d", me.ID, me.UserID)
	}
	for _, ev := range h.postsIn(spaceEvents) {
		for _, a := range allPages[circle.EventAttendee](h, token, "/events/"+itoa(ev)+"/event_attendees") {
			if !inRange(a.CommunityMemberID, firstMemberID, firstMemberID+1000) || !inRange(a.ID, firstAttendeeID, firstAttendeeID+10000) {
				t.Errorf("event %d attendee %+v", ev, a)
			}
		}
	}
}

func TestRepliesAndProfiles(t *testing.T) {
	h := newHarness(t)
	demo := h.sb.DemoMemberID()
	token := h.token(demo)
	postID, commentID := h.commentWithReplies(spaceGeneral)

	var c circle.Comment
	h.mustGet(token, "/posts/"+itoa(postID)+"/comments/"+itoa(commentID), &c)
	replies := allPages[circle.Comment](h, token, "/comments/"+itoa(commentID)+"/replies")
	if len(replies) == 0 || len(replies) != c.RepliesCount || len(replies) != len(c.Replies) {
		t.Fatalf("replies: listed %d, replies_count %d, embedded %d", len(replies), c.RepliesCount, len(c.Replies))
	}
	var latest circle.Page[circle.Comment]
	h.mustGet(token, "/comments/"+itoa(commentID)+"/replies?sort=latest", &latest)
	if latest.Records[0].ID != replies[len(replies)-1].ID {
		t.Errorf("sort=latest starts with %d, want %d", latest.Records[0].ID, replies[len(replies)-1].ID)
	}

	// Profile counts agree with the member's own lists.
	var prof circle.Profile
	h.mustGet(token, "/community_members/"+itoa(demo)+"/public_profile", &prof)
	posts := allPages[circle.Post](h, token, "/community_members/"+itoa(demo)+"/posts")
	comments := allPages[circle.Comment](h, token, "/community_members/"+itoa(demo)+"/comments")
	if prof.PostsCount != len(posts) || prof.CommentsCount != len(comments) || prof.PostsCount == 0 {
		t.Errorf("profile counts %d/%d, lists %d/%d", prof.PostsCount, prof.CommentsCount, len(posts), len(comments))
	}
	for _, p := range posts {
		if p.Author.CommunityMemberID != demo {
			t.Errorf("member posts include post %d by %d", p.ID, p.Author.CommunityMemberID)
		}
	}
	for i, c := range comments {
		if c.CommunityMemberID != demo || i > 0 && c.CreatedAt.After(comments[i-1].CreatedAt.Time) {
			t.Errorf("member comments: %d by %d at %v", c.ID, c.CommunityMemberID, c.CreatedAt)
		}
	}
	var me circle.CurrentMember
	h.mustGet(token, "/community_member", &me)
	if me.Email != "demo@example.com" || me.PostsCount != prof.PostsCount || me.SpacesCount != 7 || me.Roles.Admin {
		t.Errorf("current member %+v", me)
	}
}

func TestSorts(t *testing.T) {
	h := newHarness(t)
	token := h.token(h.sb.DemoMemberID())
	ordered := func(sort string, less func(a, b circle.Post) bool) {
		t.Helper()
		posts := allPages[circle.Post](h, token, "/home?sort="+sort)
		for i := 1; i < len(posts); i++ {
			if less(posts[i], posts[i-1]) {
				t.Errorf("sort=%s: post %d before %d", sort, posts[i-1].ID, posts[i].ID)
				return
			}
		}
	}
	ordered("latest", func(a, b circle.Post) bool { return a.CreatedAt.After(b.CreatedAt.Time) })
	ordered("oldest", func(a, b circle.Post) bool { return a.CreatedAt.Before(b.CreatedAt.Time) })
	ordered("likes", func(a, b circle.Post) bool { return a.UserLikesCount > b.UserLikesCount })
	ordered("alphabetical", func(a, b circle.Post) bool { return strings.ToLower(a.DisplayTitle) < strings.ToLower(b.DisplayTitle) })

	// A space's default order puts pinned posts first.
	var space circle.Page[circle.Post]
	h.mustGet(token, "/spaces/11/posts", &space)
	if len(space.Records) < 3 || !space.Records[0].IsPinnedAtTopOfSpace || !space.Records[1].IsPinnedAtTopOfSpace || space.Records[2].IsPinnedAtTopOfSpace {
		t.Errorf("announcements do not start with their two pinned posts")
	}
	if space.Sort != "latest" {
		t.Errorf("sort echoed as %q", space.Sort)
	}

	postID, _ := h.commentWithReplies(spaceGeneral)
	comments := allPages[circle.Comment](h, token, "/posts/"+itoa(postID)+"/comments")
	for i := 1; i < len(comments); i++ {
		if comments[i].CreatedAt.Before(comments[i-1].CreatedAt.Time) {
			t.Errorf("comments are not oldest first")
		}
	}
}

func TestEvents(t *testing.T) {
	h := newHarness(t)
	check := func(past bool) []circle.Post {
		t.Helper()
		token := h.token(h.sb.DemoMemberID()) // fresh: the test moves the clock
		path := "/community_events"
		if past {
			path += "?past_events=true"
		}
		events := allPages[circle.Post](h, token, path)
		now := h.clock.Now()
		for i, ev := range events {
			s := ev.EventSettings
			if s == nil || ev.PostType != "event" {
				t.Fatalf("event %d has no event settings", ev.ID)
			}
			if s.EndsAt.After(now) == past {
				t.Errorf("past=%v lists event %d ending %v (now %v)", past, ev.ID, s.EndsAt, now)
			}
			if (s.LocationType == "virtual") != (s.VirtualLocationURL != "") || (s.LocationType == "in_person") != (s.InPersonLocation != nil) {
				t.Errorf("event %d location %+v", ev.ID, s)
			}
			if i > 0 && s.StartsAt.Before(events[i-1].EventSettings.StartsAt.Time) != past {
				t.Errorf("past=%v: events out of order at %d", past, ev.ID)
			}
		}
		return events
	}
	upcoming, past := check(false), check(true)
	if len(upcoming) < 3 || len(past) < 3 {
		t.Fatalf("%d upcoming and %d past events", len(upcoming), len(past))
	}
	if len(upcoming)+len(past) != len(h.postsIn(spaceEvents)) {
		t.Errorf("upcoming and past do not add up to every event")
	}

	// The event space lists upcoming events by default and all with past_events.
	token := h.token(h.sb.DemoMemberID())
	var space, all circle.Page[circle.Post]
	h.mustGet(token, "/spaces/events/posts?per_page=100", &space)
	h.mustGet(token, "/spaces/events/posts?per_page=100&past_events=true", &all)
	if space.Count != len(upcoming) || all.Count != len(upcoming)+len(past) {
		t.Errorf("event space lists %d by default and %d with past events", space.Count, all.Count)
	}

	// Time moves events from upcoming to past.
	h.clock.Set(upcoming[0].EventSettings.EndsAt.Time)
	if later := check(false); len(later) != len(upcoming)-1 {
		t.Errorf("after the first upcoming event ends: %d upcoming, want %d", len(later), len(upcoming)-1)
	}
}

func TestRouting(t *testing.T) {
	h := newHarness(t)
	token := h.token(h.sb.DemoMemberID())
	tests := []struct {
		method, path, token string
		status              int
		allow               string
	}{
		{http.MethodGet, "/nope", "", http.StatusNotFound, ""},
		{http.MethodGet, memberPrefix + "/no_such_endpoint", token, http.StatusNotFound, ""},
		{http.MethodGet, memberPrefix + "/spaces/12/posts/1/extra", token, http.StatusNotFound, ""},
		{http.MethodPost, memberPrefix + "/home", token, http.StatusMethodNotAllowed, "GET, HEAD"},
		{http.MethodDelete, memberPrefix + "/spaces/12", token, http.StatusMethodNotAllowed, "GET, HEAD"},
		{http.MethodGet, authPrefix + "/auth_token", testAppToken, http.StatusMethodNotAllowed, "POST"},
		{http.MethodPost, authPrefix + "/access_token/refresh", testAppToken, http.StatusMethodNotAllowed, "PATCH"},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, h.srv.URL+tc.path, nil)
			req.Header.Set("Authorization", "Bearer "+tc.token)
			resp, err := h.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body errorBody
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.Success || body.Message == "" {
				t.Errorf("not a Circle error body: %+v %v", body, err)
			}
			if resp.StatusCode != tc.status || resp.Header.Get("Allow") != tc.allow {
				t.Errorf("status %d Allow %q, want %d %q", resp.StatusCode, resp.Header.Get("Allow"), tc.status, tc.allow)
			}
		})
	}
	status, raw := h.do(http.MethodPost, authPrefix+"/auth_token", "", nil)
	if status != http.StatusUnauthorized || errorMessage(t, raw) != msgAppUnauthorized {
		t.Errorf("auth without app token: %d %s", status, raw)
	}
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+authPrefix+"/auth_token", strings.NewReader("{not json"))
	req.Header.Set("Authorization", "Bearer "+testAppToken)
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("malformed JSON: %d, want 400", resp.StatusCode)
	}
}

// TestSeedIsDeterministic starts two sandboxes at different times and
// compares what they hold: the same records under the same ids.
func TestSeedIsDeterministic(t *testing.T) {
	snapshot := func(start time.Time) (ids []int64, posts []string) {
		clock := &testClock{t: start}
		sb := New(Options{Now: clock.Now})
		tok, err := sb.IssueToken(sb.DemoMemberID())
		if err != nil {
			t.Fatal(err)
		}
		h := &harness{t: t, sb: sb, clock: clock}
		h.srv = httptestServer(t, sb)
		for _, p := range allPages[circle.Post](h, tok.AccessToken, "/home?sort=oldest") {
			line, _ := json.Marshal([]any{p.ID, p.DisplayTitle, p.Space.ID, p.Author.CommunityMemberID, p.CommentCount, p.UserLikesCount, p.IsLiked, p.IsPinnedAtTopOfSpace, p.RsvpStatus, p.CreatedAt.Sub(start.Truncate(time.Hour))})
			posts = append(posts, string(line))
		}
		return sb.MemberIDs(), posts
	}
	ids1, posts1 := snapshot(testStart)
	ids2, posts2 := snapshot(testStart.Add(7*24*time.Hour + 37*time.Minute))
	if !slices.Equal(ids1, ids2) || !slices.Equal(posts1, posts2) {
		t.Errorf("seeds differ:\n%v\n%v", posts1[:3], posts2[:3])
	}
	if ids1[0] != firstMemberID || New(Options{}).DemoMemberID() != firstMemberID {
		t.Errorf("demo member is %d, want %d", ids1[0], firstMemberID)
	}
}
