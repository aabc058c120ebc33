package e2e

import (
	"testing"

	"github.com/circle-gateway/gateway/internal/refqueries"
	"github.com/circle-gateway/gateway/internal/testenv"
)

// BenchmarkReferenceQueries runs the reference queries of docs/contract.md §6
// through the whole gateway (HTTP in, sandbox upstream over loopback HTTP)
// and reports upstream calls per operation next to time and allocations.
// Allocations include the sandbox's, which runs in the same process.
//
//	go test ./e2e -run '^$' -bench ReferenceQueries -benchmem
func BenchmarkReferenceQueries(b *testing.B) {
	env := testenv.New(b, testenv.Options{})
	tok := env.DemoToken(b)
	for _, rq := range refqueries.All {
		b.Run(rq.Name, func(b *testing.B) {
			env.Upstream.Reset()
			b.ReportAllocs()
			for b.Loop() {
				r := env.Do(b, tok, rq.Query, nil)
				if len(r.Errors) > 0 {
					b.Fatalf("errors: %+v", r.Errors)
				}
			}
			b.ReportMetric(float64(len(env.Upstream.Calls()))/float64(b.N), "upstream-calls/op")
		})
	}
}
