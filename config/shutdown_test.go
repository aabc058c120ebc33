package config

import (
	"strings"
	"testing"
	"time"
)

// SHUTDOWN_READY_DELAY defaults to 5s, to 0s in sandbox mode, and takes
// 0 to turn the delay off.
func TestLoadShutdownReadyDelay(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		env  map[string]string
		want time.Duration
		bad  bool
	}{
		{map[string]string{"CIRCLE_HEADLESS_AUTH_TOKEN": "x"}, DefaultShutdownReadyDelay, false},
		{map[string]string{}, 0, false},
		{map[string]string{"CIRCLE_HEADLESS_AUTH_TOKEN": "x", "SHUTDOWN_READY_DELAY": "0s"}, 0, false},
		{map[string]string{"SHUTDOWN_READY_DELAY": "12s"}, 12 * time.Second, false},
		{map[string]string{"SHUTDOWN_READY_DELAY": "-1s"}, 0, true},
		{map[string]string{"SHUTDOWN_READY_DELAY": "soon"}, 0, true},
	} {
		c, err := Load(func(k string) string { return tt.env[k] })
		if tt.bad {
			if err == nil || !strings.Contains(err.Error(), "SHUTDOWN_READY_DELAY") {
				t.Errorf("%v: err %v", tt.env, err)
			}
			continue
		}
		if err != nil || c.ShutdownReadyDelay != tt.want {
			t.Errorf("%v: %v, %v; want %v", tt.env, c.ShutdownReadyDelay, err, tt.want)
		}
	}
}
