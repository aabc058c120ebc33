package config

import (
	"strings"
	"testing"
)

// PERSISTED_OPERATIONS_FILE and PERSISTED_OPERATIONS_ONLY: off by default;
// refusing operations without a manifest to allow is a configuration error.
func TestPersistedOperationsSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		env      map[string]string
		wantFile string
		wantOnly bool
		wantErr  string
	}{
		{name: "defaults", env: map[string]string{}},
		{name: "file alone", env: map[string]string{"PERSISTED_OPERATIONS_FILE": " ops.json "}, wantFile: "ops.json"},
		{name: "file and only", env: map[string]string{"PERSISTED_OPERATIONS_FILE": "ops.json", "PERSISTED_OPERATIONS_ONLY": "true"}, wantFile: "ops.json", wantOnly: true},
		{name: "only without a file", env: map[string]string{"PERSISTED_OPERATIONS_ONLY": "true"}, wantOnly: true, wantErr: "needs PERSISTED_OPERATIONS_FILE"},
		{name: "only not a bool", env: map[string]string{"PERSISTED_OPERATIONS_FILE": "ops.json", "PERSISTED_OPERATIONS_ONLY": "yes please"}, wantFile: "ops.json", wantErr: "PERSISTED_OPERATIONS_ONLY must be true or false"},
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
