package e2e

import (
	"bytes"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/circle-gateway/gateway/internal/testenv"
)

// Topics, follows, bookmarks, sidebar links and image posts against the
// sandbox, with the upstream calls each costs.

// mustCallSet fails unless the operation made exactly these calls, in any
// order (concurrent loads finish in any order).
func mustCallSet(t *testing.T, env *testenv.Env, want ...string) {
	t.Helper()
	if got := targets(env.Upstream.Calls()); !slices.Equal(sorted(got), sorted(want)) {
		t.Fatalf("upstream calls:\n  %s\nwant:\n  %s", strings.Join(sorted(got), "\n  "), strings.Join(sorted(want), "\n  "))
	}
}

// Every space's topics cost one call per distinct space, however often the
// operation asks; createPost takes topics, which a space can require.
func TestSpaceTopicsAndTaggedPosts(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	r := env.Do(t, tok, `{ spaces { id requiresTopic topics(first: 10) { totalCount nodes { id name adminOnly } } }
		again: space(id: "12") { topics(first: 10) { totalCount } } }`, nil)
	mustNoErrors(t, r)
	var got struct {
		Spaces []struct {
			ID            string
			RequiresTopic bool
			Topics        struct {
				TotalCount int
				Nodes      []struct {
					ID, Name  string
					AdminOnly bool
				}
			}
		}
	}
	r.Decode(t, &got)
	want := []string{"GET /spaces"}
	byID := map[string]int{}
	for i, s := range got.Spaces {
		want = append(want, "GET /spaces/"+s.ID+"/topics?page=1&per_page=10")
		byID[s.ID] = i
	}
	mustCallSet(t, env, want...)
	general, intros := got.Spaces[byID["12"]].Topics, got.Spaces[byID["13"]]
	if general.TotalCount != 4 || len(general.Nodes) != 4 || general.Nodes[0].Name != "Productivity" || !general.Nodes[3].AdminOnly {
		t.Errorf("General's topics %+v", general)
	}
	if !intros.RequiresTopic || intros.Topics.TotalCount != 2 {
		t.Fatalf("Introductions %+v", intros)
	}
	introTopic := intros.Topics.Nodes[1].ID

	const create = `mutation($t: [ID!]) { createPost(input: { spaceId: "13", title: "Hello from the gateway", body: "Hi all", topicIds: $t }) {
		post { title topics { id name } space { id } } userErrors { field message } } }`
	env.Upstream.Reset()
	r = env.Do(t, tok, create, nil)
	mustNoErrors(t, r)
	if string(r.Data) != `{"createPost":{"post":null,"userErrors":[{"field":["input","topicIds"],"message":"Topics can't be blank"}]}}` {
		t.Errorf("without a topic: %s", r.Data)
	}
	mustCalls(t, env, "POST /spaces/13/posts")

	env.Upstream.Reset()
	r = env.Do(t, tok, create, map[string]any{"t": []string{introTopic, introTopic}})
	mustNoErrors(t, r)
	if want := `{"createPost":{"post":{"title":"Hello from the gateway","topics":[{"id":"` + introTopic + `","name":"Looking for collaborators"}],"space":{"id":"13"}},"userErrors":[]}}`; string(r.Data) != want {
		t.Errorf("with a topic: %s, want %s", r.Data, want)
	}
	mustCalls(t, env, "POST /spaces/13/posts")

	// The home space is no space of Circle's: it has no topics, for no call.
	env.Upstream.Reset()
	r = env.Do(t, tok, `{ homeSpace { topics(first: 5) { totalCount nodes { id } pageInfo { hasNextPage } } } }`, nil)
	mustNoErrors(t, r)
	if string(r.Data) != `{"homeSpace":{"topics":{"totalCount":0,"nodes":[],"pageInfo":{"hasNextPage":false}}}}` {
		t.Errorf("home space topics %s", r.Data)
	}
	mustCalls(t, env, "GET /spaces/home")
}

// Following a post and ending it, by the member's following or by its id;
// each write is one call and the post is re-read.
func TestFollowAndUnfollowPost(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	r := env.Do(t, tok, `{ space(id: "12") { posts(first: 30) { nodes { id isFollowing } } } }`, nil)
	mustNoErrors(t, r)
	var feed struct {
		Space struct {
			Posts struct {
				Nodes []struct {
					ID          string
					IsFollowing bool
				}
			}
		}
	}
	r.Decode(t, &feed)
	i := slices.IndexFunc(feed.Space.Posts.Nodes, func(n struct {
		ID          string
		IsFollowing bool
	}) bool {
		return !n.IsFollowing
	})
	if i < 0 {
		t.Fatal("the demo member follows every post of General")
	}
	postID := feed.Space.Posts.Nodes[i].ID
	reread := "GET /spaces/12/posts?page=1&per_page=1&post_ids=" + postID
	type payload struct {
		Post struct {
			ID          string
			IsFollowing bool
			FollowerID  *string
		}
		UserErrors []struct{ Message string }
	}
	follow := func(mutation string, vars map[string]any) payload {
		t.Helper()
		env.Upstream.Reset()
		r := env.Do(t, tok, mutation, vars)
		mustNoErrors(t, r)
		var out map[string]payload
		r.Decode(t, &out)
		for _, p := range out {
			return p
		}
		t.Fatalf("no payload in %s", r.Data)
		return payload{}
	}
	vars := map[string]any{"p": postID}
	const followQ = `mutation($p: ID!) { followPost(spaceId: "12", postId: $p) { post { id isFollowing followerId } userErrors { message } } }`
	p := follow(followQ, vars)
	if !p.Post.IsFollowing || p.Post.FollowerID == nil || p.Post.ID != postID || len(p.UserErrors) != 0 {
		t.Fatalf("followPost %+v", p)
	}
	mustCalls(t, env, "POST /posts/"+postID+"/post_followers", reread)

	fid := *p.Post.FollowerID
	p = follow(`mutation($p: ID!, $f: ID) { unfollowPost(spaceId: "12", postId: $p, followerId: $f) { post { id isFollowing followerId } userErrors { message } } }`, map[string]any{"p": postID, "f": fid})
	if p.Post.IsFollowing || p.Post.FollowerID != nil {
		t.Fatalf("unfollowPost by id %+v", p)
	}
	mustCalls(t, env, "DELETE /posts/"+postID+"/post_followers/"+fid, reread)

	follow(followQ, vars)
	p = follow(`mutation($p: ID!) { unfollowPost(spaceId: "12", postId: $p) { post { id isFollowing } userErrors { message } } }`, vars)
	if p.Post.IsFollowing {
		t.Fatalf("unfollowPost %+v", p)
	}
	mustCalls(t, env, "DELETE /posts/"+postID+"/post_followers", reread)

	// Someone else's following is Circle's 404: the post is null, NOT_FOUND.
	env.Upstream.Reset()
	r = env.Do(t, tok, `mutation($p: ID!) { unfollowPost(spaceId: "12", postId: $p, followerId: "1") { post { id } } }`, vars)
	if len(r.Errors) != 1 || r.Errors[0].Code() != "NOT_FOUND" {
		t.Fatalf("errors %+v", r.Errors)
	}
	mustCalls(t, env, "DELETE /posts/"+postID+"/post_followers/1")
}

// The demo member's bookmarks as a page, with their posts batched per
// space; bookmarking, a second bookmark of the same record, and deleting.
func TestBookmarksOnTheSandbox(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	type bookmark struct {
		ID, RecordID, Type string
		Title, URL, Body   *string
		IsDeleted          bool
		Author             *struct{ ID, Name string }
		Space              *struct{ ID, Name string }
		Post               *struct {
			ID, Title    string
			IsBookmarked bool
			BookmarkID   *string
		}
	}
	const fields = `id recordId type title url body isDeleted author { id name } space { id name } post { id title isBookmarked bookmarkId }`
	r := env.Do(t, tok, `{ bookmarks(first: 10) { totalCount nodes { `+fields+` } } }`, nil)
	mustNoErrors(t, r)
	var got struct {
		Bookmarks struct {
			TotalCount int
			Nodes      []bookmark
		}
	}
	r.Decode(t, &got)
	bs := got.Bookmarks.Nodes
	if got.Bookmarks.TotalCount != 3 || len(bs) != 3 {
		t.Fatalf("bookmarks %+v", got.Bookmarks)
	}
	comment, other, welcome := bs[0], bs[1], bs[2] // newest first
	if comment.Type != "COMMENT" || comment.Post != nil || comment.Author == nil || comment.Space == nil || comment.Space.ID != "12" || !strings.Contains(*comment.URL, "#comment_wrapper_"+comment.RecordID) {
		t.Errorf("comment bookmark %+v", comment)
	}
	for _, b := range []bookmark{other, welcome} {
		if b.Type != "POST" || b.Post == nil || b.Post.ID != b.RecordID || !b.Post.IsBookmarked || b.Post.BookmarkID == nil || *b.Post.BookmarkID != b.ID || b.Title == nil || *b.Title != b.Post.Title {
			t.Errorf("post bookmark %+v (post %+v)", b, b.Post)
		}
	}
	mustCallSet(t, env, "GET /bookmarks?page=1&per_page=10",
		"GET /spaces/"+welcome.Space.ID+"/posts?page=1&per_page=1&post_ids="+welcome.RecordID,
		"GET /spaces/12/posts?page=1&per_page=1&post_ids="+other.RecordID)

	// A post of General the demo member has not bookmarked yet.
	r = env.Do(t, tok, `{ space(id: "12") { posts(first: 30) { nodes { id isBookmarked } } } }`, nil)
	var feed struct {
		Space struct {
			Posts struct {
				Nodes []struct {
					ID           string
					IsBookmarked bool
				}
			}
		}
	}
	r.Decode(t, &feed)
	var postID string
	for _, n := range feed.Space.Posts.Nodes {
		if !n.IsBookmarked {
			postID = n.ID
			break
		}
	}
	const create = `mutation($r: ID!) { createBookmark(type: POST, recordId: $r) { bookmark { id type recordId post { isBookmarked bookmarkId } } userErrors { field message } } }`
	env.Upstream.Reset()
	r = env.Do(t, tok, create, map[string]any{"r": postID})
	mustNoErrors(t, r)
	var created struct {
		CreateBookmark struct {
			Bookmark struct {
				ID, Type, RecordID string
				Post               struct {
					IsBookmarked bool
					BookmarkID   string
				}
			}
		}
	}
	r.Decode(t, &created)
	b := created.CreateBookmark.Bookmark
	if b.Type != "POST" || b.RecordID != postID || !b.Post.IsBookmarked || b.Post.BookmarkID != b.ID {
		t.Fatalf("createBookmark %s", r.Data)
	}
	mustCalls(t, env, "POST /bookmarks", "GET /spaces/12/posts?page=1&per_page=1&post_ids="+postID)

	env.Upstream.Reset()
	r = env.Do(t, tok, create, map[string]any{"r": postID})
	mustNoErrors(t, r)
	if string(r.Data) != `{"createBookmark":{"bookmark":null,"userErrors":[{"field":["recordId"],"message":"Record has already been bookmarked"}]}}` {
		t.Errorf("a second bookmark: %s", r.Data)
	}
	mustCalls(t, env, "POST /bookmarks")

	env.Upstream.Reset()
	r = env.Do(t, tok, `mutation($id: ID!) { deleteBookmark(id: $id) { deletedId userErrors { message } } }`, map[string]any{"id": b.ID})
	mustNoErrors(t, r)
	if string(r.Data) != `{"deleteBookmark":{"deletedId":"`+b.ID+`","userErrors":[]}}` {
		t.Errorf("deleteBookmark %s", r.Data)
	}
	mustCalls(t, env, "DELETE /bookmarks/"+b.ID)

	env.Upstream.Reset()
	r = env.Do(t, tok, `{ bookmarks(first: 5, type: POST) { totalCount nodes { recordId } } }`, nil)
	mustNoErrors(t, r)
	if strings.Contains(string(r.Data), `"`+postID+`"`) || !strings.Contains(string(r.Data), `"totalCount":2`) {
		t.Errorf("post bookmarks after the delete: %s", r.Data)
	}
	mustCalls(t, env, "GET /bookmarks?bookmark_type=post&page=1&per_page=5")

	// Writes are never retried: a failure after sending is an error, once.
	env.Upstream.Reset()
	env.Upstream.SetFault(func(r *http.Request) (int, string, bool) {
		return http.StatusServiceUnavailable, `{"success":false,"message":"Service unavailable","error_details":{}}`, r.Method == http.MethodPost
	})
	r = env.Do(t, tok, create, map[string]any{"r": postID})
	if len(r.Errors) != 1 || r.Errors[0].Code() != "UPSTREAM_UNAVAILABLE" {
		t.Fatalf("errors %+v", r.Errors)
	}
	mustCalls(t, env, "POST /bookmarks")
}

// A space's sidebar links: folders come with their links.
func TestSpaceBookmarksOnTheSandbox(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	r := env.Do(t, env.DemoToken(t), `{ space(id: "12") { bookmarks(first: 5) { totalCount nodes { id name kind url emoji links { name kind url emoji links { id } } } } } }`, nil)
	mustNoErrors(t, r)
	want := `{"space":{"bookmarks":{"totalCount":2,"nodes":[` +
		`{"id":"320001","name":"Start here","kind":"FOLDER","url":null,"emoji":null,"links":[` +
		`{"name":"Community guidelines","kind":"LINK","url":"https://sandbox-community.example.com/c/announcements/community-guidelines","emoji":"📜","links":[]},` +
		`{"name":"Member directory","kind":"LINK","url":"https://sandbox-community.example.com/members","emoji":"👥","links":[]}]},` +
		`{"id":"320004","name":"Office hours calendar","kind":"LINK","url":"https://calendar.example.com/sandbox-office-hours","emoji":"🗓️","links":[]}]}}}`
	if string(r.Data) != want {
		t.Errorf("data %s\nwant %s", r.Data, want)
	}
	mustCallSet(t, env, "GET /spaces", "GET /spaces/12/bookmarks?page=1&per_page=5")
}

// uploadImage runs the direct upload flow as a client does: the gateway
// hands out where to PUT the file, and the client PUTs it there itself.
func uploadImage(t *testing.T, env *testenv.Env, tok, name string, file []byte) string {
	t.Helper()
	r := env.Do(t, tok, createUploadMutation, map[string]any{"in": map[string]any{"filename": name, "contentType": "image/png", "byteSize": len(file), "checksum": md5Base64(file)}})
	mustNoErrors(t, r)
	var out struct {
		CreateDirectUpload struct {
			Upload struct {
				SignedID, UploadURL string
				UploadHeaders       []struct{ Name, Value string }
			}
		}
	}
	r.Decode(t, &out)
	up := out.CreateDirectUpload.Upload
	req, _ := http.NewRequest(http.MethodPut, up.UploadURL, bytes.NewReader(file))
	for _, h := range up.UploadHeaders {
		req.Header.Set(h.Name, h.Value)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("PUT of %s: %d", name, resp.StatusCode)
	}
	return up.SignedID
}

// An image post end to end: two files uploaded by the client, a post of
// the first, the second added and moved first; the gallery serves the
// files. No file byte passes through the gateway.
func TestImagePostEndToEnd(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	harbour, desk := []byte("\x89PNG harbour at dawn"), []byte("\x89PNG a desk by the window")
	first, second := uploadImage(t, env, tok, "harbour.png", harbour), uploadImage(t, env, tok, "desk.png", desk)

	caption := map[string]any{"body": map[string]any{"type": "doc", "content": []any{map[string]any{"type": "paragraph", "content": []any{map[string]any{"type": "text", "text": "Harbour at dawn"}}}}}}
	type gallery struct {
		Images []struct{ ID, URL, SignedID, Filename string }
	}
	type post struct {
		ID, Type, BodyText, Slug string
		IsCommentsEnabled        bool
		Gallery                  gallery
	}
	const selection = `post { id type bodyText slug isCommentsEnabled gallery { images { id url signedId filename } } } userErrors { field message }`
	env.Upstream.Reset()
	r := env.Do(t, tok, `mutation($in: CreateImagePostInput!) { createImagePost(input: $in) { `+selection+` } }`, map[string]any{"in": map[string]any{
		"spaceId": "19", "images": []any{map[string]any{"signedId": first, "width": 1600, "height": 900}}, "tiptapBody": caption, "slug": "harbour-at-dawn", "isCommentsEnabled": false,
	}})
	mustNoErrors(t, r)
	var created struct{ CreateImagePost struct{ Post post } }
	r.Decode(t, &created)
	p := created.CreateImagePost.Post
	if p.Type != "IMAGE" || p.BodyText != "Harbour at dawn" || p.Slug != "harbour-at-dawn" || p.IsCommentsEnabled || len(p.Gallery.Images) != 1 ||
		p.Gallery.Images[0].SignedID != first || p.Gallery.Images[0].Filename != "harbour.png" {
		t.Fatalf("createImagePost %s", r.Data)
	}
	mustCalls(t, env, "POST /spaces/19/images/posts")
	served := func(url string, want []byte) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		got, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || !bytes.Equal(got, want) {
			t.Errorf("GET %s: %d %q", url, resp.StatusCode, got)
		}
	}
	served(p.Gallery.Images[0].URL, harbour)

	env.Upstream.Reset()
	r = env.Do(t, tok, `mutation($in: UpdateImagePostInput!) { updateImagePost(input: $in) { `+selection+` } }`, map[string]any{"in": map[string]any{
		"spaceId": "19", "id": p.ID, "images": []any{map[string]any{"signedId": second}, map[string]any{"id": p.Gallery.Images[0].ID, "position": 1}},
	}})
	mustNoErrors(t, r)
	var updated struct{ UpdateImagePost struct{ Post post } }
	r.Decode(t, &updated)
	u := updated.UpdateImagePost.Post
	if len(u.Gallery.Images) != 2 || u.Gallery.Images[0].SignedID != second || u.Gallery.Images[1].SignedID != first || u.BodyText != "Harbour at dawn" {
		t.Fatalf("updateImagePost %s", r.Data)
	}
	mustCalls(t, env, "PUT /spaces/19/images/posts/"+p.ID)
	served(u.Gallery.Images[0].URL, desk)

	// Circle's refusals are the member's: an image post outside an image space.
	env.Upstream.Reset()
	r = env.Do(t, tok, `mutation($s: String!) { createImagePost(input: { spaceId: "12", images: [{ signedId: $s }] }) { post { id } userErrors { field message } } }`, map[string]any{"s": first})
	mustNoErrors(t, r)
	if string(r.Data) != `{"createImagePost":{"post":null,"userErrors":[{"field":["input","spaceId"],"message":"Image posts can only be created in an image space."}]}}` {
		t.Errorf("in a basic space: %s", r.Data)
	}
	mustCalls(t, env, "POST /spaces/12/images/posts")
}

// The new arguments are judged before any call: malformed ids, sizes and
// signed ids are BAD_USER_INPUT, what a form got wrong is userErrors.
func TestPostAndBookmarkInputRefused(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	signed := "eyJfcmFpbHMiOnsiZGF0YSI6MX19--0123456789abcdef0123456789abcdef01234567"
	many := make([]string, 21)
	for i := range many {
		many[i] = strconv.Itoa(78001 + i)
	}
	tests := []struct {
		name, query string
		vars        map[string]any
		field       string // "" for BAD_USER_INPUT
	}{
		{"a topic that is no id", `mutation { createPost(input: { spaceId: "12", title: "T", topicIds: ["tools"] }) { post { id } } }`, nil, ""},
		{"too many topics", `mutation($t: [ID!]) { createPost(input: { spaceId: "12", title: "T", topicIds: $t }) { post { id } } }`, map[string]any{"t": many}, ""},
		{"a cover that is no signed id", `mutation { createPost(input: { spaceId: "12", title: "T", coverImageSignedId: "https://img.example/x.png" }) { post { id } } }`, nil, ""},
		{"an image post in no space", `mutation($s: String!) { createImagePost(input: { spaceId: "photos", images: [{ signedId: $s }] }) { post { id } } }`, map[string]any{"s": signed}, ""},
		{"an image that is no upload", `mutation { createImagePost(input: { spaceId: "19", images: [{ signedId: "../etc/passwd" }] }) { post { id } } }`, nil, ""},
		{"an image of no width", `mutation($s: String!) { createImagePost(input: { spaceId: "19", images: [{ signedId: $s, width: 0 }] }) { post { id } } }`, map[string]any{"s": signed}, ""},
		{"an image post without images", `mutation { createImagePost(input: { spaceId: "19", images: [] }) { userErrors { field message } } }`, nil, "input.images"},
		{"an image post with a bad slug", `mutation($s: String!) { createImagePost(input: { spaceId: "19", images: [{ signedId: $s }], slug: "Not A Slug" }) { userErrors { field message } } }`, map[string]any{"s": signed}, "input.slug"},
		{"a caption that is no document", `mutation($s: String!) { createImagePost(input: { spaceId: "19", images: [{ signedId: $s }], tiptapBody: "[1]" }) { userErrors { field message } } }`, map[string]any{"s": signed}, "input.tiptapBody"},
		{"an image change naming both", `mutation($s: String!) { updateImagePost(input: { spaceId: "19", id: "1", images: [{ id: "2", signedId: $s }] }) { post { id } } }`, map[string]any{"s": signed}, ""},
		{"an image change naming neither", `mutation { updateImagePost(input: { spaceId: "19", id: "1", images: [{ position: 0 }] }) { post { id } } }`, nil, ""},
		{"a new image with a position", `mutation($s: String!) { updateImagePost(input: { spaceId: "19", id: "1", images: [{ signedId: $s, position: 0 }] }) { post { id } } }`, map[string]any{"s": signed}, ""},
		{"a negative position", `mutation { updateImagePost(input: { spaceId: "19", id: "1", images: [{ id: "2", position: -1 }] }) { post { id } } }`, nil, ""},
		{"an update of nothing", `mutation { updateImagePost(input: { spaceId: "19", id: "1" }) { userErrors { field message } } }`, nil, "input"},
		{"following no post", `mutation { followPost(spaceId: "12", postId: "0") { post { id } } }`, nil, ""},
		{"unfollowing by no id", `mutation { unfollowPost(spaceId: "12", postId: "1", followerId: "abc") { post { id } } }`, nil, ""},
		{"bookmarking no record", `mutation { createBookmark(type: COMMENT, recordId: "-3") { bookmark { id } } }`, nil, ""},
		{"deleting no bookmark", `mutation { deleteBookmark(id: "1.5") { deletedId } }`, nil, ""},
		{"a page of bookmarks too long", `{ bookmarks(first: 101) { totalCount } }`, nil, ""},
		{"a space's topics with a bad cursor", `{ space(id: "12") { topics(after: "nope") { totalCount } } }`, nil, ""},
		{"a space's links too many", `{ space(id: "12") { bookmarks(first: 500) { totalCount } } }`, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env.Upstream.Reset()
			r := env.Do(t, tok, tt.query, tt.vars)
			if tt.field == "" {
				if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" {
					t.Fatalf("errors %+v data %s", r.Errors, r.Data)
				}
			} else {
				mustNoErrors(t, r)
				if !strings.Contains(string(r.Data), `"field":["`+strings.ReplaceAll(tt.field, ".", `","`)+`"]`) {
					t.Fatalf("data %s, want a userError at %s", r.Data, tt.field)
				}
			}
			mustCalls(t, env)
		})
	}
}
