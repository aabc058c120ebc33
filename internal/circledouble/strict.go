package circledouble

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// What both doubles (Circle and Curated) do with a call before one of
// their endpoints answers it: the strictness the package comment promises,
// written once.

// request is one Member API call being served.
type request struct {
	w             http.ResponseWriter
	r             *http.Request
	what          string // method and target, for violations
	viewer        int64  // the member of the bearer token
	ids           []int64
	refs          []string // the path's placeholders as sent (ids, or slugs where {ref} takes one)
	q             url.Values
	body          []byte
	page, perPage int
	violate       func(format string, args ...any)
}

func newRequest(w http.ResponseWriter, r *http.Request, violate func(string, ...any)) *request {
	c := &request{w: w, r: r, what: r.Method + " " + r.URL.RequestURI(), violate: violate}
	c.body, _ = io.ReadAll(io.LimitReader(r.Body, 1<<20))
	return c
}

// params checks the query parameters an endpoint takes besides page and
// per_page, by name.
type params map[string]func(string) bool

// endpoint is one Member API endpoint of a double whose calls are C:
// pattern is its path under /api/headless/v1/ with "{}" for each id and
// "{ref}" for an id or a slug (Circle's "ID or slug" parameters), list says
// it pages (page and per_page).
type endpoint[C any] struct {
	method, pattern string
	list            bool
	params          params
	serve           func(C)
}

// requiredProbe is the value checkQuery asks a parameter's check about to
// learn whether the endpoint requires it (see required).
const requiredProbe = "\x00required"

// required marks a parameter the endpoint cannot do without.
func required(check func(string) bool) func(string) bool {
	return func(s string) bool { return s == requiredProbe || check(s) }
}

// atoi reads a canonical positive decimal (no sign, no leading zero).
func atoi(s string) (int64, bool) {
	if s == "" || len(s) > 19 || s[0] == '0' {
		return 0, false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

func enum(vs ...string) func(string) bool {
	return func(s string) bool { return slices.Contains(vs, s) }
}
func isID(s string) bool     { _, ok := atoi(s); return ok }
func isBool(s string) bool   { return s == "true" || s == "false" }
func nonEmpty(s string) bool { return s != "" && s != requiredProbe }
func nonBlank(s string) bool { return s != requiredProbe && strings.TrimSpace(s) != "" }
func isDate(s string) bool   { _, err := time.Parse("2006-01-02", s); return err == nil }
func isIDList(s string) bool {
	for _, part := range strings.Split(s, ",") {
		if !isID(part) {
			return false
		}
	}
	return true
}

func (c *request) json(status int, v any) {
	c.w.Header().Set("Content-Type", "application/json; charset=utf-8")
	c.w.WriteHeader(status)
	_ = json.NewEncoder(c.w).Encode(v)
}

// fail answers Circle's error body with message and no error_details.
func (c *request) fail(status int, message string) { c.failWith(status, message, map[string]any{}) }

// failWith answers Circle's error body with message and details as its
// error_details.
func (c *request) failWith(status int, message string, details any) {
	c.json(status, map[string]any{"success": false, "message": message, "error_details": details})
}

// notFound answers Circle's 404 for a record that is not there.
func (c *request) notFound(what string) {
	c.json(http.StatusNotFound, map[string]any{"success": false, "message": "Oops! Missing record. Please try again later.", "error_details": map[string]any{"message": "Missing record: " + what}})
}

// serve checks the call and runs the endpoint of routes it is for, with
// call (the double's own view of c): a Member API path, a bearer token of
// a member known (read without verification, as Circle's would be
// verified; no token, a malformed or an expired one is the gateway's
// fault: it must refuse those before calling, docs/contract.md §3), a
// query that parses and that the endpoint takes, canonical ids in the
// path, no body on a GET.
func serve[C any](c *request, call C, routes []endpoint[C], known func(member int64) bool) {
	rest, ok := strings.CutPrefix(c.r.URL.Path, "/api/headless/v1/")
	if !ok {
		c.violate("%s: not a Member API path", c.what)
		c.notFound("endpoint")
		return
	}
	if !c.authenticate(known) {
		return
	}
	q, err := url.ParseQuery(c.r.URL.RawQuery)
	if err != nil {
		c.violate("%s: query does not parse: %v", c.what, err)
		c.fail(http.StatusBadRequest, "Bad request")
		return
	}
	c.q = q
	seg := strings.Split(rest, "/")
	for _, rt := range routes {
		ids, refs, matched, valid := matchPath(seg, rt.pattern)
		if !matched || rt.method != c.r.Method {
			continue
		}
		if !valid {
			c.violate("%s: an id in the path is not a canonical positive integer", c.what)
			c.notFound("record")
			return
		}
		c.ids, c.refs = ids, refs
		if !c.checkQuery(rt.list, rt.params) {
			c.fail(http.StatusBadRequest, "Invalid parameters")
			return
		}
		if c.r.Method == http.MethodGet && len(bytes.TrimSpace(c.body)) > 0 {
			c.violate("%s: a GET with a body", c.what)
		}
		rt.serve(call)
		return
	}
	c.violate("%s: no such Member API endpoint", c.what)
	c.notFound("endpoint")
}

// matchPath matches path segments against a pattern whose "{}" take a
// canonical id and "{ref}" an id or a slug; digits alone are an id, so
// they must be a canonical one. ids holds each placeholder's id (0 for a
// slug), refs each placeholder as sent.
func matchPath(seg []string, pattern string) (ids []int64, refs []string, matched, valid bool) {
	ps := strings.Split(pattern, "/")
	if len(ps) != len(seg) {
		return nil, nil, false, false
	}
	for i, p := range ps {
		if p != "{}" && p != "{ref}" && p != seg[i] {
			return nil, nil, false, false
		}
	}
	valid = true
	for i, p := range ps {
		if p == "{}" || p == "{ref}" {
			id, ok := atoi(seg[i])
			valid = valid && (ok || p == "{ref}" && isSlug(seg[i]) && strings.Trim(seg[i], "0123456789") != "")
			ids, refs = append(ids, id), append(refs, seg[i])
		}
	}
	return ids, refs, true, valid
}

// isSlug reports whether s has the form of Circle's slugs.
func isSlug(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// authenticate reads the member from the bearer token's claims.
func (c *request) authenticate(known func(member int64) bool) bool {
	tok, ok := strings.CutPrefix(c.r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		c.violate("%s: reached Circle without a member bearer token", c.what)
		c.fail(http.StatusUnauthorized, "The access token is invalid.")
		return false
	}
	parts := strings.Split(tok, ".")
	var claims struct {
		Member json.Number `json:"community_member_id"`
		Exp    json.Number `json:"exp"`
	}
	raw, err := base64.RawURLEncoding.DecodeString(func() string {
		if len(parts) == 3 {
			return parts[1]
		}
		return "!"
	}())
	if err == nil {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		err = dec.Decode(&claims)
	}
	if err != nil {
		c.violate("%s: a malformed bearer token reached Circle", c.what)
		c.fail(http.StatusUnauthorized, "The access token is invalid.")
		return false
	}
	if exp, err := claims.Exp.Int64(); err != nil || exp <= time.Now().Unix() {
		c.violate("%s: an expired (or exp-less) token reached Circle", c.what)
		c.fail(http.StatusUnauthorized, "The access token is expired.")
		return false
	}
	id, err := claims.Member.Int64()
	if err != nil || !known(id) {
		c.fail(http.StatusUnauthorized, "Community member associated with the access token not found.")
		return false
	}
	c.viewer = id
	return true
}

// checkQuery enforces the endpoint's query parameters: each sent once
// (Rails arrays, "key[]", repeat their key), known, valid, the required
// ones present; and on a list, page >= 1 if sent and per_page 1..100
// always (Circle's default page size is undocumented).
func (c *request) checkQuery(list bool, ps params) bool {
	ok := true
	for k, vs := range c.q {
		if len(vs) != 1 && !strings.HasSuffix(k, "[]") {
			c.violate("%s: parameter %q sent %d times", c.what, k, len(vs))
			ok = false
			continue
		}
		if list && (k == "page" || k == "per_page") {
			continue
		}
		check, known := ps[k]
		if !known {
			c.violate("%s: unknown query parameter %q", c.what, k)
			ok = false
			continue
		}
		for _, v := range vs {
			if !check(v) {
				c.violate("%s: invalid value %q for %q", c.what, v, k)
				ok = false
			}
		}
	}
	for k, check := range ps {
		if _, sent := c.q[k]; !sent && check(requiredProbe) {
			c.violate("%s: required parameter %q missing", c.what, k)
			ok = false
		}
	}
	if !list {
		return ok
	}
	c.page = 1
	if vs, present := c.q["page"]; present {
		n, good := atoi(vs[0])
		if !good {
			c.violate("%s: page must be an integer >= 1, got %q", c.what, vs[0])
			return false
		}
		c.page = int(n)
	}
	vs, present := c.q["per_page"]
	if !present {
		c.violate("%s: per_page missing (Circle's default page size is undocumented)", c.what)
		return false
	}
	n, good := atoi(vs[0])
	if !good || n > 100 {
		c.violate("%s: per_page must be 1..100, got %q", c.what, vs[0])
		return false
	}
	c.perPage = int(n)
	return ok
}
