package circle

import (
	"bytes"
	"fmt"
	"reflect"
	"sync"

	gojson "github.com/goccy/go-json"
)

// decode reads a Circle response body into out. Decoding is most of the
// gateway's own CPU per request (a 20-post page is ~40 KB of JSON, far
// more than the fields a query selects), so it uses goccy/go-json, a
// drop-in encoding/json replacement that decodes the same types with the
// same semantics about 2.3× faster (BenchmarkDecodePage).
func decode(body []byte, out any) error {
	return gojson.Unmarshal(body, out)
}

// Response is the body of a successful Member API GET. Every operation that
// asked for the same GET of the same member at the same time holds the same
// Response (see flights), and so does every field of one operation that
// reads it (package loaders), so the body is decoded once and the result
// shared: the Response and everything decoded from it are read-only.
//
// The body's bytes are let go once decoded. goccy/go-json decodes from a
// copy of its own, and every string it decodes points into that copy, so
// the copy lives as long as the decoded records; keeping the body too
// would hold each answer twice for the whole operation (105 KB more per
// feed + comments operation: BENCHMARKS.md, issue 12). One GET target is
// decoded into one Go type (each target belongs to one MemberAPI method),
// so nothing needs the bytes again.
type Response struct {
	mu      sync.Mutex
	body    []byte // nil once decoded
	null    bool   // the body is JSON null
	decoded reflect.Value
	// buffers, when set, takes the body's buffer back once it is decoded:
	// nothing but the Response holds it (Client.ownedResponse).
	buffers *buffers
}

// NewResponse wraps a body (tests and alternative Getters build them).
func NewResponse(body []byte) *Response {
	return &Response{body: body, null: bytes.Equal(bytes.TrimSpace(body), []byte("null"))}
}

// ownedResponse wraps a body that only the Response holds, read into one
// of c's buffers: the buffer goes back to them once the body is decoded.
func (c *Client) ownedResponse(body []byte) *Response {
	r := NewResponse(body)
	r.buffers = c.buffers
	return r
}

// IsNull reports whether the body was JSON null (checkShape refuses it
// where an object or a list belongs).
func (r *Response) IsNull() bool { return r.null }

// DecodeInto sets *out (out must be a non-nil pointer) to the body decoded
// as out's element type. The copy is shallow: slices, maps and pointers
// inside are shared with every other caller and must not be modified.
// After the first decode the body is gone, so asking for another type is
// an error.
func (r *Response) DecodeInto(out any) error {
	ptr := reflect.ValueOf(out)
	if ptr.Kind() != reflect.Pointer || ptr.IsNil() {
		return &gojson.InvalidUnmarshalError{Type: reflect.TypeOf(out)}
	}
	t := ptr.Type().Elem()
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.decoded.IsValid() {
		v := reflect.New(t)
		if err := decode(r.body, v.Interface()); err != nil {
			return err
		}
		r.buffers.put(r.body) // goccy/go-json decoded from a copy of its own
		r.decoded, r.body = v, nil
	}
	if r.decoded.Type().Elem() != t {
		return fmt.Errorf("the answer was decoded as %s already, not %s", r.decoded.Type().Elem(), t)
	}
	ptr.Elem().Set(r.decoded.Elem())
	return nil
}
