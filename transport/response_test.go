package transport

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// TestAppendResponseIsMarshal holds writeJSON's encoding to the bytes
// encoding/json.Marshal writes for the same response.
func TestAppendResponseIsMarshal(t *testing.T) {
	t.Parallel()
	yes := true
	for name, resp := range map[string]*graphql.Response{
		"data":              {Data: json.RawMessage(`{"homeFeed":{"nodes":[{"title":"Hi","author":{"name":"Ann"}}]}}`)},
		"no data":           {},
		"null data":         {Data: json.RawMessage(`null`)},
		"html in strings":   {Data: json.RawMessage(`{"bodyHtml":"<p>Tom & Jerry</p> a\u003cb","s":"\"<\\\\>\""}`)},
		"separators":        {Data: json.RawMessage("{\"t\":\"a\u2028b\u2029c\u2027d\"}")},
		"raw json scalar":   {Data: json.RawMessage("{\"tiptapBody\":{ \"type\" : \"doc\",\n\t\"content\": [ 1, 2 ] , \"s\":\" keep  spaces \"}}")},
		"escapes kept":      {Data: json.RawMessage(`{"s":"line\nbreak \\\" quote \u00e9 é 😀"}`)},
		"errors":            {Errors: gqlerror.List{{Message: "Tom <&> Jerry", Path: ast.Path{ast.PathName("post")}, Extensions: map[string]any{"code": "NOT_FOUND"}}}, Data: json.RawMessage(`{"post":null}`)},
		"errors, no data":   {Errors: gqlerror.List{{Message: "bad"}}},
		"stream":            {Data: json.RawMessage(`{"a":1}`), Label: "x<y", Path: ast.Path{ast.PathName("a"), ast.PathIndex(2)}, HasNext: &yes},
		"extensions":        {Data: json.RawMessage(`{}`), Extensions: map[string]any{"cost": 12, "b": "<"}},
		"not hasNext":       {Data: json.RawMessage(`[]`), HasNext: new(bool)},
		"numbers and bools": {Data: json.RawMessage(`{"n":-1.5e3,"t":true,"f":false,"z":null}`)},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			want, err := json.Marshal(resp)
			if err != nil {
				t.Fatal(err)
			}
			got, err := appendResponse(nil, resp)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("appendResponse:\n%s\njson.Marshal:\n%s", got, want)
			}
		})
	}
}

// FuzzAppendCompactHTML holds the data copy to encoding/json's for any
// valid JSON value.
func FuzzAppendCompactHTML(f *testing.F) {
	for _, s := range []string{`{"a":"<b>"}`, "[1, 2 ,\"\u2028\"]", `"\\\"&"`, `{"x":{"y":[true,null]}}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !json.Valid([]byte(s)) {
			return
		}
		want, err := json.Marshal(json.RawMessage(s))
		if err != nil {
			t.Fatal(err)
		}
		if got := appendCompactHTML(nil, []byte(s)); !bytes.Equal(got, want) {
			t.Fatalf("%q: got %q, want %q", s, got, want)
		}
	})
}

// BenchmarkResponseEncoding compares appendResponse with json.Marshal on
// a feed answer's data (20 posts):
//
//	go test ./transport -run '^$' -bench ResponseEncoding -benchmem
func BenchmarkResponseEncoding(b *testing.B) {
	var data bytes.Buffer
	data.WriteString(`{"homeFeed":{"nodes":[`)
	for i := range 20 {
		if i > 0 {
			data.WriteByte(',')
		}
		data.WriteString(`{"title":"Welcome to the community, say hello & introduce yourself","author":{"name":"Ann Example","avatarUrl":"https://example.com/avatars/ann.png"},"space":{"name":"General"}}`)
	}
	data.WriteString(`]}}`)
	resp := &graphql.Response{Data: data.Bytes()}
	b.Run("appendResponse", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 16<<10)
		for b.Loop() {
			buf, _ = appendResponse(buf[:0], resp)
		}
	})
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = json.Marshal(resp)
		}
	})
}
