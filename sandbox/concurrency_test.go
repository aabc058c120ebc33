package sandbox

import (
	"encoding/json"
	"net/http"
	"sync"
	"testing"

	"github.com/circle-gateway/gateway/circle"
)

// TestConcurrentMembers has 50 members use the sandbox at once, as the
// gateway's tests do: each gets tokens over the Auth API, reads its feeds,
// refreshes and revokes, while tokens are also issued directly. Run with
// -race; every answer must still be the member's own.
func TestConcurrentMembers(t *testing.T) {
	h := newHarness(t)
	members := h.sb.MemberIDs()
	postID, commentID := h.commentWithReplies(spaceGeneral)
	const workers = 50

	var wg sync.WaitGroup
	for w := range workers {
		member := members[w%len(members)]
		wg.Go(func() {
			status, raw := h.authCall(http.MethodPost, "/auth_token", map[string]any{"community_member_id": member})
			if status != http.StatusOK {
				t.Errorf("member %d: auth_token %d %s", member, status, raw)
				return
			}
			var pair circle.AuthToken
			if err := json.Unmarshal(raw, &pair); err != nil {
				t.Error(err)
				return
			}
			var me circle.CurrentMember
			if status := h.get(pair.AccessToken, "/community_member", &me); status != http.StatusOK || me.ID != member {
				t.Errorf("member %d: /community_member %d as %d", member, status, me.ID)
			}
			for _, path := range []string{
				"/spaces",
				"/home?per_page=50",
				"/community_events",
				"/spaces/12/posts?sort=popular",
				"/posts/" + itoa(postID) + "/comments",
				"/comments/" + itoa(commentID) + "/replies",
				"/community_members?search_text=a",
				"/community_members/" + itoa(member) + "/public_profile",
			} {
				if status := h.get(pair.AccessToken, path, nil); status != http.StatusOK {
					t.Errorf("member %d: GET %s: %d", member, path, status)
				}
			}
			if _, err := h.sb.IssueToken(member); err != nil {
				t.Errorf("member %d: IssueToken: %v", member, err)
			}
			status, raw = h.authCall(http.MethodPatch, "/access_token/refresh", map[string]any{"refresh_token": pair.RefreshToken})
			if status != http.StatusOK {
				t.Errorf("member %d: refresh %d %s", member, status, raw)
			}
			if status, raw := h.authCall(http.MethodPost, "/access_token/revoke", map[string]any{"access_token": pair.AccessToken}); status != http.StatusNoContent {
				t.Errorf("member %d: revoke %d %s", member, status, raw)
			}
			if status := h.get(pair.AccessToken, "/spaces", nil); status != http.StatusUnauthorized {
				t.Errorf("member %d: revoked token still works: %d", member, status)
			}
			if status, raw := h.authCall(http.MethodPost, "/refresh_token/revoke", map[string]any{"refresh_token": pair.RefreshToken}); status != http.StatusNoContent {
				t.Errorf("member %d: revoke refresh %d %s", member, status, raw)
			}
		})
	}
	wg.Wait()
}
