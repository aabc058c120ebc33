package transport

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
)

// guard refuses, before gqlgen sees them, the requests docs/contract.md §2 rules
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
			writeRefusal(w, r, &RequestError{Status: http.StatusMethodNotAllowed, Message: "use POST (or GET for queries) on /graphql"})
			return
		}
		mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || (mediaType != "application/json" && mediaType != "application/graphql-response+json") {
			writeRefusal(w, r, &RequestError{Status: http.StatusUnsupportedMediaType, Message: "POST /graphql needs Content-Type: application/json"})
			return
		}
		if r.ContentLength > maxBody {
			writeRefusal(w, r, &RequestError{Status: http.StatusRequestEntityTooLarge, Message: "request body over " + strconv.FormatInt(maxBody, 10) + " bytes"})
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				writeRefusal(w, r, &RequestError{Status: http.StatusRequestEntityTooLarge, Message: "request body over " + strconv.FormatInt(maxBody, 10) + " bytes"})
				return
			}
			writeRefusal(w, r, &RequestError{Status: http.StatusBadRequest, Message: "could not read the request body"})
			return
		}
		if trimmed := bytes.TrimLeft(body, " \t\r\n"); len(trimmed) > 0 && trimmed[0] == '[' {
			writeRefusal(w, r, &RequestError{Status: http.StatusBadRequest, Message: "batched operations (a JSON array body) are not supported: send one operation per request"})
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		next.ServeHTTP(w, r)
	})
}
