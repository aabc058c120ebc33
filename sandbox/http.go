package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// What every handler shares: Circle's error body, JSON answers, routing by
// method, and the query parameters common to list endpoints.

// Circle's error messages, word for word from the OpenAPI documents.
const (
	msgMissingRecord   = "Oops! Missing record. Please try again later."
	msgMissingParam    = "Oops! Missing parameter. Please try again later."
	msgTokenInvalid    = "The access token is invalid."
	msgTokenExpired    = "The access token is expired."
	msgTokenRevoked    = "The access token not found."
	msgNoCommunity     = "Community associated with the access token not found."
	msgNoTokenMember   = "Community member associated with the access token not found."
	msgAppUnauthorized = "Your account could not be authenticated."
	msgMemberNotFound  = "Community member not found. Please provide a valid SSO User ID, community member ID, or email."
	msgRefreshNotFound = "Refresh token not found."
	msgRefreshExpired  = "The refresh token is expired. Please generate/get new auth token."
)

// apiError is an answer in Circle's error shape:
// {"success": false, "message": …, "error_details": {…}}.
type apiError struct {
	status  int
	message string
	details map[string]string // error_details; written as {} when empty
	// fields are Rails-style validation errors, written into error_details
	// beside details as Circle does: {"body": ["can't be blank"]}.
	fields map[string][]string
}

func (e *apiError) Error() string { return strconv.Itoa(e.status) + " " + e.message }

// notFound is Circle's 404 for a record that does not exist or that the
// member may not see (Circle does not tell the two apart).
func notFound(what string) *apiError {
	return &apiError{status: http.StatusNotFound, message: msgMissingRecord, details: map[string]string{"message": "Missing record: " + what}}
}

// missingParam is Circle's answer to an Auth API call without a required field.
func missingParam(name string) *apiError {
	return &apiError{status: http.StatusNotFound, message: msgMissingParam, details: map[string]string{"message": "Missing parameter: " + name}}
}

type errorBody struct {
	Success      bool           `json:"success"`
	Message      string         `json:"message"`
	ErrorDetails map[string]any `json:"error_details"`
}

// writeJSON answers with v as JSON. The body is encoded before anything is
// written, so an encoding failure still becomes a clean 500.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		slog.Error("sandbox: encode response", "err", err)
		status = http.StatusInternalServerError
		body, _ = json.Marshal(errorBody{Message: "Internal server error.", ErrorDetails: map[string]any{}})
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)+1))
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

// writeError answers with err in Circle's error shape; errors that are not
// *apiError are the sandbox's own bugs and become a 500.
func writeError(w http.ResponseWriter, err error) {
	var e *apiError
	if !errors.As(err, &e) {
		slog.Error("sandbox: internal error", "err", err)
		e = &apiError{status: http.StatusInternalServerError, message: "Internal server error."}
	}
	details := make(map[string]any, len(e.details)+len(e.fields))
	for k, v := range e.details {
		details[k] = v
	}
	for k, v := range e.fields {
		details[k] = v
	}
	writeJSON(w, e.status, errorBody{Message: e.message, ErrorDetails: details})
}

// methods serves one path, choosing the handler by HTTP method (HEAD is
// served by GET). Any other method gets a JSON 405 naming the allowed ones,
// so adding a write endpoint to an existing path is one more map entry.
type methods map[string]http.HandlerFunc

func (m methods) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h, ok := m[r.Method]
	if !ok && r.Method == http.MethodHead {
		h, ok = m[http.MethodGet]
	}
	if !ok {
		allowed := make([]string, 0, len(m)+1)
		for method := range m {
			allowed = append(allowed, method)
		}
		if m[http.MethodGet] != nil {
			allowed = append(allowed, http.MethodHead)
		}
		slices.Sort(allowed)
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		writeError(w, &apiError{
			status:  http.StatusMethodNotAllowed,
			message: "Method not allowed.",
			details: map[string]string{"message": r.Method + " is not allowed here; allowed: " + strings.Join(allowed, ", ")},
		})
		return
	}
	h(w, r)
}

// noRoute answers every path that is not an endpoint of either API.
func noRoute(w http.ResponseWriter, r *http.Request) {
	writeError(w, &apiError{
		status:  http.StatusNotFound,
		message: "Not found.",
		details: map[string]string{"message": "No route matches " + r.Method + " " + r.URL.Path},
	})
}

// bearer returns the token of an "Authorization: Bearer …" header, or "".
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	const prefix = "bearer "
	if len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return ""
	}
	return strings.TrimSpace(h[len(prefix):])
}

// Bounds on the JSON bodies the sandbox reads: small token requests for the
// Auth API; posts and comments, whose TipTap documents can be long, for the
// Member API's writes.
const (
	maxBodyBytes      = 64 << 10
	maxWriteBodyBytes = 1 << 20
)

// decodeBody reads a JSON object body of at most maxBodyBytes into v; an
// empty body leaves v as is, so that a missing field is reported as Circle
// reports it.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	return decodeBodyLimit(w, r, v, maxBodyBytes)
}

// decodeBodyLimit is decodeBody with a given bound on the body's size.
func decodeBodyLimit(w http.ResponseWriter, r *http.Request, v any, limit int64) error {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		return &apiError{status: http.StatusRequestEntityTooLarge, message: "Request body too large."}
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return &apiError{status: http.StatusBadRequest, message: "The request body is not valid JSON.", details: map[string]string{"message": err.Error()}}
	}
	return nil
}

// Default page sizes, as Circle's examples show them: 60 for comment and
// reply lists, 10 for every other list.
const (
	defaultPerPage         = 10
	defaultCommentsPerPage = 60
	maxPerPage             = 100
)

// pageFrom reads page (default 1; below 1 counts as 1) and per_page
// (default def; clamped to 1..100). Values that are not integers count as
// absent.
func pageFrom(q url.Values, def int) pageParams {
	pp := pageParams{page: 1, perPage: def}
	if v, err := strconv.Atoi(q.Get("page")); err == nil {
		pp.page = max(v, 1)
	}
	if v, err := strconv.Atoi(q.Get("per_page")); err == nil {
		pp.perPage = min(max(v, 1), maxPerPage)
	}
	return pp
}

// sortFrom returns the sort parameter when allowed has it, else "" (the
// endpoint's default), as Circle ignores sorts it does not know.
func sortFrom(q url.Values, allowed map[string]bool) string {
	if s := q.Get("sort"); allowed[s] {
		return s
	}
	return ""
}

// boolFrom reads a boolean parameter; nil when absent or not a boolean.
func boolFrom(q url.Values, name string) *bool {
	v, err := strconv.ParseBool(q.Get(name))
	if err != nil {
		return nil
	}
	return &v
}

// postIDsFrom reads post_ids in both forms Circle accepts: a comma-separated
// string (post_ids=1,2,3) or an array (post_ids[]=1&post_ids[]=2, or the
// key repeated). Nil means no filter; entries that are not ids match nothing.
func postIDsFrom(q url.Values) []int64 { return idsFrom(q, "post_ids") }

// idsFrom reads a list of ids sent as name or name[], repeated or
// comma-separated. Nil means the parameter was not sent.
func idsFrom(q url.Values, name string) []int64 {
	raw := append(slices.Clone(q[name]), q[name+"[]"]...)
	if strings.TrimSpace(strings.Join(raw, "")) == "" {
		return nil
	}
	ids := []int64{}
	for _, v := range raw {
		for part := range strings.SplitSeq(v, ",") {
			if id, ok := parseID(strings.TrimSpace(part)); ok {
				ids = append(ids, id)
			}
		}
	}
	return ids
}
