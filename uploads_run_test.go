package main

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// `go run .` runs the whole direct upload flow: createDirectUpload, PUT the
// file to the sandbox's own upload URL (not through the gateway), set it as
// the avatar with updateProfile, and read it back at me { avatarUrl }.
func TestRunDirectUploadFlow(t *testing.T) {
	base, logs, _ := startRun(t, map[string]string{})
	token := regexp.MustCompile(`authorization="Bearer ([A-Za-z0-9_\-.]+)"`).FindStringSubmatch(logs.String())
	if token == nil {
		t.Fatalf("no demo token in the startup log:\n%s", logs.String())
	}
	gql := func(query string, vars map[string]any, out any) {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
		req, _ := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token[1])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var env struct {
			Data   json.RawMessage
			Errors []any
		}
		if err := json.Unmarshal(raw, &env); err != nil || len(env.Errors) > 0 {
			t.Fatalf("%s answered %s", query, raw)
		}
		if err := json.Unmarshal(env.Data, out); err != nil {
			t.Fatal(err)
		}
	}

	file := []byte("\x89PNG\r\n\x1a\n a tiny avatar for the sandbox")
	sum := md5.Sum(file)
	var created struct {
		CreateDirectUpload struct {
			Upload struct {
				SignedID      string
				UploadURL     string
				UploadHeaders []struct{ Name, Value string }
			}
			UserErrors []any
		}
	}
	gql(`mutation($in: CreateDirectUploadInput!) { createDirectUpload(input: $in) {
		upload { signedId uploadUrl uploadHeaders { name value } } userErrors { field message } } }`,
		map[string]any{"in": map[string]any{"filename": "avatar.png", "contentType": "image/png", "byteSize": len(file), "checksum": base64.StdEncoding.EncodeToString(sum[:])}}, &created)
	up := created.CreateDirectUpload.Upload
	if up.SignedID == "" || strings.HasPrefix(up.UploadURL, base) {
		t.Fatalf("upload %+v: want a signed id and an upload URL off the gateway", up)
	}

	req, _ := http.NewRequest(http.MethodPut, up.UploadURL, bytes.NewReader(file))
	for _, h := range up.UploadHeaders {
		req.Header.Set(h.Name, h.Value)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("PUT %s: %d", up.UploadURL, resp.StatusCode)
	}

	var updated struct {
		UpdateProfile struct {
			Member     struct{ AvatarURL *string }
			UserErrors []any
		}
	}
	gql(`mutation($id: String!) { updateProfile(input: { avatarSignedId: $id }) { member { avatarUrl } userErrors { message } } }`,
		map[string]any{"id": up.SignedID}, &updated)
	var me struct{ Me struct{ AvatarURL *string } }
	gql(`{ me { avatarUrl } }`, nil, &me)
	if me.Me.AvatarURL == nil || updated.UpdateProfile.Member.AvatarURL == nil || *me.Me.AvatarURL != *updated.UpdateProfile.Member.AvatarURL {
		t.Fatalf("avatar after the update %v, me says %v", updated.UpdateProfile.Member.AvatarURL, me.Me.AvatarURL)
	}
	resp, err = http.Get(*me.Me.AvatarURL)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, file) {
		t.Fatalf("GET the avatar: %d %q", resp.StatusCode, got)
	}
}
