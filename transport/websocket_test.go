package transport

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	gqltransport "github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"
)

// A client that stops reading is disconnected once one write to it has
// waited writeTimeout, rather than holding its writer (and the events
// behind it) forever. The message is larger than loopback's socket buffers
// so that the write cannot complete while the client does not read.
func TestWebSocketWriteTimeout(t *testing.T) {
	wrote := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := wsAccept{writeTimeout: 50 * time.Millisecond}.Accept(w, r, gqltransport.WebsocketAcceptOptions{})
		if err != nil {
			wrote <- err
			return
		}
		wrote <- c.WriteJSON(map[string]string{"payload": strings.Repeat("x", 64<<20)})
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	client, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), &websocket.DialOptions{Subprotocols: []string{graphqlTransportWS}})
	if err != nil {
		t.Fatal(err)
	}
	defer client.CloseNow()
	select {
	case err := <-wrote:
		if err == nil {
			t.Fatal("a 64 MiB write to a client that does not read completed")
		}
	case <-ctx.Done():
		t.Fatal("the write to a client that does not read never ended")
	}
}
