package e2e

import (
	"context"
	"net/http"
	"strconv"
	"testing"

	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/internal/refqueries"
	"github.com/circle-gateway/gateway/internal/testenv"
)

// BenchmarkGatewayOverhead measures the gateway's own cost per feed query:
// the upstream answers with a pre-recorded /home page (recorded from the
// sandbox once), so the profile holds only gateway work.
//
//	go test ./e2e -run '^$' -bench GatewayOverhead -benchmem -cpuprofile cpu.out
func BenchmarkGatewayOverhead(b *testing.B) {
	rec := testenv.New(b, testenv.Options{})
	tok := rec.DemoToken(b)
	c, err := circle.New(rec.SandboxURL(b))
	if err != nil {
		b.Fatal(err)
	}
	resp, err := c.Member(tok).Fetch(context.Background(), circle.GetRequest{Endpoint: "/home", Target: "/home?page=1&per_page=20"})
	if err != nil {
		b.Fatal(err)
	}
	page := resp.Body
	env := testenv.New(b, testenv.Options{Upstream: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(page)))
		_, _ = w.Write(page)
	})})
	query := refqueries.ByName("feed").Query
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for b.Loop() {
		r := env.Do(b, tok, query, nil)
		if len(r.Errors) > 0 {
			b.Fatal(r.Errors)
		}
	}
}
