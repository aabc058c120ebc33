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
	"strings"
	"unicode/utf8"
)

// guard refuses, before gqlgen sees them, the requests docs/contract.md §2 rules
// out: methods other than GET and POST (405), a POST whose content type is
// not JSON (415: such a request can be sent cross-site without a CORS
// preflight) or not in UTF-8 (415), a body over the size limit (413, before
// anything is parsed), a JSON array body (400: batched operations are not
// served), and a body with a key twice in one object (400: decoders
// disagree on which one counts, so what a log, a WAF or a cache saw would
// not be what ran).
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
		mediaType, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mediaType != "application/json" {
			message := "POST /graphql needs Content-Type: application/json"
			if mediaType == graphQLResponseJSON {
				message += " (application/graphql-response+json is the answer's media type: send it in Accept)"
			}
			writeRefusal(w, r, &RequestError{Status: http.StatusUnsupportedMediaType, Message: message})
			return
		}
		if charset, ok := params["charset"]; ok && !strings.EqualFold(charset, "utf-8") && !strings.EqualFold(charset, "utf8") {
			// JSON is UTF-8 (RFC 8259); a body in another charset would be
			// read as UTF-8 and mean something else than its sender meant.
			writeRefusal(w, r, &RequestError{Status: http.StatusUnsupportedMediaType, Message: "POST /graphql takes JSON in UTF-8 only, not charset=" + charset})
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
		if key, ok := duplicateKey(body); ok {
			writeRefusal(w, r, &RequestError{Status: http.StatusBadRequest, Malformed: true,
				Message: fmt.Sprintf("the request body has the key %q twice in one object: send each key once", truncate(key, 40))})
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		next.ServeHTTP(w, r)
	})
}

// duplicateKey returns the first key that appears twice in one object of
// the JSON body, at any depth (keys are compared as decoded, so "query"
// and "\u0071uery" are the same key). A body that is not valid JSON has
// none: the transport refuses it with the decoder's own reason.
func duplicateKey(body []byte) (string, bool) {
	type object struct {
		keys    map[string]struct{}
		wantKey bool
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var stack []*object // nil entries are arrays
	value := func() {   // a value ended: the enclosing object wants a key next
		if n := len(stack); n > 0 && stack[n-1] != nil {
			stack[n-1].wantKey = true
		}
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, &object{keys: map[string]struct{}{}, wantKey: true})
			case '[':
				stack = append(stack, nil)
			default:
				stack = stack[:len(stack)-1]
				value()
			}
		case string:
			if n := len(stack); n > 0 && stack[n-1] != nil && stack[n-1].wantKey {
				top := stack[n-1]
				if _, seen := top.keys[t]; seen {
					return t, true
				}
				top.keys[t] = struct{}{}
				top.wantKey = false
				continue
			}
			value()
		default:
			value()
		}
		if len(stack) == 0 {
			return "", false
		}
	}
}

// truncate keeps an echoed value short, cutting between characters.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
