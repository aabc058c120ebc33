package config

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/circle-gateway/gateway/budget"
)

// Budget are the settings that share Circle's budget (CIRCLE_RATE_LIMIT)
// out among callers, so that nobody — least of all a client making up
// tokens — can spend it for everyone (docs/upstream-budget.md).
type Budget struct {
	// Shares are CIRCLE_AUTH_RESERVE, CIRCLE_UNPROVEN_SHARE and
	// CIRCLE_MEMBER_SHARE (each "10%" by default): the part of the budget
	// the Member API leaves to the Auth API, the most calls on tokens
	// Circle has not accepted yet may use together, and the most one
	// member may use.
	Shares budget.Shares
	// UnprovenClientRateLimit bounds, per client address, the requests
	// carrying a token Circle has not accepted yet
	// (UNPROVEN_CLIENT_RATE_LIMIT, default "60/1m"; "off" disables it).
	UnprovenClientRateLimit string
	// TrustedProxies are the proxies whose X-Forwarded-For names the
	// client (TRUSTED_PROXIES, comma-separated CIDRs or addresses; default
	// none: the client is the connection's peer and X-Forwarded-For is
	// ignored).
	TrustedProxies []netip.Prefix
	// RedisBudgetTimeout is how long the budget waits for Redis before
	// deciding on this replica's own (REDIS_BUDGET_TIMEOUT, default 100ms;
	// never more than half of what an operation has left).
	RedisBudgetTimeout time.Duration
}

func (b *Budget) load(getenv func(string) string) []error {
	var errs []error
	b.Shares = budget.DefaultShares
	b.Shares.AuthReserve = percentSetting(getenv, "CIRCLE_AUTH_RESERVE", b.Shares.AuthReserve, false, &errs)
	b.Shares.Unproven = percentSetting(getenv, "CIRCLE_UNPROVEN_SHARE", b.Shares.Unproven, true, &errs)
	b.Shares.PerMember = percentSetting(getenv, "CIRCLE_MEMBER_SHARE", b.Shares.PerMember, true, &errs)
	if b.Shares.AuthReserve >= 1 {
		errs = append(errs, fmt.Errorf("CIRCLE_AUTH_RESERVE must leave the Member API some of the budget: below 100%%"))
	}

	b.UnprovenClientRateLimit = budget.DefaultClientRateLimit
	if v, ok := lookup(getenv, "UNPROVEN_CLIENT_RATE_LIMIT"); ok {
		if _, err := budget.ParseRateLimit(v); err != nil {
			errs = append(errs, fmt.Errorf("UNPROVEN_CLIENT_RATE_LIMIT: %w", err))
		}
		b.UnprovenClientRateLimit = v
	}

	b.RedisBudgetTimeout = durationSetting(getenv, "REDIS_BUDGET_TIMEOUT", budget.DefaultRedisTimeout, &errs)

	if v, ok := lookup(getenv, "TRUSTED_PROXIES"); ok {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s == "" {
				continue
			}
			p, err := netip.ParsePrefix(s)
			if err != nil {
				a, aerr := netip.ParseAddr(s)
				if aerr != nil {
					errs = append(errs, fmt.Errorf("TRUSTED_PROXIES: %q is neither a CIDR like 10.0.0.0/8 nor an address", s))
					continue
				}
				p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
			}
			b.TrustedProxies = append(b.TrustedProxies, p.Masked())
		}
	}
	return errs
}

// percentSetting reads a share like "10%" (or "10") as a fraction. positive
// refuses 0 %.
func percentSetting(getenv func(string) string, name string, def float64, positive bool, errs *[]error) float64 {
	v, ok := lookup(getenv, name)
	if !ok {
		return def
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(v, "%")), 64)
	lo := "0%"
	if positive {
		lo = "above 0%"
	}
	if err != nil || f < 0 || f > 100 || (positive && f == 0) {
		*errs = append(*errs, fmt.Errorf("%s must be a percentage of CIRCLE_RATE_LIMIT, %s up to 100%%, like 10%%; got %q", name, lo, v))
		return def
	}
	return f / 100
}
