package sandbox

import (
	"encoding/json"
	"html"
	"slices"
	"strings"
)

// Content as Circle keeps it: a write's body (HTML or plain text) or TipTap
// document becomes the HTML, plain text and TipTap envelope the answers
// carry.

// render turns a draft into what the store keeps: HTML, plain text and the
// TipTap envelope. A TipTap document wins over the body when it holds text,
// as in Circle's editor; text is "" when the draft holds none.
func (d draft) render() (htmlBody, text string, tiptap json.RawMessage) {
	if paragraphs := tiptapText(d.tiptap); len(paragraphs) > 0 {
		var b strings.Builder
		for _, p := range paragraphs {
			b.WriteString("<p>" + html.EscapeString(p) + "</p>")
		}
		return b.String(), strings.Join(paragraphs, "\n"), slices.Clone(d.tiptap)
	}
	if strings.Contains(d.body, "<") {
		return d.body, htmlText(d.body), nil
	}
	text = strings.TrimSpace(d.body)
	if text == "" {
		return "", "", nil
	}
	return "<p>" + html.EscapeString(text) + "</p>", text, nil
}

// tiptapNode is a node of a TipTap document, as far as its text goes.
type tiptapNode struct {
	Type    string       `json:"type"`
	Text    string       `json:"text"`
	Content []tiptapNode `json:"content"`
}

func (n tiptapNode) text(b *strings.Builder) {
	b.WriteString(n.Text)
	for _, c := range n.Content {
		c.text(b)
	}
}

// tiptapText returns the non-blank top-level blocks of text of a
// tiptap_body envelope ({"body": {"type": "doc", "content": [...]}}); nil
// when it holds no document.
func tiptapText(raw json.RawMessage) []string {
	var envelope struct {
		Body *tiptapNode `json:"body"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &envelope) != nil || envelope.Body == nil || envelope.Body.Type != "doc" {
		return nil
	}
	var out []string
	for _, block := range envelope.Body.Content {
		var b strings.Builder
		block.text(&b)
		if t := strings.TrimSpace(b.String()); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// htmlText is the plain text of an HTML body: tags dropped, entities
// decoded, whitespace collapsed.
func htmlText(s string) string {
	var b strings.Builder
	inTag := false
	for _, r := range s {
		switch {
		case r == '<':
			inTag = true
			b.WriteByte(' ')
		case r == '>' && inTag:
			inTag = false
		case !inTag:
			b.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(html.UnescapeString(b.String())), " ")
}
