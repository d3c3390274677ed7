package main

import (
	"github.com/nexustask/nexus/internal/node"
	"github.com/spf13/pflag"
)

// addEventFlags adds the event and webhook flags of nexus serve, bound
// to c, with the defaults in d.
func addEventFlags(f *pflag.FlagSet, c *node.Config, d node.Config) {
	f.DurationVar(&c.EventRetention, "event-retention", d.EventRetention, "how long events are kept in the event log")
	f.IntVar(&c.EventMax, "event-max", d.EventMax, "most events kept in the event log, oldest dropped first")
	f.BoolVar(&c.EventsInvokes, "events-invokes", false, "publish an invoke.finished event for every synchronous invoke")
	f.DurationVar(&c.WebhookMaxAge, "webhook-max-age", d.WebhookMaxAge, "how long a webhook delivery is retried before the endpoint is marked failing")
	f.StringArrayVar(&c.WebhookAllow, "webhook-allow", nil, "CIDR, address or host name webhooks may reach (repeatable); without it any http(s) destination but link-local and cloud-metadata addresses")
	f.StringVar(&c.NodeName, "node-name", "", "name of this node in the events it publishes (default: the host name)")
}
