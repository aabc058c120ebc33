package transport

import (
	"reflect"
	"sync"
	"unicode/utf8"
)

// Every message gqlgen's graphql-transport-ws transport writes is one
// struct of three fields: {"payload":…,"id":…,"type":…}, the payload
// already JSON (gqlgen marshalled it with encoding/json). A general encoder
// spent, per event per subscriber, a sixth of the fan-out's CPU walking
// that struct and re-validating the payload, and a deep stack to do it in
// each subscription's goroutine. appendEnvelope writes it directly. The
// struct is gqlgen's and unexported, so its shape is checked once by
// reflection (field names, kinds and json tags); any other shape, should a
// gqlgen release change it, goes to the general encoder.

// envelopeShape is where the three fields are in a message struct type.
type envelopeShape struct {
	ok                bool
	payload, id, kind int
}

// envelopeShapes caches envelopeShape by type: there is one type in
// practice, gqlgen's.
var envelopeShapes sync.Map // reflect.Type → envelopeShape

// shapeOf reads the shape of t, a struct type, once.
func shapeOf(t reflect.Type) envelopeShape {
	if s, ok := envelopeShapes.Load(t); ok {
		return s.(envelopeShape)
	}
	s := envelopeShape{payload: -1, id: -1, kind: -1}
	exported := 0
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			if f.Tag.Get("json") != "" {
				exported = -1 << 10 // an unexported field with a tag: not the shape we know
			}
			continue
		}
		exported++
		switch {
		case f.Name == "Payload" && f.Tag.Get("json") == "payload,omitempty" && f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Uint8:
			s.payload = i
		case f.Name == "ID" && f.Tag.Get("json") == "id,omitempty" && f.Type.Kind() == reflect.String:
			s.id = i
		case f.Name == "Type" && f.Tag.Get("json") == "type" && f.Type.Kind() == reflect.String:
			s.kind = i
		}
	}
	s.ok = exported == 3 && s.payload >= 0 && s.id >= 0 && s.kind >= 0
	envelopeShapes.Store(t, s)
	return s
}

// appendEnvelope appends the JSON of v, a pointer to a message struct of
// the known shape, to dst; false if v is not one.
func appendEnvelope(dst []byte, v any) ([]byte, bool) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return dst, false
	}
	rv = rv.Elem()
	s := shapeOf(rv.Type())
	if !s.ok {
		return dst, false
	}
	dst = append(dst, '{')
	if payload := rv.Field(s.payload).Bytes(); len(payload) > 0 {
		dst = append(dst, `"payload":`...)
		dst = append(dst, payload...)
		dst = append(dst, ',')
	}
	if id := rv.Field(s.id).String(); id != "" {
		dst = append(dst, `"id":`...)
		dst = appendJSONString(dst, id)
		dst = append(dst, ',')
	}
	dst = append(dst, `"type":`...)
	dst = appendJSONString(dst, rv.Field(s.kind).String())
	return append(dst, '}'), true
}

// appendJSONString appends s as a JSON string the way encoding/json
// writes it: <, > and & escaped for HTML, invalid UTF-8 as U+FFFD, U+2028
// and U+2029 escaped.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			switch {
			case b == '"' || b == '\\':
				dst = append(dst, '\\', b)
			case b == '\n':
				dst = append(dst, '\\', 'n')
			case b == '\r':
				dst = append(dst, '\\', 'r')
			case b == '\t':
				dst = append(dst, '\\', 't')
			case b < 0x20 || b == '<' || b == '>' || b == '&':
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xf])
			default:
				dst = append(dst, b)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}
