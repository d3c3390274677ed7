// Package events is NexusTask's event system: the Event every state
// change produces, the Filter that selects events, the Bus that fans
// committed events out to in-process subscribers, and the webhook
// Deliverer that posts them to HTTP endpoints.
//
// Events are durable: they live in a Log (internal/store on bbolt), each
// committed in the same transaction as the change it reports. The Bus
// only carries them from the Log's writer to live readers; a reader that
// falls behind reads the Log instead, so the Bus never blocks a writer
// and never loses an event. See RATIONALE.md ("Events") for why.
//
// Lock order: Bus.mu, then Subscription.mu. Deliverer.mu is never held
// with either.
package events
