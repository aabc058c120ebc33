package circle

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Circle's budget (about 2000 calls per 5 minutes per IP) is shared by
// everyone who reaches the gateway, and the gateway cannot verify a member
// token itself: anyone can make a token that looks valid. So the client
// sorts every call by what vouches for it (a Share), and remembers what
// Circle answered for each credential (a TokenMemory), so that:
//
//   - a credential Circle has not accepted yet sends one call at a time,
//     in this process, and the caller's other calls wait for that answer;
//   - a credential Circle refused is refused again without a call;
//   - calls on unproven credentials draw from a small reserved share of the
//     budget, each member's calls from that member's own share, and the
//     Auth API from a reserve the Member API cannot spend.
//
// The limits themselves live in package budget (in memory, or shared by
// replicas through Redis); this file is the client's side of them.

// ShareKind names who a call is made for, which decides the parts of the
// upstream budget it draws from (package budget).
type ShareKind int

// The kinds of share. Their String form labels metrics.
const (
	// ShareAuth is an Auth API call on a credential the gateway checked
	// itself (createMemberToken's service key, signIn's verified id token)
	// or Circle accepted before, and the readiness probe: it may use the
	// whole budget, including the reserve the Member API leaves it.
	ShareAuth ShareKind = iota + 1
	// ShareMember is a Member API call with a token Circle accepted: it
	// draws from the Member API's part and from that member's own share.
	ShareMember
	// ShareUnproven is a Member API call with a token Circle has not
	// accepted yet: it draws from the Member API's part and from the small
	// share all unproven credentials have together.
	ShareUnproven
	// ShareUnprovenAuth is an Auth API call on a credential nobody has
	// checked (a refresh or revoke of a token Circle has not accepted): it
	// draws from the unproven share, not from the Member API's part.
	ShareUnprovenAuth
)

// String is the share's metrics label.
func (k ShareKind) String() string {
	switch k {
	case ShareAuth:
		return "auth"
	case ShareMember:
		return "member"
	case ShareUnproven:
		return "unproven"
	case ShareUnprovenAuth:
		return "unproven_auth"
	}
	return "unknown"
}

// Share is the part of the upstream budget one call draws from.
type Share struct {
	Kind ShareKind
	// Member keys a ShareMember's own share: "m:<community member id>"
	// (from the claims of a token Circle accepted, so they are Circle's),
	// or "t:<token hash>" for a token that names no member. Never a token.
	Member string
}

// Limiter paces upstream calls (the client-side rate limit). Wait blocks
// until a call of share s may go, or returns an error when it cannot
// within ctx: a 429-shaped *Error with RetryAfter when s's part of the
// budget is spent (the caller is told RATE_LIMITED), anything else when ctx
// ended while waiting.
type Limiter interface {
	Wait(ctx context.Context, s Share) error
}

// CredentialKind says what a credential is.
type CredentialKind int

const (
	// AccessToken is a member access token (a JWT Circle signed).
	AccessToken CredentialKind = iota + 1
	// RefreshToken is a member refresh token (opaque).
	RefreshToken
)

// Credential is a member credential a call is made on, as the token memory
// sees it. Token is held in memory only for the call; the memory keys by
// its hash.
type Credential struct {
	Kind  CredentialKind
	Token string
	// MemberID is the access token's community_member_id claim (0 if
	// none): trusted once Circle accepted the token.
	MemberID int64
	// ExpiresAt is when the credential stops working (an access token's
	// exp); zero when unknown, and the memory then keeps it for
	// DefaultCredentialTTL.
	ExpiresAt time.Time
}

// DefaultCredentialTTL is how long a credential whose expiry is unknown (a
// refresh token, an access token without exp) is remembered: about the
// life of a Circle access token, so a mistake is never kept for long.
const DefaultCredentialTTL = time.Hour

// Hash is the credential's key in the token memory: a SHA-256 of the
// token, hex, with its kind. It is what is stored (in Redis too), never
// the token.
func (c Credential) Hash() string {
	sum := sha256.Sum256([]byte(c.Token))
	return strconv.Itoa(int(c.Kind)) + ":" + hex.EncodeToString(sum[:16])
}

// Until is when the memory forgets the credential, from now.
func (c Credential) Until(now time.Time) time.Time {
	if c.ExpiresAt.After(now) {
		return c.ExpiresAt
	}
	return now.Add(DefaultCredentialTTL)
}

// memberShare is the Share of calls on an accepted credential.
func (c Credential) memberShare() Share {
	if c.Kind == RefreshToken {
		return Share{Kind: ShareAuth}
	}
	if c.MemberID > 0 {
		return Share{Kind: ShareMember, Member: "m:" + strconv.FormatInt(c.MemberID, 10)}
	}
	return Share{Kind: ShareMember, Member: "t:" + c.Hash()}
}

// TokenState is what Circle last said of a credential.
type TokenState int

const (
	// TokenUnknown: Circle has not answered for it (or it was forgotten).
	TokenUnknown TokenState = iota
	// TokenAccepted: Circle answered a call made with it.
	TokenAccepted
	// TokenRefused: Circle answered 401 for it, or it was revoked.
	TokenRefused
)

// TokenMemory remembers, by hash, what Circle answered for credentials,
// until they expire (package budget: in memory, or shared by replicas
// through Redis). Implementations never block past ctx and treat their own
// failures as TokenUnknown: forgetting costs one more call, never a wrong
// answer.
type TokenMemory interface {
	// Cached returns what this process knows of c, without asking anyone
	// else: it is on the path of every call, so it must be cheap.
	Cached(c Credential) TokenState
	// Lookup returns what is known of c, asking the shared store (Redis)
	// when this process does not know.
	Lookup(ctx context.Context, c Credential) TokenState
	// Remember records s for c until c.Until; TokenUnknown forgets c.
	Remember(ctx context.Context, c Credential, s TokenState)
}

// refusedBefore is the error of a Member API call on a token Circle
// refused: the 401 Circle gave for it, marked as the gateway's own.
func refusedBefore(r request) error {
	return &Error{Status: http.StatusUnauthorized, Endpoint: r.method + " " + r.endpoint, refused: true, Gateway: true,
		Message: "The access token is invalid: Circle refused it before, so the gateway did not send it again."}
}

// verdict judges what an answer says of the credential a call was made on.
type verdict func(err error) TokenState

// memberVerdict: any answer but 401 (and the statuses that say nothing of
// the caller: 407, 408, 429, 5xx) means Circle took the token.
func memberVerdict(err error) TokenState {
	if err == nil {
		return TokenAccepted
	}
	var ce *Error
	if !errors.As(err, &ce) || ce.refused {
		return TokenUnknown
	}
	switch s := ce.Status; {
	case s == http.StatusUnauthorized:
		return TokenRefused
	case s == http.StatusProxyAuthRequired, s == http.StatusRequestTimeout, s == http.StatusTooManyRequests, s >= 500, s < 400:
		return TokenUnknown
	}
	return TokenAccepted
}

// gate lets one call at a time go out on each credential the memory does
// not know, in this process: the others wait for its answer and then go as
// proven, or are refused without a call.
type gate struct {
	mu      sync.Mutex
	probing map[string]chan struct{} // by credential hash
}

func newGate() *gate { return &gate{probing: map[string]chan struct{}{}} }

// admit decides the share of a call on cred, waiting while another call on
// the same unknown credential is out. done, non-nil when this call is the
// credential's probe, must be called with the call's outcome.
func (c *Client) admit(ctx context.Context, r request, cred Credential, proven Share, unproven ShareKind) (Share, func(error), error) {
	key := cred.Hash()
	known := func(s TokenState) (Share, error, bool) {
		switch {
		case s == TokenAccepted:
			return proven, nil, true
		case s == TokenRefused && r.prefix != authPrefix:
			c.report(ctx, Call{Method: r.method, Endpoint: r.endpoint, Refused: true})
			return Share{}, fmt.Errorf("circle: %s %s: %w", r.method, r.endpoint, refusedBefore(r)), true
		}
		// Unknown; or refreshing or revoking a revoked token, which
		// Circle answers for itself, as one unproven call at a time.
		return Share{}, nil, false
	}
	for {
		if share, err, ok := known(c.tokens.Cached(cred)); ok {
			return share, nil, err
		}
		c.gate.mu.Lock()
		wait, busy := c.gate.probing[key]
		if busy {
			c.gate.mu.Unlock()
			select {
			case <-wait:
				// The probe answered (or failed): look again.
				continue
			case <-ctx.Done():
				return Share{}, nil, fmt.Errorf("circle: %s %s: %w: waiting for Circle to answer for this token: %s", r.method, r.endpoint, ErrUnavailable, transportCause(ctx, ctx.Err()))
			}
		}
		done := make(chan struct{})
		c.gate.probing[key] = done
		c.gate.mu.Unlock()
		release := func() {
			c.gate.mu.Lock()
			delete(c.gate.probing, key)
			c.gate.mu.Unlock()
			close(done)
		}
		// Holding the gate, ask the shared memory (another replica may
		// know the token), and look again at this process's: a probe may
		// have answered since the look above (it remembers its outcome
		// before it gives the gate up).
		if share, err, ok := known(c.tokens.Lookup(ctx, cred)); ok {
			release()
			return share, nil, err
		}
		judge := r.verdict
		if judge == nil {
			judge = memberVerdict
		}
		return Share{Kind: unproven}, func(err error) {
			if s := judge(err); s != TokenUnknown {
				c.tokens.Remember(context.WithoutCancel(ctx), cred, s)
			}
			release()
		}, nil
	}
}

// share decides what r draws from and, for a credential Circle has not
// answered for, makes it the credential's one call in flight. done is nil
// unless r is such a probe.
func (c *Client) share(ctx context.Context, r request) (Share, func(error), error) {
	cred := r.cred
	if cred == nil && r.prefix == memberPrefix && r.token != "" {
		// A Member API call made without the MemberAPI's metadata.
		cred = &Credential{Kind: AccessToken, Token: r.token}
	}
	if cred == nil {
		return Share{Kind: ShareAuth}, nil, nil
	}
	proven, unproven := cred.memberShare(), ShareUnproven
	if r.prefix == authPrefix {
		proven, unproven = Share{Kind: ShareAuth}, ShareUnprovenAuth
	}
	if c.tokens == nil {
		// Nothing is known of any credential: Member API calls are
		// counted per member, Auth API calls on a member's credential as
		// unproven.
		if r.prefix == authPrefix {
			return Share{Kind: ShareUnprovenAuth}, nil, nil
		}
		return proven, nil, nil
	}
	return c.admit(ctx, r, *cred, proven, unproven)
}

// remember records what Circle said of a credential outside a call on it
// (tokens Circle just issued, a revocation).
func (c *Client) remember(ctx context.Context, cred Credential, s TokenState) {
	if c.tokens != nil && cred.Token != "" {
		c.tokens.Remember(context.WithoutCancel(ctx), cred, s)
	}
}
