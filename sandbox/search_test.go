package sandbox

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// The search endpoints: conformance to Circle's document, and what they
// find for whom.

func searchConfCases() []confCase {
	get := func(name, path, cred string, status int, message string) confCase {
		return confCase{name: name, method: http.MethodGet, path: memberPrefix + path, cred: cred, status: status, message: message}
	}
	post := func(name string, body map[string]any, cred string, status int, message string) confCase {
		return confCase{name: name, method: http.MethodPost, path: memberPrefix + "/search/community_members", cred: cred, body: func() any { return body }, status: status, message: message}
	}
	m := credMember
	cases := []confCase{
		get("quick search", "/search?search_text=community", m, 200, ""),
		get("quick search paged", "/search?search_text=e&per_page=5&page=2", m, 200, ""),
		get("quick search for a member", "/search?search_text="+url.QueryEscape("Demo Member"), m, 200, ""),
		get("quick search for a space group and a tag", "/search?search_text=o", m, 200, ""),
		get("quick search finding nothing", "/search?search_text=zzzzzz", m, 200, ""),
		get("quick search expired", "/search?search_text=a", credExpired, 401, msgTokenExpired),
		get("quick search revoked", "/search?search_text=a", credRevoked, 401, msgTokenRevoked),

		get("search page", "/advanced_search?query=community", m, 200, ""),
		get("search page paged", "/advanced_search?query=e&per_page=3&page=4", m, 200, ""),
		get("search page members", "/advanced_search?query=a&type=members", m, 200, ""),
		get("search page posts by author", "/advanced_search?query=e&type=posts&filters[author_name]=demo", m, 200, ""),
		get("search page upcoming events", "/advanced_search?query=e&type=events&filters[status]=upcoming", m, 200, ""),
		get("search page past events", "/advanced_search?query=e&type=events&filters[status]=past", m, 200, ""),
		get("search page comments in a space", "/advanced_search?query=e&type=comments&filters[space_ids][0]=12", m, 200, ""),
		get("search page lessons", "/advanced_search?query=lesson&type=lessons", m, 200, ""),
		get("search page spaces", "/advanced_search?query=e&type=spaces", m, 200, ""),
		get("search page mentions", "/advanced_search?query=a&type=mentions&mention_scope=space", m, 200, ""),
		get("search page entity list", "/advanced_search?query=a&type=entity_list", m, 200, ""),
		get("search page members with a tag", "/advanced_search?query=a&type=members&filters[member_tag_ids][0]="+strconv.Itoa(firstMemberTagID), m, 200, ""),
		get("search page ghost", "/advanced_search?query=a", credGhost, 401, msgNoTokenMember),

		post("member search", map[string]any{}, m, 200, ""),
		post("member search by text, sorted and paged", map[string]any{"search_text": "a", "order": "alphabetical", "page": 2, "per_page": 5}, m, 200, ""),
		post("member search by role", map[string]any{"filters": []any{map[string]any{"key": "role", "filter_type": "is", "value": "admin"}}, "order": "role"}, m, 200, ""),
		post("member search for inactive members", map[string]any{"status": "inactive"}, m, 200, ""),
		post("member search without empty profiles", map[string]any{"exclude_empty_profiles": true, "exclude_empty_name": true, "order": "latest"}, m, 200, ""),
	}
	broken := []confCase{
		// OpenAPI leaves arrays in deepObject parameters undefined, and the
		// validator wants indexes; Rails (Circle) reads filters[x][]=1 as
		// the array it is, and so does the sandbox.
		get("search page with Rails array filters", "/advanced_search?query=e&type=posts&filters[space_ids][]=12&filters[space_ids][]=15", m, 200, ""),
		get("quick search without text", "/search", m, 200, ""),
	}
	return append(cases, markInvalid(broken)...)
}

func TestConformanceSearch(t *testing.T) {
	runConformance(t, newConfFixture(t), searchConfCases())
}

// What search finds: records of every kind, with Circle's highlighting,
// never from a private space the member is not in.
func TestSearchFinds(t *testing.T) {
	h := newHarness(t)
	demo := h.token(h.sb.DemoMemberID())
	staffTitle := func() string {
		h.sb.store.mu.RLock()
		defer h.sb.store.mu.RUnlock()
		return h.sb.store.posts[h.postsIn(spaceStaff)[0]].title
	}()
	var quick struct {
		Count   int
		Records []struct {
			Type       string
			Attributes map[string]any
		}
	}
	h.mustGet(demo, "/search?per_page=100&search_text="+url.QueryEscape(staffTitle), &quick)
	for _, r := range quick.Records {
		if r.Type == "post" && r.Attributes["name"] == staffTitle {
			t.Fatalf("the Staff Room's post %q was found by a member outside it", staffTitle)
		}
	}
	h.mustGet(h.token(h.admin()), "/search?per_page=100&search_text="+url.QueryEscape(staffTitle), &quick)
	found := false
	for _, r := range quick.Records {
		if r.Type == "post" && r.Attributes["name"] == staffTitle {
			found = strings.Contains(r.Attributes["highlighted_name"].(string), "<strong>")
		}
	}
	if !found {
		t.Fatalf("an admin's search for %q did not find it highlighted: %+v", staffTitle, quick.Records)
	}

	for text, kind := range map[string]string{"bookmarking": "comment", "Staff": "member_tag", "Projects": "space_group", "lounge": "space", "Demo": "community_member", "icebreakers": "post"} {
		h.mustGet(demo, "/search?per_page=100&search_text="+text, &quick)
		found := false
		for _, r := range quick.Records {
			found = found || r.Type == kind
		}
		if !found {
			t.Errorf("the quick search for %q found no %s", text, kind)
		}
	}

	var adv struct {
		Records []map[string]any
	}
	h.mustGet(demo, "/advanced_search?per_page=100&type=lessons&query=moderation", &adv)
	if len(adv.Records) == 0 || adv.Records[0]["type"] != "lesson" || !strings.Contains(adv.Records[0]["highlighted_name"].(string), "<strong>Moderation</strong>") {
		t.Errorf("lessons matching \"moderation\": %+v", adv.Records)
	}

	if got := highlight("Fish & <Chips> & fish", "fish"); got != "<strong>Fish</strong> &amp; &lt;Chips&gt; &amp; <strong>fish</strong>" {
		t.Errorf("highlight: %s", got)
	}

	st, raw := h.do(http.MethodPost, memberPrefix+"/search/community_members", demo, map[string]any{"filters": []any{map[string]any{"key": "role", "filter_type": "is", "value": "admin"}}, "per_page": 100})
	var members struct {
		Records []struct {
			Admin bool
			ID    int64
		}
	}
	if st != http.StatusOK || json.Unmarshal(raw, &members) != nil || len(members.Records) == 0 {
		t.Fatalf("admins: %d %s", st, raw)
	}
	for _, m := range members.Records {
		if !m.Admin {
			t.Errorf("member %d is no admin", m.ID)
		}
	}
}

func communityConfCases() []confCase {
	get := func(name, path, cred string, status int, message string) confCase {
		return confCase{name: name, method: http.MethodGet, path: memberPrefix + path, cred: cred, status: status, message: message}
	}
	cases := []confCase{
		get("community links", "/community_links", credMember, 200, ""),
		get("community links expired", "/community_links", credExpired, 401, msgTokenExpired),
	}
	for _, page := range profilePages {
		cases = append(cases, get("profile fields of "+page, "/page_profile_fields?page_name="+page, credMember, 200, ""))
	}
	cases = append(cases,
		get("profile fields paged", "/page_profile_fields?page_name=edit_profile&per_page=2&page=2", credMember, 200, ""),
		get("profile fields revoked", "/page_profile_fields?page_name=signup", credRevoked, 401, msgTokenRevoked),
	)
	return append(cases, markInvalid([]confCase{
		get("profile fields of an unknown page", "/page_profile_fields?page_name=settings", credMember, 400, msgUnsupportedPage),
		get("profile fields without a page", "/page_profile_fields", credMember, 400, msgUnsupportedPage),
	})...)
}

func TestConformanceCommunity(t *testing.T) {
	runConformance(t, newConfFixture(t), communityConfCases())
}
