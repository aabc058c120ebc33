package transport

import (
	"context"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// The two GraphQL-over-HTTP transports of /graphql. They do what gqlgen's
// transport.GET and transport.POST do, but every refusal they make is a
// typed *RequestError answered through the error presenter, where gqlgen's
// write messages that only their text tells apart: a body or query
// parameters that do not decode (BAD_REQUEST, 400), and an operation over
// GET that is not a query (HTTP_406, so that no state-changing request can
// be sent cross-site without a CORS preflight). The guard has refused
// other methods, content types, oversized and batched bodies before them.

// getTransport serves GET /graphql: queries only, persisted-query hashes
// included (docs/contract.md §2). gated is set when
// MAX_CONCURRENT_OPERATIONS is (run then gives each operation a ticket).
type getTransport struct{ gated bool }

// postTransport serves POST /graphql with a JSON body; gated as for GET.
type postTransport struct{ gated bool }

var (
	_ graphql.Transport = getTransport{}
	_ graphql.Transport = postTransport{}
)

// Supports takes GET requests that are not WebSocket upgrades.
func (getTransport) Supports(r *http.Request) bool {
	return r.Method == http.MethodGet && r.Header.Get("Upgrade") == ""
}

// Supports takes POST requests with a JSON body (the guard has refused
// the others).
func (postTransport) Supports(r *http.Request) bool {
	if r.Method != http.MethodPost || r.Header.Get("Upgrade") != "" {
		return false
	}
	mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mediaType == "application/json"
}

// Do runs one GET request.
func (t getTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		refuse(w, r, exec, &RequestError{Status: http.StatusBadRequest, Malformed: true, Message: err.Error()})
		return
	}
	raw := &graphql.RawParams{
		Query:         query.Get("query"),
		OperationName: query.Get("operationName"),
		Headers:       r.Header,
	}
	raw.ReadTime.Start = graphql.Now()
	for _, p := range []struct {
		name string
		into *map[string]any
	}{{"variables", &raw.Variables}, {"extensions", &raw.Extensions}} {
		if v := query.Get(p.name); v != "" {
			if err := decodeJSON(v, p.into); err != nil {
				refuse(w, r, exec, &RequestError{Status: http.StatusBadRequest, Malformed: true, Message: p.name + " could not be decoded"})
				return
			}
		}
	}
	raw.ReadTime.End = graphql.Now()
	run(w, r, exec, raw, true, t.gated)
}

// Do runs one POST request.
func (t postTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	start := graphql.Now()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		refuse(w, r, exec, &RequestError{Status: http.StatusBadRequest, Malformed: true, Message: "could not read the request body"})
		return
	}
	raw := &graphql.RawParams{}
	if err := decodeJSON(string(body), raw); err != nil {
		// Only the decoder's reason: the body may hold tokens.
		refuse(w, r, exec, &RequestError{Status: http.StatusBadRequest, Malformed: true,
			Message: `the request body must be a JSON object like {"query": "…", "variables": {…}}: ` + err.Error()})
		return
	}
	raw.Headers = r.Header
	raw.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	run(w, r, exec, raw, false, t.gated)
}

// errSubscriptionNeedsStream is the refusal of a subscription sent as a
// plain POST: it runs over a WebSocket or SSE (docs/subscriptions.md).
const errSubscriptionNeedsStream = "a subscription needs a stream: a WebSocket at /graphql (graphql-transport-ws) or SSE (POST /graphql with Accept: text/event-stream)"

// decodeJSON decodes one JSON value as gqlgen does (numbers kept as
// json.Number, so Int and Float variables keep their precision).
func decodeJSON(s string, into any) error {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	return dec.Decode(into)
}

// run prepares and runs one operation. A refused operation answers 422 when
// its errors are GraphQL's own (parse, validation, a persisted-only
// refusal: errcode.KindProtocol; 400 with the application/graphql-response+json
// media type), else 200.
func run(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor, raw *graphql.RawParams, queriesOnly, gated bool) {
	ctx := r.Context()
	contentType := responseContentType(r)
	w.Header().Set("Content-Type", contentType)
	oc, errs := exec.CreateOperationContext(ctx, raw)
	if errs != nil {
		status := http.StatusOK
		if errcode.GetErrorKind(errs) == errcode.KindProtocol {
			status = http.StatusUnprocessableEntity
			if contentType == graphQLResponseJSON {
				status = http.StatusBadRequest
			}
		}
		w.WriteHeader(status)
		writeJSON(w, exec.DispatchError(graphql.WithOperationContext(ctx, oc), errs))
		return
	}
	op := oc.Doc.Operations.ForName(oc.OperationName)
	if queriesOnly && (op == nil || op.Operation != ast.Query) {
		refuseIn(graphql.WithOperationContext(ctx, oc), w, r, exec, &RequestError{Status: http.StatusNotAcceptable, Message: "GET requests only allow query operations"})
		return
	}
	if op != nil && op.Operation == ast.Subscription {
		// One JSON answer cannot carry a stream: run here, the request
		// would hang until the first event. Refused before anything runs.
		refuseIn(graphql.WithOperationContext(ctx, oc), w, r, exec, &RequestError{Status: http.StatusNotAcceptable, Message: errSubscriptionNeedsStream})
		return
	}
	var t *ticket // MAX_CONCURRENT_OPERATIONS' (admission.go)
	if gated {
		t = &ticket{}
		ctx = context.WithValue(ctx, ticketKey{}, t)
	}
	responses, ctx := exec.DispatchOperation(ctx, oc)
	resp := responses(ctx)
	if t != nil && t.refused != nil {
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
	}
	writeJSON(w, resp)
	t.done()
}

// refuse answers a request refused before its operation is prepared, with
// the error as the presenter shows it.
func refuse(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor, err *RequestError) {
	refuseIn(r.Context(), w, r, exec, err)
}

// refuseIn is refuse within ctx (one holding the refused operation, so
// that its log line names it).
func refuseIn(ctx context.Context, w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor, err *RequestError) {
	w.Header().Set("Content-Type", responseContentType(r))
	w.WriteHeader(err.Status)
	writeJSON(w, exec.DispatchError(ctx, gqlerror.List{gqlerror.Wrap(err)}))
}

const graphQLResponseJSON = "application/graphql-response+json"

// responseContentType picks the response media type from Accept as
// gqlgen's HTTP transports do: application/json unless the client asks
// for application/graphql-response+json (or for nothing it knows).
func responseContentType(r *http.Request) string {
	accept := r.Header.Get("Accept")
	if accept == "" {
		return "application/json"
	}
	for part := range strings.SplitSeq(accept, ",") {
		mediaType, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mediaType {
		case "*/*", "application/*", "application/json":
			return "application/json"
		case graphQLResponseJSON:
			return graphQLResponseJSON
		}
	}
	return graphQLResponseJSON
}
