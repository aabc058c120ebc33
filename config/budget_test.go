package config

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/circle-gateway/gateway/budget"
)

func TestBudgetSettings(t *testing.T) {
	t.Parallel()
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }

	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Shares != budget.DefaultShares || c.UnprovenClientRateLimit != "60/1m" || c.TrustedProxies != nil {
		t.Fatalf("defaults: %+v", c.Budget)
	}

	c, err = Load(env(map[string]string{
		"CIRCLE_AUTH_RESERVE": "0%", "CIRCLE_UNPROVEN_SHARE": "5", "CIRCLE_MEMBER_SHARE": "12.5%",
		"UNPROVEN_CLIENT_RATE_LIMIT": "off", "TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.7 ,2001:db8::/32", "REDIS_BUDGET_TIMEOUT": "250ms",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if want := (budget.Shares{AuthReserve: 0, Unproven: 0.05, PerMember: 0.125}); c.Shares != want {
		t.Fatalf("shares %+v, want %+v", c.Shares, want)
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32"), netip.MustParsePrefix("2001:db8::/32")}
	if c.UnprovenClientRateLimit != "off" || !reflect.DeepEqual(c.TrustedProxies, want) || c.RedisBudgetTimeout != 250*time.Millisecond {
		t.Fatalf("%+v", c.Budget)
	}

	// Every problem is reported at once, by name.
	_, err = Load(env(map[string]string{
		"CIRCLE_AUTH_RESERVE": "100%", "CIRCLE_UNPROVEN_SHARE": "0%", "CIRCLE_MEMBER_SHARE": "lots",
		"UNPROVEN_CLIENT_RATE_LIMIT": "60", "TRUSTED_PROXIES": "10.0.0.0/8,proxy.internal", "REDIS_BUDGET_TIMEOUT": "fast",
	}))
	for _, name := range []string{"CIRCLE_AUTH_RESERVE", "CIRCLE_UNPROVEN_SHARE", "CIRCLE_MEMBER_SHARE", "UNPROVEN_CLIENT_RATE_LIMIT", "TRUSTED_PROXIES", "REDIS_BUDGET_TIMEOUT"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("no error names %s: %v", name, err)
		}
	}
}
