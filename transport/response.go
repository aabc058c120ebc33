package transport

import (
	"encoding/json"
	"net/http"
	"sync"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
)

// writeJSON writes resp exactly as encoding/json.Marshal would (the same
// bytes), but copies the answer's data, which gqlgen has already written
// as JSON, in one pass instead of through encoding/json: Marshal compacts
// and validates a json.RawMessage with its generic scanner, which cost a
// few percent of the gateway's CPU per operation, plus the copies of its
// buffers. The buffer is pooled; the rest of the response (errors, the
// hasNext of a stream, extensions) is rare and goes through Marshal.
func writeJSON(w http.ResponseWriter, resp *graphql.Response) {
	buf := responseBuffers.Get().(*[]byte)
	b, err := appendResponse((*buf)[:0], resp)
	if err != nil {
		panic(err) // a Response always marshals: its data is already JSON
	}
	_, _ = w.Write(b)
	if cap(b) <= maxPooledResponse {
		*buf = b
		responseBuffers.Put(buf)
	}
}

// maxPooledResponse bounds the buffers kept for reuse: a rare huge answer
// is not held on to by the pool.
const maxPooledResponse = 256 << 10

var responseBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// appendResponse appends resp's JSON encoding to dst: the fields of
// graphql.Response in their order, each left out as its omitempty tag
// says.
func appendResponse(dst []byte, resp *graphql.Response) ([]byte, error) {
	dst = append(dst, '{')
	if len(resp.Errors) > 0 {
		dst = append(dst, `"errors":`...)
		var err error
		if dst, err = appendMarshal(dst, resp.Errors); err != nil {
			return nil, err
		}
		dst = append(dst, ',')
	}
	dst = append(dst, `"data":`...)
	if resp.Data == nil {
		dst = append(dst, "null"...)
	} else {
		dst = appendCompactHTML(dst, resp.Data)
	}
	if resp.Label != "" {
		dst = append(dst, `,"label":`...)
		dst, _ = appendMarshal(dst, resp.Label)
	}
	if len(resp.Path) > 0 {
		dst = append(dst, `,"path":`...)
		var err error
		if dst, err = appendMarshal(dst, resp.Path); err != nil {
			return nil, err
		}
	}
	if resp.HasNext != nil {
		dst = append(dst, `,"hasNext":`...)
		if *resp.HasNext {
			dst = append(dst, "true"...)
		} else {
			dst = append(dst, "false"...)
		}
	}
	if len(resp.Extensions) > 0 {
		dst = append(dst, `,"extensions":`...)
		var err error
		if dst, err = appendMarshal(dst, resp.Extensions); err != nil {
			return nil, err
		}
	}
	return append(dst, '}'), nil
}

func appendMarshal(dst []byte, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(dst, b...), nil
}

// appendCompactHTML appends the JSON value src as encoding/json writes a
// json.RawMessage: without the whitespace between tokens, and with <, >,
// & and the line and paragraph separators U+2028 and U+2029 inside
// strings escaped (\u003c, …), as Marshal's HTML-safe escaping does. src is
// valid JSON (gqlgen wrote it, raw JSON scalars included).
func appendCompactHTML(dst, src []byte) []byte {
	inString, escaped := false, false
	start := 0 // src[start:i] is still to copy
	for i := 0; i < len(src); i++ {
		c := src[i]
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			case c == '<' || c == '>' || c == '&':
				dst = append(dst, src[start:i]...)
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
				start = i + 1
			case c == 0xE2 && i+2 < len(src) && src[i+1] == 0x80 && src[i+2]&^1 == 0xA8:
				// U+2028 or U+2029, the only runes that need it.
				if r, size := utf8.DecodeRune(src[i:]); size == 3 {
					dst = append(dst, src[start:i]...)
					dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
					i += 2
					start = i + 1
				}
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case ' ', '\t', '\n', '\r':
			dst = append(dst, src[start:i]...)
			start = i + 1
		}
	}
	return append(dst, src[start:]...)
}

const hexDigits = "0123456789abcdef"
