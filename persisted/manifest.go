package persisted

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
)

// Manifest is an immutable set of operation documents keyed by the
// lower-case hex SHA-256 of each document's exact text. Safe for concurrent
// use.
type Manifest struct {
	docs map[string]string
}

// apolloFormat is the "format" of Apollo's persisted query manifests.
const apolloFormat = "apollo-persisted-query-manifest"

// Load reads a manifest file (see Parse for the formats).
func Load(path string) (*Manifest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("persisted operations: %w", err)
	}
	m, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("persisted operations %s: %w", path, err)
	}
	return m, nil
}

// Parse reads a manifest in either common format:
//
//   - a flat JSON object {"<sha256 hex>": "<document>", …}, as written by
//     graphql-codegen's client preset (persistedDocuments with
//     hashAlgorithm "sha256"); keys may carry a "sha256:" prefix, as in the
//     GraphQL over HTTP persisted-documents proposal;
//   - Apollo's {"format": "apollo-persisted-query-manifest", "version": 1,
//     "operations": [{"id", "body", "name", "type"}, …]}, ids being the
//     SHA-256 of the body (Apollo's default).
//
// Every hash must be the SHA-256 of its document: a manifest built with
// another hash (codegen's sha1 default, Relay's md5) is refused, because the
// gateway could not match the full-text operations of such an app.
// All problems are reported together.
func Parse(data []byte) (*Manifest, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	var entries map[string]string
	if f, ok := raw["format"]; ok {
		var format string
		_ = json.Unmarshal(f, &format)
		if format != apolloFormat {
			return nil, fmt.Errorf("unknown manifest format %q (want a flat {hash: document} object or %q)", format, apolloFormat)
		}
		var apollo struct {
			Version    int `json:"version"`
			Operations []struct {
				ID   string `json:"id"`
				Body string `json:"body"`
			} `json:"operations"`
		}
		if err := json.Unmarshal(data, &apollo); err != nil {
			return nil, fmt.Errorf("apollo manifest: %w", err)
		}
		if apollo.Version != 1 {
			return nil, fmt.Errorf("apollo manifest version %d is not supported (want 1)", apollo.Version)
		}
		entries = make(map[string]string, len(apollo.Operations))
		for i, op := range apollo.Operations {
			if _, dup := entries[op.ID]; dup {
				return nil, fmt.Errorf("apollo manifest: operation %d repeats id %q", i, op.ID)
			}
			entries[op.ID] = op.Body
		}
	} else if err := json.Unmarshal(data, &entries); err != nil {
		return nil, fmt.Errorf("a flat manifest maps hashes to document strings: %w", err)
	}

	m := &Manifest{docs: make(map[string]string, len(entries))}
	var errs []error
	for _, key := range sortedKeys(entries) {
		doc := entries[key]
		hash := strings.ToLower(strings.TrimPrefix(key, "sha256:"))
		switch {
		case strings.TrimSpace(doc) == "":
			errs = append(errs, fmt.Errorf("%q: empty document", key))
		case hash != Hash(doc):
			errs = append(errs, fmt.Errorf("%q is not the sha256 of its document (sha256 is %s); generate the manifest with sha256 hashes", key, Hash(doc)))
		default:
			m.docs[hash] = doc
		}
	}
	if len(errs) == 0 && len(m.docs) == 0 {
		errs = append(errs, errors.New("the manifest holds no operation"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return m, nil
}

// Hash is the manifest key of a document: its lower-case hex SHA-256, as
// Automatic Persisted Queries and codegen compute it.
func Hash(document string) string {
	sum := sha256.Sum256([]byte(document))
	return hex.EncodeToString(sum[:])
}

// Len is the number of operations in the manifest.
func (m *Manifest) Len() int { return len(m.docs) }

// Document returns the document whose hash is hash (hex, any case, an
// optional "sha256:" prefix).
func (m *Manifest) Document(hash string) (string, bool) {
	doc, ok := m.docs[strings.ToLower(strings.TrimPrefix(hash, "sha256:"))]
	return doc, ok
}

// Contains reports whether document is, byte for byte, one of the
// manifest's.
func (m *Manifest) Contains(document string) bool {
	_, ok := m.docs[Hash(document)]
	return ok
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
