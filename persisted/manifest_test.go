package persisted

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	docMe     = "query Me { me { name } }"
	docSpaces = "query Spaces { spaces { id name } }"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		json    string
		want    map[string]string // hash → document expected in the manifest
		wantErr string            // substring of the error; "" for none
	}{
		{
			name: "flat codegen manifest",
			json: `{"` + Hash(docMe) + `":` + quote(docMe) + `,"` + Hash(docSpaces) + `":` + quote(docSpaces) + `}`,
			want: map[string]string{Hash(docMe): docMe, Hash(docSpaces): docSpaces},
		},
		{
			name: "sha256: prefixed and upper-case keys",
			json: `{"sha256:` + strings.ToUpper(Hash(docMe)) + `":` + quote(docMe) + `}`,
			want: map[string]string{Hash(docMe): docMe},
		},
		{
			name: "apollo manifest",
			json: `{"format":"apollo-persisted-query-manifest","version":1,"operations":[` +
				`{"id":"` + Hash(docMe) + `","body":` + quote(docMe) + `,"name":"Me","type":"query"}]}`,
			want: map[string]string{Hash(docMe): docMe},
		},
		{
			name:    "sha1 keys (codegen's default) are refused",
			json:    `{"0123456789abcdef0123456789abcdef01234567":` + quote(docMe) + `}`,
			wantErr: "is not the sha256 of its document",
		},
		{
			name:    "a key that hashes another document",
			json:    `{"` + Hash(docSpaces) + `":` + quote(docMe) + `}`,
			wantErr: "is not the sha256 of its document",
		},
		{
			name:    "every bad entry is reported",
			json:    `{"a":` + quote(docMe) + `,"b":` + quote(docSpaces) + `}`,
			wantErr: `"b" is not the sha256`,
		},
		{
			name:    "empty document",
			json:    `{"` + Hash("") + `":""}`,
			wantErr: "empty document",
		},
		{name: "empty manifest", json: `{}`, wantErr: "holds no operation"},
		{name: "not JSON", json: `query Me { me { name } }`, wantErr: "not a JSON object"},
		{name: "a list", json: `["` + docMe + `"]`, wantErr: "not a JSON object"},
		{name: "values not strings", json: `{"` + Hash(docMe) + `":{"body":1}}`, wantErr: "hashes to document strings"},
		{name: "unknown format", json: `{"format":"relay","operations":[]}`, wantErr: "unknown manifest format"},
		{name: "apollo version 2", json: `{"format":"apollo-persisted-query-manifest","version":2,"operations":[]}`, wantErr: "version 2"},
		{
			name: "apollo duplicate ids",
			json: `{"format":"apollo-persisted-query-manifest","version":1,"operations":[` +
				`{"id":"` + Hash(docMe) + `","body":` + quote(docMe) + `},{"id":"` + Hash(docMe) + `","body":` + quote(docMe) + `}]}`,
			wantErr: "repeats id",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := Parse([]byte(tt.json))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if m.Len() != len(tt.want) {
				t.Fatalf("Len = %d, want %d", m.Len(), len(tt.want))
			}
			for hash, doc := range tt.want {
				for _, key := range []string{hash, strings.ToUpper(hash), "sha256:" + hash} {
					if got, ok := m.Document(key); !ok || got != doc {
						t.Errorf("Document(%s) = %q, %v; want %q", key, got, ok, doc)
					}
				}
				if !m.Contains(doc) {
					t.Errorf("Contains(%q) = false", doc)
				}
				if m.Contains(doc + " ") {
					t.Errorf("Contains matched a document that differs by a space")
				}
			}
		})
	}
}

func TestHashMatchesAPQ(t *testing.T) {
	t.Parallel()
	// The APQ protocol's reference value: sha256("{__typename}").
	if got, want := Hash("{__typename}"), "ecf4edb46db40b5132295c0291d62fb65d6759a9eedfa4d5d612dd5ec54a6b38"; got != want {
		t.Fatalf("Hash = %s, want %s", got, want)
	}
}

func TestLoad(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "persisted-documents.json")
	if err := os.WriteFile(good, []byte(`{"`+Hash(docMe)+`":`+quote(docMe)+`}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if m, err := Load(good); err != nil || m.Len() != 1 {
		t.Fatalf("Load = %v, %v", m, err)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(bad); err == nil || !strings.Contains(err.Error(), bad) {
		t.Fatalf("Load(bad) error = %v, want one naming the file", err)
	}
	if _, err := Load(filepath.Join(dir, "missing.json")); err == nil {
		t.Fatal("Load(missing) succeeded")
	}
}

func quote(s string) string {
	return `"` + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `"`, `\"`) + `"`
}
