package hostile

import (
	"net/http/httptest"

	"github.com/circle-gateway/gateway/internal/testenv"
	"github.com/circle-gateway/gateway/sandbox"
)

// Double is the Circle the gateway under attack talks to: the embedded
// sandbox (real paths, JSON and tokens) behind a testenv.Recorder that
// records every call and injects the faults a scenario sets (SetFault,
// SetDelay, SetGate), served on a loopback port.
type Double struct {
	// Sandbox is the Circle behind the recorder.
	Sandbox *sandbox.Sandbox
	// Upstream records and misbehaves.
	Upstream *testenv.Recorder
	// URL is the base URL to give the gateway as CIRCLE_API_URL.
	URL string

	srv *httptest.Server
}

// NewDouble starts a Double; Close stops it.
func NewDouble() *Double {
	sb := sandbox.New(sandbox.Options{})
	rec := testenv.NewRecorder(sb.Handler())
	srv := httptest.NewServer(rec)
	return &Double{Sandbox: sb, Upstream: rec, URL: srv.URL, srv: srv}
}

// Close stops serving; calls in flight are cut.
func (d *Double) Close() {
	d.srv.CloseClientConnections()
	d.srv.Close()
}

// Env is the gateway environment that points it at the double, as a
// production deployment is pointed at Circle (the app token is the
// sandbox's), with extra settings after it.
func (d *Double) Env(extra ...string) []string {
	return append([]string{"CIRCLE_API_URL=" + d.URL, "CIRCLE_HEADLESS_AUTH_TOKEN=" + d.Sandbox.AppToken()}, extra...)
}

// Token issues a member access token Circle (the double) accepts.
func (d *Double) Token(memberID int64) (string, error) {
	tok, err := d.Sandbox.IssueToken(memberID)
	if err != nil {
		return "", err
	}
	return tok.AccessToken, nil
}

// Members are member ids of the sandbox's demo community, the demo member
// first.
func (d *Double) Members() []int64 { return d.Sandbox.MemberIDs() }
