package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/circle-gateway/gateway/internal/refqueries"
)

// BENCHMARKS.md shows exactly what this command prints: the table fails
// here the moment a query, its budget or its measured cost changes without
// `go run ./cmd/refqueries -w BENCHMARKS.md`.
func TestBenchmarksShowTheCommandsTable(t *testing.T) {
	t.Parallel()
	runs, err := measure(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != len(refqueries.All) {
		t.Fatalf("%d runs of %d reference queries", len(runs), len(refqueries.All))
	}
	doc, err := os.ReadFile(filepath.Join("..", "..", "BENCHMARKS.md"))
	if err != nil {
		t.Fatal(err)
	}
	if err := refqueries.Check(string(doc), runs); err != nil {
		t.Error(err)
	}
}
