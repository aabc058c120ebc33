//go:build tools

// Package tools pins the code generators the build relies on, so that
// `go generate ./...` runs the gqlgen version recorded in go.mod.
package tools

import (
	_ "github.com/99designs/gqlgen"
)
