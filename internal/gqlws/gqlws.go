// Package gqlws is a small graphql-transport-ws client (the protocol of the
// graphql-ws library) over coder/websocket, for the gateway's own tests and
// benchmarks: they drive /graphql the way a graphql-ws client does and look
// at every message and close code it sends. Applications use graphql-ws
// itself (see docs/subscriptions.md).
package gqlws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/coder/websocket"
)

// Subprotocol is graphql-transport-ws.
const Subprotocol = "graphql-transport-ws"

// Message is one protocol message.
type Message struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// Options configure Dial.
type Options struct {
	// Header is sent with the upgrade request (Origin, Authorization).
	Header http.Header
	// Init is the connection_init payload, e.g. {"Authorization": "Bearer …"};
	// nil sends none.
	Init map[string]any
	// HTTPClient dials (default http.DefaultClient).
	HTTPClient *http.Client
	// OnPing, when set, is called for each ping the server sends (Next
	// answers it).
	OnPing func()
}

// Client is one open connection. Next must be called from one goroutine;
// the other methods may be called from any.
type Client struct {
	ws     *websocket.Conn
	mu     sync.Mutex // serialises writes
	onPing func()
}

// Dial opens a connection to url (ws://…/graphql) and initialises it: it
// returns once the server acknowledged connection_init. A refusal at the
// upgrade comes with the HTTP response; a close instead of the ack is an
// error for which CloseStatus gives the code (4401 for a bad token).
func Dial(ctx context.Context, url string, o Options) (*Client, *http.Response, error) {
	ws, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{Subprotocol}, HTTPHeader: o.Header, HTTPClient: o.HTTPClient})
	if err != nil {
		return nil, resp, err
	}
	ws.SetReadLimit(16 << 20)
	c := &Client{ws: ws, onPing: o.OnPing}
	init := Message{Type: "connection_init"}
	if o.Init != nil {
		b, _ := json.Marshal(o.Init)
		init.Payload = b
	}
	if err := c.send(ctx, init); err != nil {
		_ = ws.CloseNow()
		return nil, resp, err
	}
	m, err := c.Next(ctx)
	if err != nil {
		_ = ws.CloseNow()
		return nil, resp, err
	}
	if m.Type != "connection_ack" {
		_ = ws.CloseNow()
		return nil, resp, fmt.Errorf("gqlws: got %q, want connection_ack", m.Type)
	}
	return c, resp, nil
}

func (c *Client) send(ctx context.Context, m Message) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ws.Write(ctx, websocket.MessageText, b)
}

// Subscribe starts operation id.
func (c *Client) Subscribe(ctx context.Context, id, query string, variables map[string]any) error {
	b, _ := json.Marshal(map[string]any{"query": query, "variables": variables})
	return c.send(ctx, Message{ID: id, Type: "subscribe", Payload: b})
}

// Complete stops operation id.
func (c *Client) Complete(ctx context.Context, id string) error {
	return c.send(ctx, Message{ID: id, Type: "complete"})
}

// Next returns the next message other than ping and pong (pings are
// answered). When the server closes the connection, the error carries the
// close code (CloseStatus).
func (c *Client) Next(ctx context.Context) (Message, error) {
	for {
		_, data, err := c.ws.Read(ctx)
		if err != nil {
			return Message{}, err
		}
		var m Message
		if err := json.Unmarshal(data, &m); err != nil {
			return Message{}, fmt.Errorf("gqlws: server sent %q: %w", data, err)
		}
		switch m.Type {
		case "ping":
			if c.onPing != nil {
				c.onPing()
			}
			if err := c.send(ctx, Message{Type: "pong"}); err != nil {
				return Message{}, err
			}
		case "pong":
		default:
			return m, nil
		}
	}
}

// Close closes the connection normally.
func (c *Client) Close() error { return c.ws.Close(websocket.StatusNormalClosure, "") }

// CloseNow drops the connection.
func (c *Client) CloseNow() error { return c.ws.CloseNow() }

// CloseStatus is the close code of an error from Dial or Next, or -1.
func CloseStatus(err error) int { return int(websocket.CloseStatus(err)) }

// CloseReason is the close reason of an error from Dial or Next.
func CloseReason(err error) string {
	var ce websocket.CloseError
	if errors.As(err, &ce) {
		return ce.Reason
	}
	return ""
}

// Response is the payload of a next message.
type Response struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

// Codes lists the error codes of a response.
func (r Response) Codes() []string {
	var out []string
	for _, e := range r.Errors {
		c, _ := e.Extensions["code"].(string)
		out = append(out, c)
	}
	return out
}

// Decode reads a next message's payload.
func (m Message) Decode() (Response, error) {
	var r Response
	err := json.Unmarshal(m.Payload, &r)
	return r, err
}
