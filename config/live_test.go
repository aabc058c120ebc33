package config

import (
	"strings"
	"testing"
	"time"
)

func TestLoadLiveSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		env         map[string]string
		want        Live
		wantWarning string // a substring of some warning; "" means none about the cable
	}{
		{
			name: "sandbox defaults",
			env:  map[string]string{},
			want: Live{CableURL: "wss://app.circle.so/cable", CableOrigin: "https://app.circle.so", MaxSubscriptionsPerConnection: 20, MaxSubscribers: 10000, SubscriptionPollInterval: 15 * time.Second},
		},
		{
			name:        "Circle: the cable of the API host, an origin from CORS",
			env:         map[string]string{"CIRCLE_HEADLESS_AUTH_TOKEN": "app", "CORS_ALLOWED_ORIGINS": "*, https://app.example.com"},
			want:        Live{CableURL: "wss://app.circle.so/cable", CableOrigin: "https://app.example.com", MaxSubscriptionsPerConnection: 20, MaxSubscribers: 10000, SubscriptionPollInterval: 15 * time.Second},
			wantWarning: "CIRCLE_CABLE_ORIGIN is not set",
		},
		{
			name: "a test double over plain HTTP",
			env:  map[string]string{"CIRCLE_API_URL": "http://127.0.0.1:9999", "CIRCLE_CABLE_ORIGIN": "https://app.example.com/"},
			want: Live{CableURL: "ws://127.0.0.1:9999/cable", CableOrigin: "https://app.example.com", MaxSubscriptionsPerConnection: 20, MaxSubscribers: 10000, SubscriptionPollInterval: 15 * time.Second},
		},
		{
			name: "everything set",
			env: map[string]string{
				"CIRCLE_HEADLESS_AUTH_TOKEN": "app", "CIRCLE_CABLE_URL": "wss://cable.example.com/cable", "CIRCLE_CABLE_ORIGIN": "https://app.example.com",
				"MAX_SUBSCRIPTIONS_PER_CONNECTION": "5", "MAX_SUBSCRIBERS": "100", "SUBSCRIPTION_POLL_INTERVAL": "1m",
			},
			want: Live{CableURL: "wss://cable.example.com/cable", CableOrigin: "https://app.example.com", MaxSubscriptionsPerConnection: 5, MaxSubscribers: 100, SubscriptionPollInterval: time.Minute},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := Load(func(k string) string { return tc.env[k] })
			if err != nil {
				t.Fatal(err)
			}
			if c.Live != tc.want {
				t.Errorf("got %+v\nwant %+v", c.Live, tc.want)
			}
			warned := ""
			for _, w := range c.Warnings {
				if strings.Contains(w, "CIRCLE_CABLE") {
					warned = w
				}
			}
			if (tc.wantWarning == "") != (warned == "") || !strings.Contains(warned, tc.wantWarning) {
				t.Errorf("cable warning %q, want one containing %q", warned, tc.wantWarning)
			}
		})
	}
}

// Every bad subscription setting is reported, together.
func TestLoadLiveRefusesBadSettings(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"CIRCLE_CABLE_URL":                 "https://app.circle.so/cable",
		"CIRCLE_CABLE_ORIGIN":              "https://app.example.com/path",
		"MAX_SUBSCRIPTIONS_PER_CONNECTION": "0",
		"MAX_SUBSCRIBERS":                  "many",
		"SUBSCRIPTION_POLL_INTERVAL":       "-1s",
	}
	_, err := Load(func(k string) string { return env[k] })
	if err == nil {
		t.Fatal("bad settings accepted")
	}
	for name := range env {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
}
