package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The auth settings reach the mutations: in sandbox mode with
// ID_TOKEN_HS256_SECRET set, signIn trades an identity token for the demo
// member's tokens, and the service key printed at start works for
// createMemberToken as the README shows (and nothing else does).
func TestRunSandboxAuthMutations(t *testing.T) {
	const secret = "sandbox-id-token-secret-of-32-bytes!"
	base, logs, _ := startRun(t, map[string]string{"ID_TOKEN_HS256_SECRET": secret, "ID_TOKEN_ISSUER": "https://idp.example"})
	key := regexp.MustCompile(`x_service_key=([0-9a-f]+)`).FindStringSubmatch(logs.String())
	if key == nil {
		t.Fatalf("no service key in the startup log:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "signIn=true") || !strings.Contains(logs.String(), "createMemberToken=true") {
		t.Fatalf("the startup log does not say which auth mutations are on:\n%s", logs.String())
	}

	post := func(headers map[string]string, query string, vars map[string]any) string {
		body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
		req, _ := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return string(raw)
	}

	idToken, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": "demo-user", "iss": "https://idp.example", "exp": time.Now().Add(5 * time.Minute).Unix(),
	}).SignedString([]byte(secret))
	if out := post(nil, `mutation($t: String!) { signIn(idToken: $t) { memberId } }`, map[string]any{"t": idToken}); !strings.Contains(out, `"memberId":"101"`) {
		t.Fatalf("signIn answered %s", out)
	}
	create := `mutation { createMemberToken(identity: { ssoUserId: "demo-user" }) { accessToken memberId } }`
	out := post(map[string]string{"X-Service-Key": key[1]}, create, nil)
	var got struct {
		Data struct {
			CreateMemberToken struct{ AccessToken, MemberID string }
		}
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil || got.Data.CreateMemberToken.MemberID != "101" {
		t.Fatalf("createMemberToken with the printed key answered %s", out)
	}
	if me := post(map[string]string{"Authorization": "Bearer " + got.Data.CreateMemberToken.AccessToken}, `{ me { id } }`, nil); !strings.Contains(me, `"id":"101"`) {
		t.Fatalf("the issued token does not work: %s", me)
	}
	if out := post(map[string]string{"X-Service-Key": key[1] + "0"}, create, nil); !strings.Contains(out, `"FORBIDDEN"`) {
		t.Fatalf("a wrong service key answered %s", out)
	}
}
