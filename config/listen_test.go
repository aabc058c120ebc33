package config

import (
	"strings"
	"testing"
)

// Sandbox mode listens on loopback unless HOST says otherwise; a real
// deployment listens on every interface.
func TestListenAddr(t *testing.T) {
	t.Parallel()
	tests := []struct {
		env  map[string]string
		want string
		bad  bool
	}{
		{map[string]string{}, "127.0.0.1:8080", false},
		{map[string]string{"PORT": "9000"}, "127.0.0.1:9000", false},
		{map[string]string{"HOST": "0.0.0.0"}, "0.0.0.0:8080", false},
		{map[string]string{"CIRCLE_HEADLESS_AUTH_TOKEN": "x"}, ":8080", false},
		{map[string]string{"CIRCLE_HEADLESS_AUTH_TOKEN": "x", "HOST": "10.0.0.5", "PORT": "80"}, "10.0.0.5:80", false},
		{map[string]string{"CIRCLE_HEADLESS_AUTH_TOKEN": "x", "HOST": "::1"}, "[::1]:8080", false},
		{map[string]string{"HOST": "localhost"}, "localhost:8080", false},
		{map[string]string{"HOST": "127.0.0.1:80"}, "", true},
		{map[string]string{"HOST": "http://x"}, "", true},
	}
	for _, tt := range tests {
		c, err := Load(func(k string) string { return tt.env[k] })
		if tt.bad {
			if err == nil || !strings.Contains(err.Error(), "HOST") {
				t.Errorf("%v: err %v, want HOST refused", tt.env, err)
			}
			continue
		}
		if err != nil || c.ListenAddr() != tt.want {
			t.Errorf("%v: %q, %v; want %q", tt.env, c.ListenAddr(), err, tt.want)
		}
	}
}
