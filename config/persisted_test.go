package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// PERSISTED_OPERATIONS_FILE and PERSISTED_OPERATIONS_ONLY: off by default;
// refusing operations without a manifest to allow is a configuration error.
func TestPersistedOperationsSettings(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ops := filepath.Join(dir, "ops.json")
	if err := os.WriteFile(ops, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.json")
	tests := []struct {
		name     string
		env      map[string]string
		wantFile string
		wantOnly bool
		wantErr  string
	}{
		{name: "defaults", env: map[string]string{}},
		{name: "file alone", env: map[string]string{"PERSISTED_OPERATIONS_FILE": " " + ops + " "}, wantFile: ops},
		{name: "file and only", env: map[string]string{"PERSISTED_OPERATIONS_FILE": ops, "PERSISTED_OPERATIONS_ONLY": "true"}, wantFile: ops, wantOnly: true},
		{name: "missing file", env: map[string]string{"PERSISTED_OPERATIONS_FILE": missing}, wantFile: missing, wantErr: "PERSISTED_OPERATIONS_FILE: stat " + missing},
		{name: "a directory", env: map[string]string{"PERSISTED_OPERATIONS_FILE": dir}, wantFile: dir, wantErr: "is a directory"},
		{name: "only without a file", env: map[string]string{"PERSISTED_OPERATIONS_ONLY": "true"}, wantOnly: true, wantErr: "needs PERSISTED_OPERATIONS_FILE"},
		{name: "only not a bool", env: map[string]string{"PERSISTED_OPERATIONS_FILE": ops, "PERSISTED_OPERATIONS_ONLY": "yes please"}, wantFile: ops, wantErr: "PERSISTED_OPERATIONS_ONLY must be true or false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Load(func(k string) string { return tt.env[k] })
			if tt.wantErr == "" && err != nil {
				t.Fatalf("Load: %v", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("Load error = %v, want one containing %q", err, tt.wantErr)
			}
			if c.PersistedOperationsFile != tt.wantFile || c.PersistedOperationsOnly != tt.wantOnly {
				t.Errorf("file, only = %q, %v; want %q, %v", c.PersistedOperationsFile, c.PersistedOperationsOnly, tt.wantFile, tt.wantOnly)
			}
		})
	}
}

// A manifest that is not there is reported with the other settings' problems.
func TestMissingManifestReportedWithOtherSettings(t *testing.T) {
	t.Parallel()
	_, err := Load(env(map[string]string{"PERSISTED_OPERATIONS_FILE": filepath.Join(t.TempDir(), "missing.json"), "PORT": "none"}))
	if err == nil || !strings.Contains(err.Error(), "PERSISTED_OPERATIONS_FILE") || !strings.Contains(err.Error(), "PORT") {
		t.Fatalf("err = %v, want both problems", err)
	}
}
