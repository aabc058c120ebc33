package transport

import (
	"fmt"
	"net/http"

	"github.com/klauspost/compress/gzhttp"
	"github.com/klauspost/compress/gzip"
)

// RESPONSE_COMPRESSION: GraphQL answers are JSON, which gzip shrinks
// several times (a feed page with comments three and a half times), and many
// things put in front of a gateway (a Kubernetes ingress, a cloud load
// balancer) do not compress by default. So the gateway gzips the answers
// of /graphql itself for clients that send Accept-Encoding: gzip, as every
// browser and HTTP library does, with klauspost/compress's gzhttp (Vary,
// ETag and Content-Length handled). Only gzip: gzhttp would otherwise
// answer zstd to the browsers that offer it, which no test or document of
// the gateway covers. At gzip's fastest level: answers are small, and a
// writer at the default level holds about 0.75 MB while it compresses
// (0.5 MB at this one), memory no cap of package memcap counts. Answers
// under compressMinSize go as they are: gzip would save a few bytes for
// the CPU it costs. SSE streams and WebSockets are never compressed, so
// each event leaves when it is written.

// compressMinSize is the smallest answer that is gzipped.
const compressMinSize = 1024

// withCompression gzips next's answers when on (see above): only the two
// media types of GraphQL answers (graphqlhttp.go).
func withCompression(on bool, next http.Handler) (http.Handler, error) {
	if !on {
		return next, nil
	}
	wrap, err := gzhttp.NewWrapper(gzhttp.MinSize(compressMinSize), gzhttp.ContentTypes([]string{"application/json", graphQLResponseJSON}),
		gzhttp.CompressionLevel(gzip.BestSpeed), gzhttp.EnableZstd(false))
	if err != nil {
		return nil, fmt.Errorf("transport: response compression: %w", err)
	}
	compressed := wrap(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isEventStream(r) {
			next.ServeHTTP(w, r)
			return
		}
		compressed.ServeHTTP(w, r)
	}), nil
}
