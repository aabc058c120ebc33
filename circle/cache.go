package circle

import (
	"context"
	"strconv"
)

// ResponseCache keeps Member API GET answers for a short time
// (RESPONSE_CACHE_TTL), per member token, so a member whose app refreshes
// a screen every few seconds costs Circle one call per TTL instead of one
// per refresh. Package respcache has the implementations: in memory,
// bounded in bytes, or in Redis, shared by replicas.
//
// What keeps it safe:
//   - an entry is keyed by the token (its hash) as well as the member, so
//     it is only ever served to the token whose call Circle answered: not
//     to another member, not to another token of the same member, not to a
//     token that merely claims the member;
//   - a write through any token of the member drops all of that member's
//     entries (Forget) before the write's answer is returned: the member
//     reads its own writes, on every replica sharing the store. An answer
//     whose GET began before such a write is not stored: Get hands out a
//     ticket, and Put refuses a ticket older than the member's last
//     Forget;
//   - only 2xx answers are kept, never errors;
//   - a token the token memory knows Circle refused (or that was revoked
//     through the gateway) is never answered from the cache.
//
// Implementations never block past ctx and treat their own failures as a
// miss: a broken cache costs calls, never a wrong answer.
type ResponseCache interface {
	// Get returns the body kept for k if it is fresh, and a ticket either
	// way: the moment of the lookup, for Put.
	Get(ctx context.Context, k CacheKey) (body []byte, ticket uint64, ok bool)
	// Put keeps body for k, unless the member's entries were forgotten
	// since ticket was handed out (a write happened since the Get).
	Put(ctx context.Context, k CacheKey, ticket uint64, body []byte)
	// Forget drops every entry of member, for all its tokens, and refuses
	// Puts whose ticket is older. An error means entries may survive in a
	// shared store until they expire.
	Forget(ctx context.Context, member string) error
}

// CacheKey names one cached answer: whose (Member, and the Token's hash,
// never the token) and which GET (Target: path and encoded query).
type CacheKey struct {
	Member string
	Token  string
	Target string
}

// WithResponseCache keeps Member API GET answers in rc (nil: no cache).
func WithResponseCache(rc ResponseCache) Option { return func(c *Client) { c.cache = rc } }

// cacheMember is the member a cache entry belongs to: the token's
// community_member_id claim, or the token's hash when it names none.
func (m *MemberAPI) cacheMember() string {
	if m.cred.MemberID > 0 {
		return "m:" + strconv.FormatInt(m.cred.MemberID, 10)
	}
	return "t:" + m.cred.Hash()
}

// cacheKey is the key of r's answer for m's token.
func (m *MemberAPI) cacheKey(r GetRequest) CacheKey {
	return CacheKey{Member: m.cacheMember(), Token: m.cred.Hash(), Target: r.Target}
}

// cacheable reports whether m's answers may be served from the cache: not
// when the token memory knows Circle refused the token.
func (m *MemberAPI) cacheable() bool {
	return m.c.cache != nil && (m.c.tokens == nil || m.c.tokens.Cached(m.cred) != TokenRefused)
}

// forgetCached drops m's member's cached answers after a write, whatever
// the write's outcome (it may have been applied even if its answer was
// lost).
func (m *MemberAPI) forgetCached(ctx context.Context) {
	if m.c.cache == nil {
		return
	}
	// Even when the caller is gone the write may have been applied; the
	// generation must move on.
	_ = m.c.cache.Forget(context.WithoutCancel(ctx), m.cacheMember())
}
