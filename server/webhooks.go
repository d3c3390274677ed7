package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/nexustask/nexus/internal/events"
)

// maxWebhookBody caps a POST /v1/webhooks body.
const maxWebhookBody = 64 << 10

// webhookSpec is the body of POST /v1/webhooks.
type webhookSpec struct {
	Name    string   `json:"name"`
	URL     string   `json:"url"`
	Types   []string `json:"types"`
	Module  string   `json:"module"`
	Tags    []string `json:"tags"`
	Secret  string   `json:"secret"`
	Enabled *bool    `json:"enabled"` // default true
}

// webhookView is an endpoint as the API shows it: without its secret.
type webhookView struct {
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

func webhookViewOf(ep events.Endpoint) webhookView {
	v := webhookView{Name: ep.Name, URL: ep.URL, Types: ep.Types, Module: ep.Module, Tags: ep.Tags,
		Enabled: ep.Enabled, Signed: ep.Secret != "", CreatedAt: ep.Created, Failing: ep.Failing,
		FailingReason: ep.FailingReason, Cursor: events.FormatID(ep.Cursor)}
	if v.Types == nil {
		v.Types = []string{}
	}
	if v.Tags == nil {
		v.Tags = []string{}
	}
	return v
}

// webhooks returns the deliverer, or errUnavailable if the server has none.
func (s *Server) webhooks() (*events.Deliverer, error) {
	if s.cfg.Webhooks == nil {
		return nil, fmt.Errorf("%w: webhooks are not enabled", errUnavailable)
	}
	return s.cfg.Webhooks, nil
}

// createWebhook is POST /v1/webhooks: 201 with the new endpoint.
func (s *Server) createWebhook(c echo.Context) error {
	d, err := s.webhooks()
	if err != nil {
		return err
	}
	body, err := readBody(c, maxWebhookBody)
	if err != nil {
		return err
	}
	var spec webhookSpec
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&spec); err != nil {
		return fmt.Errorf("%w: webhook body: %v", errBadRequest, err)
	}
	ep := events.Endpoint{Name: spec.Name, URL: spec.URL, Types: spec.Types, Module: spec.Module,
		Tags: spec.Tags, Secret: spec.Secret, Enabled: spec.Enabled == nil || *spec.Enabled}
	ep, err = d.Create(c.Request().Context(), ep)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, webhookViewOf(ep))
}

// listWebhooks is GET /v1/webhooks.
func (s *Server) listWebhooks(c echo.Context) error {
	d, err := s.webhooks()
	if err != nil {
		return err
	}
	eps, err := d.List()
	if err != nil {
		return err
	}
	views := make([]webhookView, len(eps))
	for i, ep := range eps {
		views[i] = webhookViewOf(ep)
	}
	return c.JSON(http.StatusOK, map[string]any{"webhooks": views})
}

// getWebhook is GET /v1/webhooks/{name}.
func (s *Server) getWebhook(c echo.Context) error {
	d, err := s.webhooks()
	if err != nil {
		return err
	}
	ep, err := d.Get(c.Param("name"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, webhookViewOf(ep))
}

// deleteWebhook is DELETE /v1/webhooks/{name}: 204.
func (s *Server) deleteWebhook(c echo.Context) error {
	d, err := s.webhooks()
	if err != nil {
		return err
	}
	if err := d.Delete(c.Param("name")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// webhookDeliveries is GET /v1/webhooks/{name}/deliveries: the last
// attempts, newest first.
func (s *Server) webhookDeliveries(c echo.Context) error {
	d, err := s.webhooks()
	if err != nil {
		return err
	}
	ds, err := d.Deliveries(c.Param("name"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"deliveries": ds})
}
