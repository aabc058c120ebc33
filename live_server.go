package main

import (
	"context"
	"log/slog"
	"strings"

	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/config"
	"github.com/circle-gateway/gateway/live"
	"github.com/circle-gateway/gateway/observe"
	"github.com/circle-gateway/gateway/transport"
)

// sampleSubscription is the subscription the startup log suggests trying
// in the Playground.
const sampleSubscription = `subscription { notificationReceived { text actorName createdAt post { title } } }`

// startLive builds the subscription side: the bridge to Circle's cable
// (in sandbox mode, the sandbox's own /cable at circleURL) and the
// registry that limits and drains subscriptions, with their gauges.
func startLive(cfg config.Config, circleURL string, client *circle.Client, obs *observe.Observer, log *slog.Logger) (*live.Bridge, *transport.Subscriptions, error) {
	cableURL := cfg.CableURL
	if cfg.Sandbox {
		cableURL = "ws" + strings.TrimPrefix(circleURL, "http") + "/cable"
	}
	bridge, err := live.New(live.Config{
		URL:          cableURL,
		Origin:       cfg.CableOrigin,
		PollInterval: cfg.SubscriptionPollInterval,
		Poller:       live.CirclePoller(client),
		Log:          log,
	})
	if err != nil {
		return nil, nil, err
	}
	subs := transport.NewSubscriptions(transport.SubscriptionOptions{
		MaxPerConnection: cfg.MaxSubscriptionsPerConnection,
		MaxSubscribers:   cfg.MaxSubscribers,
	})
	for _, g := range []struct {
		name, help string
		f          func() float64
	}{
		{"gateway_subscriptions_active", "GraphQL subscriptions running, over WebSocket and SSE.", func() float64 { return float64(subs.Active()) }},
		{"gateway_subscription_executions", "Subscription executions running: identical subscriptions of one token (same document, same variables) share one, which resolves each event once for all of them.", func() float64 { return float64(subs.Executions()) }},
		{"gateway_subscription_websockets_open", "WebSocket connections open at /graphql.", func() float64 { return float64(subs.Sockets()) }},
		{"gateway_cable_connections_open", "Upstream connections to Circle's cable (at most one per member token).", func() float64 { return float64(bridge.Open()) }},
		{"gateway_cable_channels_confirmed", "Channel subscriptions Circle's cable confirmed and that have subscribers (events on them reach the gateway).", func() float64 { return float64(bridge.Confirmed()) }},
	} {
		if err := obs.Gauge(g.name, g.help, g.f); err != nil {
			return nil, nil, err
		}
	}
	log.Info("subscriptions", "cable", cableURL, "origin", cfg.CableOrigin, "max_per_connection", cfg.MaxSubscriptionsPerConnection,
		"max_subscribers", cfg.MaxSubscribers, "poll_interval", cfg.SubscriptionPollInterval.String())
	return bridge, subs, nil
}

// drainLive ends every subscription with a complete and closes the
// WebSockets (http.Server.Shutdown does not see hijacked connections),
// then closes the cable connections.
func drainLive(ctx context.Context, bridge *live.Bridge, subs *transport.Subscriptions, log *slog.Logger) {
	if err := subs.Shutdown(ctx); err != nil {
		log.Warn("shutting down: closing subscriptions that did not end in time", "err", err)
	}
	if err := bridge.Close(ctx); err != nil {
		log.Warn("shutting down: cable connections did not close in time", "err", err)
	}
}
