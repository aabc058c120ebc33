package e2e

import (
	"strings"
	"testing"

	"github.com/circle-gateway/gateway/internal/circledouble"
	"github.com/circle-gateway/gateway/internal/testenv"
	"github.com/circle-gateway/gateway/internal/testjwt"
)

// Topics, follows, bookmarks, sidebar links and image posts against the
// strict double: the exact calls and request bodies the gateway sends, and
// the data it makes of the double's records.

const cdSigned1, cdSigned2 = "eyJfcmFpbHMiOnsiZGF0YSI6MX19--00112233445566778899aabbccddeeff00112233",
	"eyJfcmFpbHMiOnsiZGF0YSI6Mn19--ffeeddccbbaa99887766554433221100ffeeddcc"

func TestDoubleSpaceTopics(t *testing.T) {
	t.Parallel()
	e := newDoubleEnv(t)
	sid := circledouble.ID(circledouble.Shed)
	r := e.run(t, circledouble.Alice, `{ spaces { id topics(first: 2) { totalCount nodes { id name adminOnly } pageInfo { hasNextPage endCursor } } }
		shed: space(id: "`+sid+`") { topics(first: 2) { totalCount } } }`, nil)
	mustOK(t, r)
	var got struct {
		Spaces []struct {
			ID     string
			Topics struct {
				TotalCount int
				Nodes      []struct {
					ID, Name  string
					AdminOnly bool
				}
				PageInfo struct {
					HasNextPage bool
					EndCursor   *string
				}
			}
		}
	}
	r.Decode(t, &got)
	want := []string{"GET /spaces"}
	var cursor string
	for _, s := range got.Spaces {
		want = append(want, "GET /spaces/"+s.ID+"/topics?page=1&per_page=2")
		if s.ID == sid {
			tp := s.Topics
			if tp.TotalCount != 3 || len(tp.Nodes) != 2 || tp.Nodes[0].ID != "91" || tp.Nodes[1].Name != "Staff picks" || !tp.Nodes[1].AdminOnly || !tp.PageInfo.HasNextPage {
				t.Errorf("the shed's topics %+v", tp)
			}
			cursor = *tp.PageInfo.EndCursor
		}
	}
	mustCallSet(t, e.Env, want...)
	r = e.run(t, circledouble.Alice, `query($a: String) { space(id: "`+sid+`") { topics(first: 2, after: $a) { nodes { id name } pageInfo { hasNextPage } } } }`, map[string]any{"a": cursor})
	mustOK(t, r)
	if string(r.Data) != `{"space":{"topics":{"nodes":[{"id":"93","name":"Seed swaps"}],"pageInfo":{"hasNextPage":false}}}}` {
		t.Errorf("the next page %s", r.Data)
	}
	mustCallSet(t, e.Env, "GET /spaces", "GET /spaces/"+sid+"/topics?page=2&per_page=2")
}

func TestDoubleFollowPost(t *testing.T) {
	t.Parallel()
	e := newDoubleEnv(t)
	sid, pid := circledouble.ID(circledouble.Shed), circledouble.ID(circledouble.Post0+1)
	reread := "GET /spaces/" + sid + "/posts?page=1&per_page=1&post_ids=" + pid
	vars := map[string]any{"s": sid, "p": pid}
	r := e.run(t, circledouble.Chidi, `mutation($s: ID!, $p: ID!) { followPost(spaceId: $s, postId: $p) { post { id isFollowing followerId } userErrors { message } } }`, vars)
	mustOK(t, r)
	fid := circledouble.ID(circledouble.Follower0 + 1)
	if string(r.Data) != `{"followPost":{"post":{"id":"`+pid+`","isFollowing":true,"followerId":"`+fid+`"},"userErrors":[]}}` {
		t.Errorf("followPost %s", r.Data)
	}
	mustCalls(t, e.Env, "POST /posts/"+pid+"/post_followers", reread)

	vars["f"] = fid
	r = e.run(t, circledouble.Chidi, `mutation($s: ID!, $p: ID!, $f: ID) { unfollowPost(spaceId: $s, postId: $p, followerId: $f) { post { isFollowing followerId } } }`, vars)
	mustOK(t, r)
	if string(r.Data) != `{"unfollowPost":{"post":{"isFollowing":false,"followerId":null}}}` {
		t.Errorf("unfollowPost by id %s", r.Data)
	}
	mustCalls(t, e.Env, "DELETE /posts/"+pid+"/post_followers/"+fid, reread)

	delete(vars, "f")
	r = e.run(t, circledouble.Chidi, `mutation($s: ID!, $p: ID!) { unfollowPost(spaceId: $s, postId: $p) { post { isFollowing } } }`, vars)
	mustOK(t, r)
	mustCalls(t, e.Env, "DELETE /posts/"+pid+"/post_followers", reread)

	// A post the member may not see is Circle's 404.
	inner := circledouble.ID(circledouble.Post0 + 31)
	r = e.run(t, circledouble.Chidi, `mutation($p: ID!) { followPost(spaceId: "`+circledouble.ID(circledouble.Inner)+`", postId: $p) { post { id } } }`, map[string]any{"p": inner})
	mustError(t, r, "NOT_FOUND", "followPost")
	mustCalls(t, e.Env, "POST /posts/"+inner+"/post_followers")
}

func TestDoubleBookmarks(t *testing.T) {
	t.Parallel()
	e := newDoubleEnv(t)
	shed := circledouble.ID(circledouble.Shed)
	post := e.d.Post(circledouble.Post0 + 2)
	var comment *circledouble.Comment
	for _, c := range e.d.Comments {
		if p := e.d.Post(c.PostID); p.SpaceID == circledouble.Shed && c.ParentID == 0 {
			comment = c
			break
		}
	}
	const create = `mutation($t: BookmarkType!, $r: ID!) { createBookmark(type: $t, recordId: $r) { bookmark { id type recordId } userErrors { field message } } }`
	r := e.run(t, circledouble.Emile, create, map[string]any{"t": "POST", "r": circledouble.ID(post.ID)})
	mustOK(t, r)
	first := circledouble.ID(circledouble.Bookmark0 + 1)
	if string(r.Data) != `{"createBookmark":{"bookmark":{"id":"`+first+`","type":"POST","recordId":"`+circledouble.ID(post.ID)+`"},"userErrors":[]}}` {
		t.Errorf("createBookmark %s", r.Data)
	}
	mustCalls(t, e.Env, "POST /bookmarks")
	if got := string(e.lastBody(t)); got != `{"record_id":`+circledouble.ID(post.ID)+`,"bookmark_type":"post"}` {
		t.Errorf("Circle received %s", got)
	}
	r = e.run(t, circledouble.Emile, create, map[string]any{"t": "COMMENT", "r": circledouble.ID(comment.ID)})
	mustOK(t, r)
	if got := string(e.lastBody(t)); got != `{"record_id":`+circledouble.ID(comment.ID)+`,"bookmark_type":"comment"}` {
		t.Errorf("Circle received %s", got)
	}
	r = e.run(t, circledouble.Emile, create, map[string]any{"t": "POST", "r": circledouble.ID(post.ID)})
	mustOK(t, r)
	if string(r.Data) != `{"createBookmark":{"bookmark":null,"userErrors":[{"field":["recordId"],"message":"Record has already been bookmarked"}]}}` {
		t.Errorf("a second bookmark %s", r.Data)
	}

	// The list, newest first: the comment's bookmark shows its post's title
	// and space with the comment's author; the post's loads the post; the
	// author's headline is not in a bookmark and costs the profile.
	r = e.run(t, circledouble.Emile, `{ bookmarks(first: 10) { totalCount nodes { id type recordId title body url isDeleted
		author { id name avatarUrl } space { id slug } post { id isBookmarked bookmarkId } } }
		withHeadline: bookmarks(first: 10, type: COMMENT) { nodes { author { headline } } } }`, nil)
	mustOK(t, r)
	shedSlug := e.d.Space(circledouble.Shed).Slug
	cAuthor, pAuthor := e.d.Member(comment.AuthorID), e.d.Member(post.AuthorID)
	second := circledouble.ID(circledouble.Bookmark0 + 2)
	compareData(t, "bookmarks", r.Data, obj(
		"bookmarks", obj("totalCount", 2, "nodes", []any{
			obj("id", second, "type", "COMMENT", "recordId", circledouble.ID(comment.ID), "title", e.d.Post(comment.PostID).DisplayTitle, "body", comment.Text,
				"url", circledouble.Site+"/c/"+shedSlug+"/"+e.d.Post(comment.PostID).Slug+"#comment_wrapper_"+circledouble.ID(comment.ID), "isDeleted", false,
				"author", obj("id", circledouble.ID(cAuthor.ID), "name", cAuthor.Name, "avatarUrl", avatar(cAuthor)), "space", obj("id", shed, "slug", shedSlug), "post", nil),
			obj("id", first, "type", "POST", "recordId", circledouble.ID(post.ID), "title", post.DisplayTitle, "body", post.Plain,
				"url", circledouble.Site+"/c/"+shedSlug+"/"+post.Slug, "isDeleted", false,
				"author", obj("id", circledouble.ID(pAuthor.ID), "name", pAuthor.Name, "avatarUrl", avatar(pAuthor)), "space", obj("id", shed, "slug", shedSlug),
				"post", obj("id", circledouble.ID(post.ID), "isBookmarked", true, "bookmarkId", first)),
		}),
		"withHeadline", obj("nodes", []any{obj("author", obj("headline", cAuthor.Headline))}),
	))
	mustCallSet(t, e.Env, "GET /bookmarks?page=1&per_page=10", "GET /bookmarks?bookmark_type=comment&page=1&per_page=10",
		"GET /spaces/"+shed+"/posts?page=1&per_page=1&post_ids="+circledouble.ID(post.ID),
		"GET /community_members/"+circledouble.ID(cAuthor.ID)+"/public_profile")

	r = e.run(t, circledouble.Emile, `mutation($id: ID!) { deleteBookmark(id: $id) { deletedId userErrors { message } } }`, map[string]any{"id": first})
	mustOK(t, r)
	if string(r.Data) != `{"deleteBookmark":{"deletedId":"`+first+`","userErrors":[]}}` {
		t.Errorf("deleteBookmark %s", r.Data)
	}
	mustCalls(t, e.Env, "DELETE /bookmarks/"+first)
	// Another member's bookmark is not theirs to delete: Circle's 404.
	r = e.run(t, circledouble.Alice, `mutation($id: ID!) { deleteBookmark(id: $id) { deletedId } }`, map[string]any{"id": second})
	mustError(t, r, "NOT_FOUND", "deleteBookmark")
	mustCalls(t, e.Env, "DELETE /bookmarks/"+second)
}

func TestDoubleSpaceBookmarks(t *testing.T) {
	t.Parallel()
	e := newDoubleEnv(t)
	shed := circledouble.ID(circledouble.Shed)
	r := e.run(t, circledouble.Bob, `{ space(id: "`+shed+`") { bookmarks(first: 1) { totalCount pageInfo { hasNextPage } nodes { id name kind url emoji customEmojiUrl links { id name kind url emoji links { id } } } } } }`, nil)
	mustOK(t, r)
	link := func(id int64, name, url, emoji string) map[string]any {
		return obj("id", circledouble.ID(id), "name", name, "kind", "LINK", "url", url, "emoji", emoji, "links", []any{})
	}
	compareData(t, "space bookmarks", r.Data, obj("space", obj("bookmarks", obj("totalCount", 2, "pageInfo", obj("hasNextPage", true), "nodes", []any{
		obj("id", circledouble.ID(circledouble.Link0+1), "name", "Getting started", "kind", "FOLDER", "url", nil, "emoji", nil, "customEmojiUrl", nil, "links", []any{
			link(circledouble.Link0+2, "Watering guide", circledouble.Site+"/c/potting-shed/watering", "💧"),
			link(circledouble.Link0+3, "Pest atlas", "https://pests.example.org/atlas", "🐛"),
		}),
	}))))
	mustCallSet(t, e.Env, "GET /spaces", "GET /spaces/"+shed+"/bookmarks?page=1&per_page=1")
}

func TestDoubleImagePosts(t *testing.T) {
	t.Parallel()
	e := newDoubleEnv(t)
	gallery := circledouble.ID(circledouble.Gallery)
	caption := map[string]any{"body": map[string]any{"type": "doc", "content": []any{map[string]any{"type": "paragraph", "content": []any{map[string]any{"type": "text", "text": "Peonies at noon"}}}}}}
	const sel = `post { id type bodyText slug space { id } gallery { images { id signedId width height } } } userErrors { field message }`
	r := e.run(t, circledouble.Emile, `mutation($in: CreateImagePostInput!) { createImagePost(input: $in) { `+sel+` } }`, map[string]any{"in": map[string]any{
		"spaceId": gallery, "slug": "peonies", "tiptapBody": caption, "isCommentsEnabled": true,
		"images": []any{map[string]any{"signedId": cdSigned1, "width": 1200, "height": 800}},
	}})
	mustOK(t, r)
	var created struct {
		CreateImagePost struct {
			Post struct {
				ID      string
				Gallery struct{ Images []struct{ ID string } }
			}
		}
	}
	r.Decode(t, &created)
	p := created.CreateImagePost.Post
	if len(p.Gallery.Images) != 1 {
		t.Fatalf("createImagePost %s", r.Data)
	}
	img := p.Gallery.Images[0].ID
	if want := `{"createImagePost":{"post":{"id":"` + p.ID + `","type":"IMAGE","bodyText":"Peonies at noon","slug":"peonies","space":{"id":"` + gallery +
		`"},"gallery":{"images":[{"id":"` + img + `","signedId":"` + cdSigned1 + `","width":1200,"height":800}]}},"userErrors":[]}}`; string(r.Data) != want {
		t.Errorf("createImagePost %s\nwant %s", r.Data, want)
	}
	mustCalls(t, e.Env, "POST /spaces/"+gallery+"/images/posts")
	if got, want := string(e.lastBody(t)), `{"space_id":`+gallery+`,"slug":"peonies","tiptap_body":`+string(mustJSON(t, caption))+
		`,"is_comments_enabled":true,"gallery_attributes":{"images_attributes":[{"signed_id":"`+cdSigned1+`","width":1200,"height":800}]}}`; got != want {
		t.Errorf("Circle received %s\nwant %s", got, want)
	}

	r = e.run(t, circledouble.Emile, `mutation($in: UpdateImagePostInput!) { updateImagePost(input: $in) { `+sel+` } }`, map[string]any{"in": map[string]any{
		"spaceId": gallery, "id": p.ID, "isLikingEnabled": false,
		"images": []any{map[string]any{"signedId": cdSigned2}, map[string]any{"id": img, "position": 1}},
	}})
	mustOK(t, r)
	if !strings.Contains(string(r.Data), `"images":[{"id":"`+circledouble.ID(circledouble.Image0+2)+`","signedId":"`+cdSigned2+`","width":1000,"height":1000},{"id":"`+img+`"`) {
		t.Errorf("updateImagePost %s", r.Data)
	}
	mustCalls(t, e.Env, "PUT /spaces/"+gallery+"/images/posts/"+p.ID)
	if got, want := string(e.lastBody(t)), `{"space_id":`+gallery+`,"is_liking_enabled":false,"gallery_attributes":{"images_attributes":[{"image":"`+cdSigned2+`"},{"id":`+img+`,"position":1}]}}`; got != want {
		t.Errorf("Circle received %s\nwant %s", got, want)
	}

	// Circle's refusals: another member's post (403) and a basic space (422).
	r = e.run(t, circledouble.Dana, `mutation($in: UpdateImagePostInput!) { updateImagePost(input: $in) { post { id } } }`, map[string]any{"in": map[string]any{"spaceId": gallery, "id": p.ID, "slug": "mine"}})
	mustError(t, r, "FORBIDDEN", "updateImagePost")
	mustCalls(t, e.Env, "PUT /spaces/"+gallery+"/images/posts/"+p.ID)
	shed := circledouble.ID(circledouble.Shed)
	r = e.run(t, circledouble.Emile, `mutation($s: String!) { createImagePost(input: { spaceId: "`+shed+`", images: [{ signedId: $s }] }) { post { id } userErrors { field message } } }`, map[string]any{"s": cdSigned1})
	mustOK(t, r)
	if string(r.Data) != `{"createImagePost":{"post":null,"userErrors":[{"field":["input","spaceId"],"message":"Image posts can only be created in an image space."}]}}` {
		t.Errorf("in a basic space %s", r.Data)
	}
	mustCalls(t, e.Env, "POST /spaces/"+shed+"/images/posts")
}

// createPost sends topics and a cover image as Circle's document names
// them.
func TestCreatePostSendsTopicsAndCover(t *testing.T) {
	t.Parallel()
	created := namedExample(t, "POST", "/spaces/{space_id}/images/posts", "200", "success")
	up := newFakeCircle(map[string]fakeAnswer{"POST /spaces/2/posts": {200, created}})
	env := testenv.New(t, testenv.Options{Upstream: up})
	r := env.Do(t, testjwt.Member(t, 1), `mutation($c: String) { createPost(input: { spaceId: "2", title: "Tagged", body: "B", topicIds: ["5", "3", "5"], coverImageSignedId: $c }) { post { id } userErrors { message } } }`, map[string]any{"c": cdSigned1})
	mustNoErrors(t, r)
	if got, want := up.body("POST /spaces/2/posts"), `{"space_id":2,"name":"Tagged","body":"B","topics":[5,3],"cover_image":"`+cdSigned1+`"}`; got != want {
		t.Errorf("Circle received %s, want %s", got, want)
	}
	mustCalls(t, env, "POST /spaces/2/posts")
}
