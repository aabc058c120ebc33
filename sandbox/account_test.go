package sandbox

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// Credentials of the account cases beyond the conformance fixture's.
const (
	credLeaver = "leaver" // a member who deactivates their membership
	credAdmin  = "admin"  // an admin, who may not
	credNewbie = "newbie" // a member whose signup profile is not confirmed
)

func init() {
	for status, msgs := range map[int][]string{
		http.StatusForbidden: {msgCannotDeactivate},
		http.StatusUnprocessableEntity: {
			"Name can't be blank", "Avatar is invalid", "Headline is too long (maximum is 255 characters)",
			"Validation failed: Content type is invalid, Byte size must be greater than 0, Checksum is not a Base64 MD5 digest",
			"Validation failed: Byte size must be less than or equal to 8388608 in the sandbox",
			msgReportInvalid,
		},
		http.StatusBadRequest: {"param is missing or the value is empty: blob", "param is missing or the value is empty: flagged_content"},
	} {
		if writeMessages[status] == nil {
			writeMessages[status] = map[string]bool{}
		}
		for _, m := range msgs {
			writeMessages[status][m] = true
		}
	}
}

// testFile is a small PNG-typed file and its direct upload request.
var testFile = []byte("\x89PNG\r\n\x1a\nnot really an image, but typed as one")

func md5Base64(b []byte) string {
	sum := md5.Sum(b)
	return base64.StdEncoding.EncodeToString(sum[:])
}

func blobRequest(contentType string, data []byte) map[string]any {
	return map[string]any{"blob": map[string]any{
		"key": "", "filename": "avatar.png", "content_type": contentType,
		"byte_size": len(data), "checksum": md5Base64(data), "metadata": map[string]any{"identified": true},
	}}
}

// uploaded creates a direct upload as token's member, PUTs the file to its
// upload URL and returns the answer of POST /direct_uploads.
func (h *harness) uploaded(token, contentType string, data []byte) wireDirectUpload {
	h.t.Helper()
	status, raw := h.do(http.MethodPost, memberPrefix+"/direct_uploads", token, blobRequest(contentType, data))
	if status != http.StatusOK {
		h.t.Fatalf("POST /direct_uploads: %d %s", status, raw)
	}
	var up wireDirectUpload
	if err := json.Unmarshal(raw, &up); err != nil {
		h.t.Fatal(err)
	}
	if got := h.putFile(up.DirectUpload.URL, up.DirectUpload.Headers, data); got != http.StatusNoContent {
		h.t.Fatalf("PUT %s: %d", up.DirectUpload.URL, got)
	}
	return up
}

// putFile PUTs data to an upload URL with the given headers.
func (h *harness) putFile(url string, headers map[string]string, data []byte) int {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodPut, url, bytes.NewReader(data))
	if err != nil {
		h.t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// accountConfCases are the conformance cases of the member's own account,
// the spaces of a member and direct uploads.
func accountConfCases(f *confFixture) []confCase {
	demo := f.sb.DemoMemberID()
	admin := f.admin()
	var leaver, newbie int64
	func() {
		st := f.sb.store
		st.mu.RLock()
		defer st.mu.RUnlock()
		for _, id := range st.memberOrder {
			m := st.members[id]
			switch {
			case m.admin || id == demo:
			case leaver == 0:
				leaver = id
			case newbie == 0 && !m.profile.confirmed:
				newbie = id
			}
		}
	}()
	f.tokens[credLeaver] = f.token(leaver)
	f.tokens[credAdmin] = f.token(admin)
	f.tokens[credNewbie] = f.token(newbie)
	c := func(name, method, path, cred string, body func() any, status int, message string) confCase {
		return confCase{name: name, method: method, path: memberPrefix + path, cred: cred, body: body, status: status, message: message}
	}
	fixed := func(v any) func() any { return func() any { return v } }
	profile := func(fields map[string]any) func() any {
		return fixed(map[string]any{"community_member": fields})
	}
	avatar := func() any {
		up := f.uploaded(f.tokens[credMember], "image/png", testFile)
		return map[string]any{"community_member": map[string]any{"avatar": up.SignedID}}
	}
	notUploaded := func() any {
		status, raw := f.do(http.MethodPost, memberPrefix+"/direct_uploads", f.tokens[credMember], blobRequest("image/png", testFile))
		var up wireDirectUpload
		if status != http.StatusOK || json.Unmarshal(raw, &up) != nil {
			f.t.Fatalf("POST /direct_uploads: %d %s", status, raw)
		}
		return map[string]any{"community_member": map[string]any{"avatar": up.SignedID}}
	}
	put, del, get, post := http.MethodPut, http.MethodDelete, http.MethodGet, http.MethodPost
	general := f.postsIn(spaceGeneral)
	staff := f.postsIn(spaceStaff)
	_, commentID := f.commentWithReplies(spaceGeneral)
	flag := func(kind string, id int64, reason string) func() any {
		return fixed(map[string]any{"flagged_content": map[string]any{
			"flagged_contentable_id": id, "flagged_contentable_type": kind, "reported_reason_type": reason, "reported_reason_body": "Looks like spam to me.",
		}})
	}
	var ownSpaceMember, othersSpaceMember int64
	func() {
		st := f.sb.store
		st.mu.RLock()
		defer st.mu.RUnlock()
		ownSpaceMember = st.spaces[spaceGeneral].members[demo]
		for id, sm := range st.spaces[spaceGeneral].members {
			if id != demo {
				othersSpaceMember = sm
				break
			}
		}
	}()
	cases := []confCase{
		c("report a post", post, "/flagged_contents", credMember, flag("Post", general[0], "spam"), 201, msgPostReported),
		c("report a comment", post, "/flagged_contents", credMember, flag("Comment", commentID, "harassment"), 201, msgCommentReported),
		c("report a private post of others", post, "/flagged_contents", credMember, flag("Post", staff[0], "other"), 404, msgMissingRecord),
		c("report expired", post, "/flagged_contents", credExpired, flag("Post", general[0], "spam"), 401, msgTokenExpired),
		c("join by invitation into a space", post, "/invitation_links/"+InvitationToGeneral+"/join", credMember, nil, 200, ""),
		c("join by invitation", post, "/invitation_links/"+InvitationToCommunity+"/join", credMember, nil, 200, ""),
		c("join by an unknown invitation", post, "/invitation_links/no-such-link/join", credMember, nil, 404, msgMissingRecord),
		c("join by invitation garbage token", post, "/invitation_links/"+InvitationToCommunity+"/join", credGarbage, nil, 401, msgTokenInvalid),
		c("create a live room", post, "/live_streams/rooms", credMember, fixed(map[string]any{"name": "Office hours"}), 201, ""),
		c("create a secret conference", post, "/live_streams/rooms", credMember, fixed(map[string]any{
			"name": "Staff sync", "description": "Weekly", "slug": "staff-sync", "view_type": "speaker_view", "recording_enabled": true,
			"mute_on_join": true, "limit_url_sharing": true, "access_type": "secret", "room_type": "conference",
			"invited_entities_ids": map[string]any{"members_ids": []int64{demo}, "spaces_ids": []int64{spaceStaff}},
		}), 201, ""),
		c("create a live room without a name", post, "/live_streams/rooms", credMember, fixed(map[string]any{"name": " "}), 422, msgRoomNameBlank),
		c("create a live room expired", post, "/live_streams/rooms", credExpired, fixed(map[string]any{"name": "x"}), 401, msgTokenExpired),
		c("home space", get, "/spaces/home", credMember, nil, 200, ""),
		c("home space revoked", get, "/spaces/home", credRevoked, nil, 401, msgTokenRevoked),
		c("mark a space read", post, "/space_members/"+itoa(ownSpaceMember)+"/mark_as_read", credMember, nil, 200, ""),
		c("mark someone else's space read", post, "/space_members/"+itoa(othersSpaceMember)+"/mark_as_read", credMember, nil, 404, msgMissingRecord),
		c("mark a space read ghost", post, "/space_members/"+itoa(ownSpaceMember)+"/mark_as_read", credGhost, nil, 401, msgNoTokenMember),
		c("update profile", put, "/profile", credMember, profile(map[string]any{
			"name": "Demo Member", "headline": "Updated headline", "time_zone": "Europe/Lisbon",
			"preferences": map[string]any{"messaging_enabled": true, "visible_in_member_directory": true, "make_my_email_public": false},
			"community_member_profile_fields_attributes": []any{map[string]any{"profile_field_id": 1, "text": "Hello",
				"community_member_choices_attributes": []any{map[string]any{"profile_field_choice_id": 2}}}},
		}), 200, ""),
		c("update profile avatar", put, "/profile", credMember, avatar, 200, ""),
		c("update profile avatar not uploaded", put, "/profile", credMember, notUploaded, 422, "Avatar is invalid"),
		c("update profile blank name", put, "/profile", credMember, profile(map[string]any{"name": "  "}), 422, "Name can't be blank"),
		c("update profile long headline", put, "/profile", credMember, profile(map[string]any{"headline": strings.Repeat("é", 256)}), 422, "Headline is too long (maximum is 255 characters)"),
		c("update profile expired", put, "/profile", credExpired, profile(map[string]any{"name": "x"}), 401, msgTokenExpired),
		c("confirm signup profile", put, "/signup/profile", credNewbie, profile(map[string]any{"headline": "Just joined"}), 200, ""),
		c("confirm signup profile twice", put, "/signup/profile", credNewbie, profile(map[string]any{"headline": "Again"}), 409, msgProfileConfirmed),
		c("confirm signup profile revoked", put, "/signup/profile", credRevoked, profile(map[string]any{"headline": "x"}), 401, msgTokenRevoked),
		c("member spaces", get, "/community_members/"+itoa(demo)+"/spaces", credMember, nil, 200, ""),
		c("member spaces paged", get, "/community_members/"+itoa(admin)+"/spaces?page=2&per_page=1", credMember, nil, 200, ""),
		c("spaces of an unknown member", get, "/community_members/999999/spaces", credMember, nil, 404, msgMissingRecord),
		c("member spaces garbage token", get, "/community_members/"+itoa(demo)+"/spaces", credGarbage, nil, 401, msgTokenInvalid),
		c("direct upload", post, "/direct_uploads", credMember, fixed(blobRequest("image/jpeg", testFile)), 200, ""),
		c("direct upload invalid", post, "/direct_uploads", credMember, fixed(map[string]any{"blob": map[string]any{
			"key": "", "filename": "x.png", "content_type": "png", "byte_size": 0, "checksum": "abc"}}), 422,
			"Validation failed: Content type is invalid, Byte size must be greater than 0, Checksum is not a Base64 MD5 digest"),
		c("direct upload too big for the sandbox", post, "/direct_uploads", credMember, fixed(map[string]any{"blob": map[string]any{
			"key": "", "filename": "big.mp4", "content_type": "video/mp4", "byte_size": maxUploadBytes + 1, "checksum": md5Base64(nil)}}), 422,
			"Validation failed: Byte size must be less than or equal to 8388608 in the sandbox"),
		c("direct upload expired", post, "/direct_uploads", credExpired, fixed(blobRequest("image/png", testFile)), 401, msgTokenExpired),
		c("create cookies", post, "/cookies", credMember, nil, 200, ""),
		c("destroy cookies", del, "/cookies", credMember, nil, 200, ""),
		c("create cookies revoked", post, "/cookies", credRevoked, nil, 401, msgTokenRevoked),
		c("destroy cookies ghost", del, "/cookies", credGhost, nil, 401, msgNoTokenMember),
		c("deactivate an admin", del, "/community_member/deactivate", credAdmin, nil, 403, msgCannotDeactivate),
		c("deactivate", del, "/community_member/deactivate", credLeaver, nil, 200, ""),
		c("deactivated member's token", get, "/community_member", credLeaver, nil, 401, msgNoTokenMember),
		c("profile of a deactivated member", get, "/community_members/"+itoa(leaver)+"/public_profile", credMember, nil, 404, msgMissingRecord),
	}
	broken := []confCase{
		c("direct upload without a blob", post, "/direct_uploads", credMember, fixed(map[string]any{}), 400, "param is missing or the value is empty: blob"),
		c("report with an unknown reason", post, "/flagged_contents", credMember, flag("Post", general[0], "boring"), 422, msgReportInvalid),
		c("report without flagged_content", post, "/flagged_contents", credMember, fixed(map[string]any{}), 400, "param is missing or the value is empty: flagged_content"),
	}
	return append(cases, markInvalid(broken)...)
}

// The whole upload flow on the sandbox: create, PUT the bytes, attach the
// signed id as an avatar, read the file back at the avatar's URL.
func TestDirectUploadFlow(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tok := h.token(h.sb.DemoMemberID())
	up := h.uploaded(tok, "image/png", testFile)
	if !strings.HasPrefix(up.DirectUpload.URL, h.srv.URL+uploadPathPrefix) || up.DirectUpload.Headers["Content-Type"] != "image/png" {
		t.Fatalf("upload target %+v: want the sandbox's own URL and the declared type", up.DirectUpload)
	}
	status, raw := h.do(http.MethodPut, memberPrefix+"/profile", tok, map[string]any{"community_member": map[string]any{"avatar": up.SignedID}})
	if status != http.StatusOK {
		t.Fatalf("PUT /profile: %d %s", status, raw)
	}
	var me wireCurrentMember
	h.mustGet(tok, "/community_member", &me)
	if me.AvatarURL == nil || *me.AvatarURL != up.URL {
		t.Fatalf("avatar_url %v, want the blob's URL %s", me.AvatarURL, up.URL)
	}
	resp, err := h.srv.Client().Get(*me.AvatarURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got bytes.Buffer
	_, _ = got.ReadFrom(resp.Body)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got.Bytes(), testFile) || resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("GET avatar: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), got.Bytes())
	}
}

// The upload URL takes exactly the file that was declared, before it
// expires, and only a file uploaded in full can be attached.
func TestUploadURLChecksTheFile(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tok := h.token(h.sb.DemoMemberID())
	create := func() wireDirectUpload {
		status, raw := h.do(http.MethodPost, memberPrefix+"/direct_uploads", tok, blobRequest("image/png", testFile))
		var up wireDirectUpload
		if status != http.StatusOK || json.Unmarshal(raw, &up) != nil {
			t.Fatalf("POST /direct_uploads: %d %s", status, raw)
		}
		return up
	}
	other := append([]byte{}, testFile...)
	other[len(other)-1] ^= 1
	tests := []struct {
		name    string
		headers map[string]string
		data    []byte
		expire  bool
		want    int
	}{
		{"another content type", map[string]string{"Content-Type": "image/jpeg"}, testFile, false, http.StatusUnprocessableEntity},
		{"other bytes of the same size", nil, other, false, http.StatusUnprocessableEntity},
		{"fewer bytes", nil, testFile[1:], false, http.StatusUnprocessableEntity},
		{"after the URL expired", nil, testFile, true, http.StatusNotFound},
		{"the declared file", nil, testFile, false, http.StatusNoContent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := create()
			headers := up.DirectUpload.Headers
			if tt.headers != nil {
				headers = tt.headers
			}
			if tt.expire {
				h.clock.Advance(uploadURLLifetime + 1)
			}
			if got := h.putFile(up.DirectUpload.URL, headers, tt.data); got != tt.want {
				t.Fatalf("PUT: %d, want %d", got, tt.want)
			}
			_, err := h.sb.uploads.attachable(up.SignedID)
			if (err == nil) != (tt.want == http.StatusNoContent) {
				t.Fatalf("attachable after %d: %v", tt.want, err)
			}
		})
	}
	if got := h.putFile(h.srv.URL+uploadPathPrefix+"no-such-token", map[string]string{"Content-Type": "image/png"}, testFile); got != http.StatusNotFound {
		t.Fatalf("unknown token: %d", got)
	}
	if _, err := h.sb.uploads.attachable("forged--0000"); err == nil {
		t.Fatal("a forged signed id attaches")
	}
}

// The bytes the sandbox keeps are bounded: the oldest files make room.
func TestUploadStoreIsBounded(t *testing.T) {
	t.Parallel()
	clock := &testClock{t: testStart}
	u := newUploadStore([]byte("k"), clock.Now)
	data := bytes.Repeat([]byte{1}, maxUploadBytes)
	var signed []string
	for i := 0; i < maxStoredUploadBytes/maxUploadBytes+2; i++ {
		up, err := u.create(1, directUploadRequest{Blob: &blobParams{
			Filename: "f.bin", ContentType: "application/octet-stream", ByteSize: int64(len(data)), Checksum: md5Base64(data),
		}}, "http://sandbox")
		if err != nil {
			t.Fatal(err)
		}
		token := strings.TrimPrefix(up.DirectUpload.URL, "http://sandbox"+uploadPathPrefix)
		if got := u.put(token, "application/octet-stream", data); got != http.StatusNoContent {
			t.Fatalf("put %d: %d", i, got)
		}
		signed = append(signed, up.SignedID)
		if u.stored > maxStoredUploadBytes {
			t.Fatalf("%d bytes kept, more than %d", u.stored, maxStoredUploadBytes)
		}
	}
	if _, _, ok := u.file(signed[0]); ok {
		t.Fatal("the oldest file is still kept")
	}
	if _, _, ok := u.file(signed[len(signed)-1]); !ok {
		t.Fatal("the newest file is gone")
	}
}

// POST /cookies starts a web session the home page honours; DELETE
// /cookies ends it and clears the cookie. Sessions are bounded per member.
func TestWebSessions(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tok := h.token(h.sb.DemoMemberID())
	call := func(method string) *http.Response {
		req, _ := http.NewRequest(method, h.srv.URL+memberPrefix+"/cookies", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := h.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	home := func(c *http.Cookie) int {
		req, _ := http.NewRequest(http.MethodGet, h.srv.URL+"/", nil)
		if c != nil {
			req.AddCookie(c)
		}
		resp, err := h.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	created := call(http.MethodPost).Cookies()
	if len(created) != 1 || created[0].Name != sessionCookieName || !created[0].HttpOnly || created[0].Value == "" {
		t.Fatalf("POST /cookies set %v", created)
	}
	if got := home(created[0]); got != http.StatusOK {
		t.Fatalf("home with the session: %d", got)
	}
	if got := home(nil); got != http.StatusUnauthorized {
		t.Fatalf("home without a session: %d", got)
	}
	cleared := call(http.MethodDelete).Cookies()
	if len(cleared) != 1 || cleared[0].Value != "" || cleared[0].MaxAge >= 0 {
		t.Fatalf("DELETE /cookies set %v", cleared)
	}
	if got := home(created[0]); got != http.StatusUnauthorized {
		t.Fatalf("home with an ended session: %d", got)
	}
	var first *http.Cookie
	for i := 0; i <= maxSessionsPerMember; i++ {
		c := call(http.MethodPost).Cookies()[0]
		if first == nil {
			first = c
		}
	}
	if got := home(first); got != http.StatusUnauthorized {
		t.Fatalf("the oldest of %d sessions still signs in: %d", maxSessionsPerMember+1, got)
	}
}
