package circle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/circle-gateway/gateway/memcap"
)

// Reading Circle's answers is bounded twice: each answer by the client's
// per-call cap (DefaultMaxBody), and a Member API GET's answer also by the
// read caps of the operation that made it (package memcap: what one
// operation may read in all, and what all operations in progress may hold
// together), charged as the bytes arrive, a Content-Length before anything
// is read. An answer that would cross a cap stops being read at once; it is
// never read whole and then refused. A write's answer is capped per call
// only: it is one object, and refusing it after the write was sent would
// leave the write's outcome unknown.

// BodyTooLargeError is an answer larger than the client's per-call cap.
// It is never retried: asking again would read another such answer.
type BodyTooLargeError struct {
	// Limit is the per-call cap, in bytes.
	Limit int64
	// Endpoint is the endpoint template, e.g. "GET /spaces".
	Endpoint string
}

func (e *BodyTooLargeError) Error() string {
	return fmt.Sprintf("circle: %s: the answer is larger than %s, the most one upstream call may read", e.Endpoint, memcap.Size(e.Limit))
}

// accountFor returns the memory account r's answer is charged to: its
// operation's for a Member API GET, none otherwise.
func accountFor(ctx context.Context, r request) *memcap.Account {
	if r.method != http.MethodGet || r.prefix != memberPrefix {
		return nil
	}
	return memcap.FromContext(ctx)
}

// unreadable reports whether err ends a call for good because its answer
// crossed a cap: reading it again would cross the same cap.
func unreadable(err error) bool {
	var tooLarge *BodyTooLargeError
	return errors.As(err, &tooLarge) || errors.Is(err, memcap.ErrOverCap)
}

// minReadBuffer is the first buffer for an answer without Content-Length.
const minReadBuffer = 32 << 10

// grow is the next buffer size for an answer of unknown length: double
// while small, then a quarter more, so that what is charged stays within a
// quarter of what is read.
func grow(size int64) int64 {
	if size < 1<<20 {
		return 2 * size
	}
	return size + size/4
}

// readBody reads the body of resp, charging acct as it goes: into a buffer
// for Content-Length (+1, to see the end) when Circle sends one, else into
// a buffer that grows (grow), each growth charged before it is made. The
// buffers come from c.buffers (the one returned may go back there once
// decoded: Response) and may be larger than asked; never more is read
// into one than was charged for it.
func (c *Client) readBody(acct *memcap.Account, endpoint string, resp *http.Response) ([]byte, error) {
	limit := c.maxBody
	tooLarge := &BodyTooLargeError{Limit: limit, Endpoint: endpoint}
	size := int64(minReadBuffer)
	if n := resp.ContentLength; n >= 0 {
		if n > limit {
			return nil, tooLarge
		}
		size = n + 1
	}
	size = min(size, limit+1)
	if err := acct.Read(size); err != nil {
		return nil, err
	}
	charged := int(size) // what buf may hold
	buf := c.buffers.get(charged)
	for {
		if len(buf) == charged {
			if int64(charged) > limit {
				return nil, tooLarge
			}
			grown := min(grow(int64(charged)), limit+1)
			if err := acct.Read(grown - int64(charged)); err != nil {
				return nil, err
			}
			next := c.buffers.get(int(grown))[:len(buf)]
			copy(next, buf)
			c.buffers.put(buf) // only this function has seen it
			buf, charged = next, int(grown)
		}
		n, err := resp.Body.Read(buf[len(buf):charged])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if int64(len(buf)) > limit {
		return nil, tooLarge
	}
	return buf, nil
}
