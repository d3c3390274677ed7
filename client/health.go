package client

import (
	"context"
	"net/http"
)

// status is the answer of GET /healthz and GET /readyz.
type status struct {
	Status string `json:"status"`
}

// Health reports whether the server is alive (GET /healthz): nil if it
// answered.
func (c *Client) Health(ctx context.Context) error {
	_, err := c.call(ctx, request{method: http.MethodGet, path: "/healthz"}, &status{})
	return err
}

// Ready reports whether the server serves the API (GET /readyz): nil once
// it has loaded its state, an *Error with CodeUnavailable before that and
// while it shuts down.
func (c *Client) Ready(ctx context.Context) error {
	_, err := c.call(ctx, request{method: http.MethodGet, path: "/readyz"}, &status{})
	return err
}
