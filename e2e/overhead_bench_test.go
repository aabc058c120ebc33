package e2e

import (
	"io"
	"net/http"
	"strconv"
	"sync"
	"testing"

	"github.com/circle-gateway/gateway/internal/refqueries"
	"github.com/circle-gateway/gateway/internal/testenv"
)

// BenchmarkGatewayOverhead measures the gateway's own cost per reference
// query: the upstream replays the answers the sandbox gave the first time
// each GET was asked for (replay), so the profile and the allocations hold
// only gateway work (plus the benchmark's own HTTP client).
//
//	go test ./e2e -run '^$' -bench GatewayOverhead -benchmem -cpuprofile cpu.out
func BenchmarkGatewayOverhead(b *testing.B) {
	rec := testenv.New(b, testenv.Options{})
	tok := rec.DemoToken(b)
	env := testenv.New(b, testenv.Options{Upstream: &replay{sandbox: rec.SandboxURL(b)}})
	for _, rq := range refqueries.All {
		b.Run(rq.Name, func(b *testing.B) {
			if r := env.Do(b, tok, rq.Query, nil); len(r.Errors) > 0 { // records the answers
				b.Fatal(r.Errors)
			}
			b.ReportAllocs()
			for b.Loop() {
				r := env.Do(b, tok, rq.Query, nil)
				if len(r.Errors) > 0 {
					b.Fatal(r.Errors)
				}
			}
		})
	}
}

// replay is an upstream that asks the sandbox each distinct GET once and
// answers every later one with the same bytes, whoever asks.
type replay struct {
	sandbox string

	mu      sync.Mutex
	answers map[string][]byte
}

func (u *replay) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := r.Method + " " + r.URL.RequestURI()
	u.mu.Lock()
	body, ok := u.answers[key]
	u.mu.Unlock()
	if !ok {
		var err error
		if body, err = u.record(r); err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body)
}

// record asks the sandbox for r's answer and keeps it if it is a 200.
func (u *replay) record(r *http.Request) ([]byte, error) {
	req, err := http.NewRequestWithContext(r.Context(), r.Method, u.sandbox+r.URL.RequestURI(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", r.Header.Get("Authorization"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &httpStatusError{status: resp.StatusCode, body: string(body)}
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.answers == nil {
		u.answers = map[string][]byte{}
	}
	u.answers[r.Method+" "+r.URL.RequestURI()] = body
	return body, nil
}

type httpStatusError struct {
	status int
	body   string
}

func (e *httpStatusError) Error() string {
	return "sandbox answered " + strconv.Itoa(e.status) + ": " + e.body
}
