package config

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Defaults of the subscription settings (docs/contract.md §8).
const (
	DefaultMaxSubscriptionsPerConnection = 20
	DefaultMaxSubscribers                = 10000
	DefaultSubscriptionPollInterval      = 15 * time.Second
)

// Live are the settings of GraphQL subscriptions and of the bridge to
// Circle's real-time cable.
type Live struct {
	// CableURL is Circle's ActionCable endpoint subscriptions are bridged
	// to (CIRCLE_CABLE_URL, ws:// or wss://; default: CIRCLE_API_URL's host
	// at /cable, which is wss://app.circle.so/cable; in sandbox mode the
	// sandbox's own /cable).
	CableURL string
	// CableOrigin is the Origin header sent to the cable, which Circle
	// accepts only when it is one of the domains whitelisted for the
	// community (CIRCLE_CABLE_ORIGIN, e.g. https://app.example.com; default:
	// the first origin of CORS_ALLOWED_ORIGINS that is not "*", else the
	// origin of CIRCLE_API_URL).
	CableOrigin string
	// MaxSubscriptionsPerConnection bounds the subscriptions one WebSocket
	// connection may run at once (MAX_SUBSCRIPTIONS_PER_CONNECTION,
	// default 20).
	MaxSubscriptionsPerConnection int
	// MaxSubscribers bounds the subscriptions of the whole process, over
	// every transport (MAX_SUBSCRIBERS, default 10000).
	MaxSubscribers int
	// SubscriptionPollInterval is how often a member's notification count
	// is polled while Circle's cable cannot be reached
	// (SUBSCRIPTION_POLL_INTERVAL, default 15s).
	SubscriptionPollInterval time.Duration
}

// loadLive reads the Live settings; CircleURL, Sandbox and
// CORSAllowedOrigins must be loaded already.
func (c *Config) loadLive(getenv func(string) string) []error {
	var errs []error
	l := &c.Live
	l.MaxSubscriptionsPerConnection = intSetting(getenv, "MAX_SUBSCRIPTIONS_PER_CONNECTION", DefaultMaxSubscriptionsPerConnection, 1, 10000, &errs)
	l.MaxSubscribers = intSetting(getenv, "MAX_SUBSCRIBERS", DefaultMaxSubscribers, 1, 10_000_000, &errs)
	l.SubscriptionPollInterval = durationSetting(getenv, "SUBSCRIPTION_POLL_INTERVAL", DefaultSubscriptionPollInterval, &errs)

	if v, ok := lookup(getenv, "CIRCLE_CABLE_URL"); ok {
		if u, err := url.Parse(v); err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" || u.User != nil || u.Fragment != "" {
			errs = append(errs, fmt.Errorf("CIRCLE_CABLE_URL must be an absolute ws:// or wss:// URL without credentials, like wss://app.circle.so/cable, got %q", v))
		}
		l.CableURL = v
	} else if u, err := url.Parse(c.CircleURL); err == nil && u.Host != "" {
		scheme := "wss"
		if u.Scheme == "http" {
			scheme = "ws"
		}
		l.CableURL = scheme + "://" + u.Host + "/cable"
	}

	if v, ok := lookup(getenv, "CIRCLE_CABLE_ORIGIN"); ok {
		if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.TrimSuffix(u.Path, "/") != "" || u.RawQuery != "" || u.User != nil {
			errs = append(errs, fmt.Errorf("CIRCLE_CABLE_ORIGIN must be an origin like https://app.example.com (scheme and host only), got %q", v))
		}
		l.CableOrigin = strings.TrimSuffix(v, "/")
	} else {
		for _, o := range c.CORSAllowedOrigins {
			if o != "*" {
				l.CableOrigin = o
				break
			}
		}
		if l.CableOrigin == "" {
			if u, err := url.Parse(c.CircleURL); err == nil && u.Host != "" {
				l.CableOrigin = u.Scheme + "://" + u.Host
			}
		}
		if !c.Sandbox {
			c.Warnings = append(c.Warnings, fmt.Sprintf("CIRCLE_CABLE_ORIGIN is not set: subscriptions dial Circle's cable with Origin %s, which Circle refuses unless it is whitelisted for the community (notifications then fall back to polling every %s)", l.CableOrigin, l.SubscriptionPollInterval))
		}
	}
	return errs
}
