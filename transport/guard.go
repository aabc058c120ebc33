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

// guard refuses, before gqlgen sees them, the requests docs/contract.md §2 rules
// out: methods other than GET and POST (405), a POST whose content type is
// not JSON (415: such a request can be sent cross-site without a CORS
// preflight), a body over the size limit (413, before anything is parsed),
// and a JSON array body (400: batched operations are not served).
func guard(maxBody int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet:
			cw := &getErrorCodes{ResponseWriter: w}
			next.ServeHTTP(cw, r)
			cw.finish()
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

// getErrorCodes gives a code to the errors gqlgen's GET transport writes
// itself, outside the error presenter: a mutation over GET (406) and query
// parameters that do not decode (400). docs/contract.md §5: every GraphQL error
// carries extensions.code. Only those answers are buffered; every other
// response passes straight through.
type getErrorCodes struct {
	http.ResponseWriter
	status int
	buf    *bytes.Buffer
}

func (w *getErrorCodes) WriteHeader(status int) {
	if w.buf == nil && (status == http.StatusBadRequest || status == http.StatusNotAcceptable) {
		w.status, w.buf = status, &bytes.Buffer{}
		return
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *getErrorCodes) Write(b []byte) (int, error) {
	if w.buf != nil {
		return w.buf.Write(b)
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *getErrorCodes) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// finish writes a buffered answer, each error without a code given one:
// HTTP_406 for a mutation over GET (like the guard's own refusals),
// BAD_REQUEST for parameters that do not decode.
func (w *getErrorCodes) finish() {
	if w.buf == nil {
		return
	}
	body := w.buf.Bytes()
	var resp map[string]json.RawMessage
	var errs []map[string]any
	if json.Unmarshal(body, &resp) == nil && json.Unmarshal(resp["errors"], &errs) == nil {
		code := "BAD_REQUEST"
		if w.status == http.StatusNotAcceptable {
			code = fmt.Sprintf("HTTP_%d", w.status)
		}
		for _, e := range errs {
			ext, _ := e["extensions"].(map[string]any)
			if ext == nil {
				ext = map[string]any{}
				e["extensions"] = ext
			}
			if _, ok := ext["code"]; !ok {
				ext["code"] = code
			}
		}
		if b, err := json.Marshal(errs); err == nil {
			resp["errors"] = b
			if b, err := json.Marshal(resp); err == nil {
				body = append(b, '\n')
			}
		}
	}
	w.Header().Del("Content-Length")
	w.ResponseWriter.WriteHeader(w.status)
	_, _ = w.ResponseWriter.Write(body)
}
