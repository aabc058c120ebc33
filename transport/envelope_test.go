package transport

import (
	"encoding/json"
	"testing"
)

// gqlgenMessage has the shape of gqlgen's graphql-transport-ws message
// (unexported in its package): appendEnvelope must write exactly what
// encoding/json writes for it, for every kind of message and id.
type gqlgenMessage struct {
	Payload json.RawMessage `json:"payload,omitempty"`
	ID      string          `json:"id,omitempty"`
	Type    messageKind     `json:"type"`
	noOp    bool
}

type messageKind string

func (k messageKind) MarshalText() ([]byte, error) { return []byte(k), nil }

func TestAppendEnvelope(t *testing.T) {
	payload := func(v any) json.RawMessage {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for name, m := range map[string]*gqlgenMessage{
		"next":                 {Payload: payload(map[string]any{"data": map[string]any{"chatMessageReceived": map[string]string{"id": "1", "body": "<b>Tom & Jerry</b> \u2028 \"quoted\""}}}), ID: "1", Type: "next"},
		"complete":             {ID: "sub-7", Type: "complete"},
		"error":                {Payload: payload([]map[string]string{{"message": "no such room"}}), ID: "x", Type: "error"},
		"connection_ack":       {Type: "connection_ack"},
		"ping with payload":    {Payload: json.RawMessage(`{}`), Type: "ping"},
		"id with escapes":      {ID: "a\"b\\c\n\r\t\x01<>&\u2029é😀", Type: "next", Payload: json.RawMessage(`{"data":null}`)},
		"id not UTF-8":         {ID: "bad\xffbyte", Type: "complete"},
		"unknown type escaped": {Type: "a<b"},
	} {
		t.Run(name, func(t *testing.T) {
			want, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := appendEnvelope(nil, m)
			if !ok || string(got) != string(want) {
				t.Fatalf("appendEnvelope: %v %s\nencoding/json:    %s", ok, got, want)
			}
		})
	}
	for name, v := range map[string]any{
		"not a pointer": gqlgenMessage{Type: "next"},
		"nil":           (*gqlgenMessage)(nil),
		"another shape": &struct{ Payload, ID, Type, Extra string }{},
		"a field renamed": &struct {
			Payload json.RawMessage `json:"data,omitempty"`
			ID      string          `json:"id,omitempty"`
			Type    string          `json:"type"`
		}{},
		"a map": &map[string]string{"type": "next"},
		"a missing field": &struct {
			ID   string `json:"id,omitempty"`
			Type string `json:"type"`
		}{},
	} {
		if _, ok := appendEnvelope(nil, v); ok {
			t.Errorf("%s: written as a graphql-transport-ws message", name)
		}
	}
}
