package graph

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/circle-gateway/gateway/graph/generated"
)

// The coverage test keeps the table of docs/coverage.md honest (docs/contract.md
// §9): every operation of Circle's Member API document has exactly one row,
// every row names an operation of the document, and every GraphQL field a
// row names exists in the served schema. An operation not reached yet has a
// row "pending: issue N", and only the operations listed in allowedPending
// may have one.

// allowedPending lists, by operation, the operations that may still be
// marked pending in docs/coverage.md, with the issue that will reach them. An
// operation that gets a GraphQL field must leave this list in the same
// commit (the test fails on a stale entry), so the list only shrinks; at
// the end of issues 10 and 11 it is empty.
var allowedPending = map[string]string{}

// memberAPIPrefix is where the Member API's paths start in the document;
// the table's rows leave it out.
const memberAPIPrefix = "/api/headless/v1"

var (
	// operationCell is the first cell of a row: `METHOD /path`.
	operationCell = regexp.MustCompile("^`(GET|POST|PUT|PATCH|DELETE) (/[^`\\s]*)`$")
	// pendingCell is the second cell of a row not reached yet.
	pendingCell = regexp.MustCompile(`^pending: issue (\d+)$`)
	// fieldRef is one GraphQL field a row names: `Type.field`.
	fieldRef = regexp.MustCompile("^`([A-Z][A-Za-z0-9_]*)\\.([a-z_][A-Za-z0-9_]*)`$")
)

// coverageFile holds the coverage table, under coverageHeading.
const (
	coverageFile    = "docs/coverage.md"
	coverageHeading = "## Member API operations"
)

// coverageRow is one row of the coverage table.
type coverageRow struct {
	line    int
	op      string   // "GET /home"
	fields  []string // "Query.homeFeed", …; empty when pending
	pending string   // the issue number, when pending
}

// readCoverage returns the rows of the table under coverageHeading in the
// file at path (coverageFile, seen from the package).
func readCoverage(t *testing.T, path string) []coverageRow {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []coverageRow
	inSection, inTable := false, false
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "## ") {
			inSection = line == coverageHeading
			inTable = false
			continue
		}
		if !inSection || !strings.HasPrefix(line, "|") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if !inTable {
			// The header and its separator.
			if len(cells) != 2 || cells[0] != "Circle operation" || cells[1] != "GraphQL" {
				t.Fatalf("%s:%d: the coverage table's header must be | Circle operation | GraphQL |, got %q", coverageFile, n, line)
			}
			inTable = true
			continue
		}
		if strings.Trim(cells[0], "-: ") == "" {
			continue
		}
		if len(cells) != 2 {
			t.Errorf("%s:%d: a row has two cells, got %d: %q", coverageFile, n, len(cells), line)
			continue
		}
		m := operationCell.FindStringSubmatch(cells[0])
		if m == nil {
			t.Errorf("%s:%d: the operation cell must be `METHOD /path` (path under %s), got %q", coverageFile, n, memberAPIPrefix, cells[0])
			continue
		}
		row := coverageRow{line: n, op: m[1] + " " + m[2]}
		if p := pendingCell.FindStringSubmatch(cells[1]); p != nil {
			row.pending = p[1]
		} else {
			for ref := range strings.SplitSeq(cells[1], ",") {
				ref = strings.TrimSpace(ref)
				fm := fieldRef.FindStringSubmatch(ref)
				if fm == nil {
					t.Errorf("%s:%d: %s: %q is neither `Type.field` nor \"pending: issue N\"", coverageFile, n, row.op, ref)
					continue
				}
				row.fields = append(row.fields, fm[1]+"."+fm[2])
			}
			if len(row.fields) == 0 {
				t.Errorf("%s:%d: %s names no GraphQL field", coverageFile, n, row.op)
			}
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if !inTable {
		t.Fatalf("%s has no %q section with a | Circle operation | GraphQL | table", path, coverageHeading)
	}
	return rows
}

// memberOperations lists every operation of Circle's Member API document as
// "METHOD /path" with the prefix left out.
func memberOperations(t *testing.T, path string) []string {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromFile(path)
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	var ops []string
	for p, item := range doc.Paths.Map() {
		if !strings.HasPrefix(p, memberAPIPrefix+"/") {
			t.Fatalf("%s: path %s is not under %s", path, p, memberAPIPrefix)
		}
		for method := range item.Operations() {
			ops = append(ops, method+" "+strings.TrimPrefix(p, memberAPIPrefix))
		}
	}
	slices.Sort(ops)
	return ops
}

// memberAPIDocument locates Circle's Member API document beside the
// repository (../shared/circle-openapi/). Without it the test skips on a
// developer's machine and fails in CI.
func memberAPIDocument(t *testing.T) string {
	t.Helper()
	path := filepath.Join("..", "..", "shared", "circle-openapi", "headless-member-v1.yaml")
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("Circle's Member API document is missing in CI: %v", err)
		}
		t.Skipf("Circle's Member API document is not at %s: %v", path, err)
	}
	return path
}

func TestCoverageTable(t *testing.T) {
	t.Parallel()
	ops := memberOperations(t, memberAPIDocument(t))
	rows := readCoverage(t, filepath.Join("..", filepath.FromSlash(coverageFile)))
	schema := generated.NewExecutableSchema(generated.Config{Resolvers: &Resolver{}}).Schema()

	inDoc := map[string]bool{}
	for _, op := range ops {
		inDoc[op] = true
	}
	seen := map[string]int{}
	mapped := 0
	for _, r := range rows {
		if prev, ok := seen[r.op]; ok {
			t.Errorf("%s:%d: %s has a row already, at line %d", coverageFile, r.line, r.op, prev)
		}
		seen[r.op] = r.line
		if !inDoc[r.op] {
			t.Errorf("%s:%d: %s is not an operation of Circle's Member API document", coverageFile, r.line, r.op)
		}
		if r.pending != "" {
			switch want, ok := allowedPending[r.op]; {
			case !ok:
				t.Errorf("%s:%d: %s is marked pending but is not allowed to be (allowedPending)", coverageFile, r.line, r.op)
			case want != r.pending:
				t.Errorf("%s:%d: %s is pending on issue %s, allowedPending says issue %s", coverageFile, r.line, r.op, r.pending, want)
			}
			continue
		}
		mapped++
		if _, ok := allowedPending[r.op]; ok {
			t.Errorf("%s:%d: %s is mapped now: remove it from allowedPending in graph/coverage_test.go", coverageFile, r.line, r.op)
		}
		for _, ref := range r.fields {
			typeName, field, _ := strings.Cut(ref, ".")
			def := schema.Types[typeName]
			if def == nil {
				t.Errorf("%s:%d: %s: type %s is not in the served schema", coverageFile, r.line, r.op, typeName)
				continue
			}
			if def.Fields.ForName(field) == nil {
				t.Errorf("%s:%d: %s: %s has no field %s in the served schema", coverageFile, r.line, r.op, typeName, field)
			}
		}
	}
	for _, op := range ops {
		if _, ok := seen[op]; !ok {
			t.Errorf("%s has no row for %s", coverageFile, op)
		}
	}
	for op := range allowedPending {
		if !inDoc[op] {
			t.Errorf("allowedPending names %s, which is not an operation of the document", op)
		}
	}
	t.Logf("%d operations, %d mapped, %d pending", len(ops), mapped, len(ops)-mapped)
}
