package transport

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
)

// guard refuses, before gqlgen sees them, the requests GATEWAY.md §2 rules
// out: methods other than GET and POST (405), a POST whose content type is
// not JSON (415: such a request can be sent cross-site without a CORS
// preflight), a body over the size limit (413, before anything is parsed),
// and a JSON array body (400: batched operations are not served).
func guard(maxBody int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet:
			next.ServeHTTP(w, r)
			return
		case http.MethodPost:
		default:
			w.Header().Set("Allow", "GET, POST")
			refuseRequest(w, http.StatusMethodNotAllowed, "use POST (or GET for queries) on /graphql")
			return
		}
		mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || (mediaType != "application/json" && mediaType != "application/graphql-response+json") {
			refuseRequest(w, http.StatusUnsupportedMediaType, "POST /graphql needs Content-Type: application/json")
			return
		}
		if r.ContentLength > maxBody {
			refuseRequest(w, http.StatusRequestEntityTooLarge, "request body over "+strconv.FormatInt(maxBody, 10)+" bytes")
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				refuseRequest(w, http.StatusRequestEntityTooLarge, "request body over "+strconv.FormatInt(maxBody, 10)+" bytes")
				return
			}
			refuseRequest(w, http.StatusBadRequest, "could not read the request body")
			return
		}
		if trimmed := bytes.TrimLeft(body, " \t\r\n"); len(trimmed) > 0 && trimmed[0] == '[' {
			refuseRequest(w, http.StatusBadRequest, "batched operations (a JSON array body) are not supported: send one operation per request")
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		next.ServeHTTP(w, r)
	})
}

// refuseRequest answers with a GraphQL-shaped error body so clients can
// show the message like any other error.
func refuseRequest(w http.ResponseWriter, status int, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{"message": message, "extensions": map[string]any{"code": fmt.Sprintf("HTTP_%d", status)}}},
	})
}
