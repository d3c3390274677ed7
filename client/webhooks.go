package client

import (
	"context"
	"net/http"
	"time"
)

// WebhookSpec is the body of POST /v1/webhooks.
type WebhookSpec struct {
	// Name identifies the endpoint: [a-z0-9][a-z0-9._-]{0,63}.
	Name string `json:"name"`
	// URL is where events are posted: http or https, to a destination
	// the server's --webhook-allow lets it reach.
	URL string `json:"url"`
	// Types, Module and Tags select the events sent; empty: all.
	Types  []string `json:"types,omitempty"`
	Module string   `json:"module,omitempty"`
	Tags   []string `json:"tags,omitempty"`
	// Secret signs each delivery (webhook-signature); empty: unsigned.
	Secret string `json:"secret,omitempty"`
	// Enabled defaults to true.
	Enabled *bool `json:"enabled,omitempty"`
}

// Webhook is an endpoint as the API shows it (never its secret).
type Webhook struct {
	Name          string    `json:"name"`
	URL           string    `json:"url"`
	Types         []string  `json:"types"`
	Module        string    `json:"module,omitempty"`
	Tags          []string  `json:"tags"`
	Enabled       bool      `json:"enabled"`
	Signed        bool      `json:"signed"`
	CreatedAt     time.Time `json:"created_at"`
	Failing       bool      `json:"failing"`
	FailingReason string    `json:"failing_reason,omitempty"`
	// Cursor is the id of the last event delivered or passed over.
	Cursor string `json:"cursor"`
}

// WebhookDelivery is one attempt to deliver an event.
type WebhookDelivery struct {
	EventID   string     `json:"event_id"`
	Type      string     `json:"type"`
	Time      time.Time  `json:"time"`
	Attempt   int        `json:"attempt"`
	Status    int        `json:"status"`
	LatencyMs float64    `json:"latency_ms"`
	Error     string     `json:"error,omitempty"`
	NextRetry *time.Time `json:"next_retry,omitempty"`
}

// CreateWebhook creates an endpoint (POST /v1/webhooks). A URL that is
// not http(s), not allowed or does not resolve is an *Error with
// CodeInvalidRequest saying why; a taken name CodeConflict.
func (c *Client) CreateWebhook(ctx context.Context, spec WebhookSpec) (*Webhook, error) {
	r, err := jsonRequest(http.MethodPost, "/v1/webhooks", spec)
	if err != nil {
		return nil, err
	}
	var out Webhook
	if _, err := c.call(ctx, r, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Webhooks lists the endpoints (GET /v1/webhooks).
func (c *Client) Webhooks(ctx context.Context) ([]Webhook, error) {
	var out struct {
		Webhooks []Webhook `json:"webhooks"`
	}
	if _, err := c.call(ctx, request{method: http.MethodGet, path: "/v1/webhooks"}, &out); err != nil {
		return nil, err
	}
	return out.Webhooks, nil
}

// GetWebhook returns one endpoint (GET /v1/webhooks/{name}); an unknown
// name is an *Error with CodeNotFound.
func (c *Client) GetWebhook(ctx context.Context, name string) (*Webhook, error) {
	var out Webhook
	if _, err := c.call(ctx, request{method: http.MethodGet, path: "/v1/webhooks/" + escape(name)}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteWebhook deletes an endpoint (DELETE /v1/webhooks/{name}).
func (c *Client) DeleteWebhook(ctx context.Context, name string) error {
	_, err := c.do(ctx, request{method: http.MethodDelete, path: "/v1/webhooks/" + escape(name)})
	return err
}

// WebhookDeliveries returns an endpoint's last delivery attempts, newest
// first (GET /v1/webhooks/{name}/deliveries).
func (c *Client) WebhookDeliveries(ctx context.Context, name string) ([]WebhookDelivery, error) {
	var out struct {
		Deliveries []WebhookDelivery `json:"deliveries"`
	}
	if _, err := c.call(ctx, request{method: http.MethodGet, path: "/v1/webhooks/" + escape(name) + "/deliveries"}, &out); err != nil {
		return nil, err
	}
	return out.Deliveries, nil
}
