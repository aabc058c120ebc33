package e2e

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/circle-gateway/gateway/internal/testenv"
)

// The signed-in member's account and direct uploads through the gateway:
// what reaches Circle, what never does, and how its refusals come back.

const (
	updateProfileMutation = `mutation($in: UpdateProfileInput!) { updateProfile(input: $in) {
		member { id name headline avatarUrl } message userErrors { field message } } }`
	createUploadMutation = `mutation($in: CreateDirectUploadInput!) { createDirectUpload(input: $in) {
		upload { signedId uploadUrl uploadHeaders { name value } filename contentType byteSize checksum url attachableSgid }
		userErrors { field message } } }`
)

func md5Base64(b []byte) string {
	sum := md5.Sum(b)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// userErrors decodes a payload's userErrors.
func userErrors(t *testing.T, r testenv.Response, mutation string) []struct {
	Field   []string
	Message string
} {
	t.Helper()
	var out map[string]struct {
		UserErrors []struct {
			Field   []string
			Message string
		}
	}
	r.Decode(t, &out)
	return out[mutation].UserErrors
}

// Input the gateway can judge is refused before any call: malformed ids as
// BAD_USER_INPUT, what the member typed as userErrors.
func TestUpdateProfileInputChecks(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	tests := []struct {
		name  string
		in    map[string]any
		code  string // top-level error code, or "" for userErrors
		field string // the userError's field path, joined by "."
	}{
		{"nothing to change", map[string]any{}, "", "input"},
		{"blank name", map[string]any{"name": "   "}, "", "input.name"},
		{"name of 256 characters", map[string]any{"name": strings.Repeat("é", 256)}, "", "input.name"},
		{"name with a control character", map[string]any{"name": "a\u0007b"}, "", "input.name"},
		{"headline of 256 characters", map[string]any{"headline": strings.Repeat("ü", 256)}, "", "input.headline"},
		{"blank time zone", map[string]any{"timeZone": " "}, "", "input.timeZone"},
		{"long profile field text", map[string]any{"profileFields": []any{map[string]any{"profileFieldId": "1", "text": strings.Repeat("x", 10001)}}}, "", "input.profileFields"},
		{"avatar that is not a signed id", map[string]any{"avatarSignedId": "https://example.com/me.png"}, "BAD_USER_INPUT", ""},
		{"profile field id that is not an id", map[string]any{"profileFields": []any{map[string]any{"profileFieldId": "name"}}}, "BAD_USER_INPUT", ""},
		{"choice id that is not an id", map[string]any{"profileFields": []any{map[string]any{"profileFieldId": "1", "choices": []any{map[string]any{"choiceId": "-3"}}}}}, "BAD_USER_INPUT", ""},
		{"too many profile fields", map[string]any{"profileFields": func() []any {
			var out []any
			for i := 1; i <= 101; i++ {
				out = append(out, map[string]any{"profileFieldId": fmt.Sprint(i)})
			}
			return out
		}()}, "BAD_USER_INPUT", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env.Upstream.Reset()
			r := env.Do(t, tok, updateProfileMutation, map[string]any{"in": tt.in})
			if tt.code != "" {
				mustCode(t, r, tt.code)
			} else {
				mustNoErrors(t, r)
				ue := userErrors(t, r, "updateProfile")
				if len(ue) != 1 || strings.Join(ue[0].Field, ".") != tt.field {
					t.Fatalf("userErrors %+v, want one at %s", ue, tt.field)
				}
			}
			mustCalls(t, env)
		})
	}
}

// A profile change is one PUT; the payload's member comes from Circle's
// answer when it holds every field asked for, and from one re-read of the
// member otherwise. Circle's refusals are userErrors at the input field
// they blame; nothing is retried once sent.
func TestUpdateProfileWrites(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)

	r := env.Do(t, tok, updateProfileMutation, map[string]any{"in": map[string]any{"name": "  Dana Demo ", "headline": "Trying the gateway", "timeZone": "Europe/Lisbon", "messagingEnabled": false}})
	mustNoErrors(t, r)
	assertJSON(t, r.Data, fmt.Sprintf(`{"updateProfile":{"member":{"id":"%d","name":"Dana Demo","headline":"Trying the gateway","avatarUrl":%q},"message":"Profile updated!","userErrors":[]}}`,
		env.Sandbox.DemoMemberID(), *mustMe(t, env, tok).avatar))
	mustCalls(t, env, "PUT /profile")

	env.Upstream.Reset()
	r = env.Do(t, tok, `mutation { updateProfile(input: { headline: "Again" }) { member { headline email messagingEnabled } } }`, nil)
	mustNoErrors(t, r)
	assertJSON(t, r.Data, `{"updateProfile":{"member":{"headline":"Again","email":"demo@example.com","messagingEnabled":false}}}`)
	mustCalls(t, env, "PUT /profile", "GET /community_member")

	// Circle's 422 lands at the field it blames.
	env.Upstream.Reset()
	r = env.Do(t, tok, createUploadMutation, map[string]any{"in": map[string]any{"filename": "a.png", "contentType": "image/png", "byteSize": 3, "checksum": md5Base64([]byte("abc"))}})
	mustNoErrors(t, r)
	var created struct {
		CreateDirectUpload struct{ Upload struct{ SignedID string } }
	}
	r.Decode(t, &created)
	env.Upstream.Reset()
	r = env.Do(t, tok, updateProfileMutation, map[string]any{"in": map[string]any{"avatarSignedId": created.CreateDirectUpload.Upload.SignedID}})
	mustNoErrors(t, r)
	if ue := userErrors(t, r, "updateProfile"); len(ue) != 1 || strings.Join(ue[0].Field, ".") != "input.avatarSignedId" || ue[0].Message != "Avatar is invalid" {
		t.Fatalf("a file never uploaded as the avatar: %+v", ue)
	}
	mustCalls(t, env, "PUT /profile")

	// A write that fails upstream is sent once.
	env.Upstream.Reset()
	env.Upstream.SetFault(func(r *http.Request) (int, string, bool) {
		return http.StatusServiceUnavailable, `{"success":false,"message":"Service unavailable","error_details":{}}`, r.Method == http.MethodPut
	})
	defer env.Upstream.SetFault(nil)
	mustCode(t, env.Do(t, tok, updateProfileMutation, map[string]any{"in": map[string]any{"name": "Once"}}), "UPSTREAM_UNAVAILABLE")
	mustCalls(t, env, "PUT /profile")
}

// me's avatar, for comparisons.
type meSnapshot struct{ avatar *string }

func mustMe(t *testing.T, env *testenv.Env, tok string) meSnapshot {
	t.Helper()
	me, err := truth(t, env, tok).Me(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return meSnapshot{avatar: me.AvatarURL}
}

// The signup profile is confirmed once: a second time is Circle's 409, as
// a userError with Circle's message.
func TestConfirmSignupProfile(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	q := `mutation($in: UpdateProfileInput!) { confirmSignupProfile(input: $in) { member { id headline } message userErrors { field message } } }`
	newcomer := unconfirmedMember(t, env)
	tok := env.Token(t, newcomer)
	r := env.Do(t, tok, q, map[string]any{"in": map[string]any{"headline": "Just joined"}})
	mustNoErrors(t, r)
	assertJSON(t, r.Data, fmt.Sprintf(`{"confirmSignupProfile":{"member":{"id":"%d","headline":"Just joined"},"message":"Profile confirmed!","userErrors":[]}}`, newcomer))
	env.Upstream.Reset()
	r = env.Do(t, tok, q, map[string]any{"in": map[string]any{}})
	mustNoErrors(t, r)
	assertJSON(t, r.Data, `{"confirmSignupProfile":{"member":null,"message":null,"userErrors":[{"field":null,"message":"You already created profile"}]}}`)
	mustCalls(t, env, "PUT /signup/profile")
}

// unconfirmedMember finds a sandbox member whose signup profile is not
// confirmed yet, by asking the sandbox as each member.
func unconfirmedMember(t *testing.T, env *testenv.Env) int64 {
	t.Helper()
	for _, id := range env.Sandbox.MemberIDs() {
		if !env.Sandbox.SignupConfirmed(id) {
			return id
		}
	}
	t.Fatal("every sandbox member has confirmed their signup profile")
	return 0
}

// deactivateAccount takes effect only with the member's own id as the
// confirmation; anything else costs no call.
func TestDeactivateAccount(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	q := `mutation($id: ID!) { deactivateAccount(confirmMemberId: $id) { deactivatedMemberId userErrors { message } } }`
	demo := env.Sandbox.DemoMemberID()
	var leaver int64
	for _, id := range env.Sandbox.MemberIDs() {
		if id != demo && !env.Sandbox.IsAdmin(id) {
			leaver = id
			break
		}
	}
	tok := env.Token(t, leaver)
	for _, confirm := range []string{fmt.Sprint(demo), "0", "me", ""} {
		env.Upstream.Reset()
		mustCode(t, env.Do(t, tok, q, map[string]any{"id": confirm}), "BAD_USER_INPUT")
		mustCalls(t, env)
	}
	env.Upstream.Reset()
	r := env.Do(t, tok, q, map[string]any{"id": fmt.Sprint(leaver)})
	mustNoErrors(t, r)
	assertJSON(t, r.Data, fmt.Sprintf(`{"deactivateAccount":{"deactivatedMemberId":"%d","userErrors":[]}}`, leaver))
	mustCalls(t, env, "DELETE /community_member/deactivate")
	mustCode(t, env.Do(t, tok, `{ me { id } }`, nil), "UNAUTHENTICATED")

	admin := int64(0)
	for _, id := range env.Sandbox.MemberIDs() {
		if env.Sandbox.IsAdmin(id) {
			admin = id
			break
		}
	}
	mustCode(t, env.Do(t, env.Token(t, admin), q, map[string]any{"id": fmt.Sprint(admin)}), "FORBIDDEN")
}

// createDirectUpload checks the file before asking Circle, and answers
// with what the client needs to upload it itself.
func TestCreateDirectUpload(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	file := []byte("GIF89a tiny")
	good := func(change map[string]any) map[string]any {
		in := map[string]any{"filename": "cat.gif", "contentType": "image/gif", "byteSize": len(file), "checksum": md5Base64(file)}
		for k, v := range change {
			in[k] = v
		}
		return in
	}
	tests := []struct {
		name  string
		in    map[string]any
		code  string
		field string
	}{
		{"an SVG (scripts)", good(map[string]any{"contentType": "image/svg+xml"}), "", "input.contentType"},
		{"an executable", good(map[string]any{"filename": "setup.exe", "contentType": "application/x-msdownload"}), "", "input.contentType"},
		{"a type with parameters", good(map[string]any{"contentType": "text/plain; charset=utf-8"}), "", "input.contentType"},
		{"not a MIME type", good(map[string]any{"contentType": "gif"}), "", "input.contentType"},
		{"an empty file", good(map[string]any{"byteSize": 0}), "", "input.byteSize"},
		{"an image over 25 MiB", good(map[string]any{"byteSize": 25<<20 + 1}), "", "input.byteSize"},
		{"a file name with a path", good(map[string]any{"filename": "../../etc/passwd"}), "", "input.filename"},
		{"a blank file name", good(map[string]any{"filename": " "}), "", "input.filename"},
		{"a file name of 256 characters", good(map[string]any{"filename": strings.Repeat("ä", 252) + ".gif"}), "", "input.filename"},
		{"a checksum that is hex, not Base64", good(map[string]any{"checksum": fmt.Sprintf("%x", md5.Sum(file))}), "BAD_USER_INPUT", ""},
		{"a checksum of another digest", good(map[string]any{"checksum": base64.StdEncoding.EncodeToString(make([]byte, 32))}), "BAD_USER_INPUT", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env.Upstream.Reset()
			r := env.Do(t, tok, createUploadMutation, map[string]any{"in": tt.in})
			if tt.code != "" {
				mustCode(t, r, tt.code)
			} else {
				mustNoErrors(t, r)
				ue := userErrors(t, r, "createDirectUpload")
				if len(ue) != 1 || strings.Join(ue[0].Field, ".") != tt.field {
					t.Fatalf("userErrors %+v, want one at %s", ue, tt.field)
				}
			}
			mustCalls(t, env)
		})
	}

	t.Run("accepted", func(t *testing.T) {
		env.Upstream.Reset()
		r := env.Do(t, tok, createUploadMutation, map[string]any{"in": good(map[string]any{"contentType": "IMAGE/GIF"})})
		mustNoErrors(t, r)
		var out struct {
			CreateDirectUpload struct {
				Upload struct {
					SignedID, UploadURL, Filename, ContentType, Checksum string
					ByteSize                                             int
					UploadHeaders                                        []struct{ Name, Value string }
					URL, AttachableSgid                                  *string
				}
			}
		}
		r.Decode(t, &out)
		up := out.CreateDirectUpload.Upload
		if up.SignedID == "" || !strings.HasPrefix(up.UploadURL, env.UpstreamURL+"/rails/active_storage/disk/") || up.ContentType != "image/gif" ||
			up.ByteSize != len(file) || up.Checksum != md5Base64(file) || len(up.UploadHeaders) != 1 || up.UploadHeaders[0].Value != "image/gif" || up.URL == nil {
			t.Fatalf("upload %+v", up)
		}
		mustCalls(t, env, "POST /direct_uploads")
		// The upload URL takes the file from the client, not from the gateway.
		req, _ := http.NewRequest(http.MethodPut, up.UploadURL, bytes.NewReader(file))
		req.Header.Set(up.UploadHeaders[0].Name, up.UploadHeaders[0].Value)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("PUT: %d", resp.StatusCode)
		}
		// Nothing the client must keep to itself is logged.
		for _, secret := range []string{tok, strings.TrimPrefix(up.UploadURL, env.UpstreamURL+"/rails/active_storage/disk/")} {
			if strings.Contains(env.Logs.String(), secret) {
				t.Fatal("the log holds a token or an upload URL's token")
			}
		}
	})

	t.Run("Circle's own refusal", func(t *testing.T) {
		// The sandbox keeps files in memory and takes at most 8 MiB: its 422
		// is the member's, at the field it blames.
		env.Upstream.Reset()
		r := env.Do(t, tok, createUploadMutation, map[string]any{"in": good(map[string]any{"byteSize": 9 << 20})})
		mustNoErrors(t, r)
		ue := userErrors(t, r, "createDirectUpload")
		if len(ue) != 1 || strings.Join(ue[0].Field, ".") != "input.byteSize" || !strings.Contains(ue[0].Message, "Byte size") {
			t.Fatalf("userErrors %+v", ue)
		}
		mustCalls(t, env, "POST /direct_uploads")
	})
}
