package events

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/nexustask/nexus/internal/errkind"
)

// Errors of webhook endpoints.
var (
	// ErrWebhookNotFound means no endpoint has that name (404 not_found).
	ErrWebhookNotFound = fmt.Errorf("events: webhook not found: %w", errkind.ErrNoRoute)
	// ErrWebhookExists means the name is taken (409 conflict).
	ErrWebhookExists = fmt.Errorf("events: webhook exists: %w", errkind.ErrConflict)
	// ErrInvalidWebhook wraps every refusal of an endpoint: a bad name,
	// a URL that is not http(s), not allowed or does not resolve, a bad
	// filter (400 invalid_request).
	ErrInvalidWebhook = fmt.Errorf("events: invalid webhook: %w", errkind.ErrInvalidRequest)
)

// Endpoint is a webhook: where matching events are posted, and how they
// are signed.
type Endpoint struct {
	Name string `json:"name"`
	URL  string `json:"url"`
	// Types, Module and Tags select the events sent (Types as in
	// Filter; an event must carry every one of Tags). Empty: all.
	Types  []string `json:"types,omitempty"`
	Module string   `json:"module,omitempty"`
	Tags   []string `json:"tags,omitempty"`
	// Workflow, if set, sends only that workflow's events (a batch's URL
	// callback).
	Workflow string `json:"workflow_id,omitempty"`
	// Secret signs the deliveries (Sign); empty: unsigned. The API
	// never shows it.
	Secret  string    `json:"secret,omitempty"`
	Enabled bool      `json:"enabled"`
	Created time.Time `json:"created_at"`
	// Failing is set when the endpoint's oldest undelivered event grew
	// older than the deliverer's MaxAge; its deliveries stop until it is
	// written again. FailingReason says why.
	Failing       bool   `json:"failing,omitempty"`
	FailingReason string `json:"failing_reason,omitempty"`
	// Cursor is the sequence number of the last event delivered (or
	// passed over as not matching). The store keeps it apart.
	Cursor uint64 `json:"-"`
}

var webhookName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// Filter returns the events the endpoint is sent.
func (ep *Endpoint) Filter() Filter {
	return Filter{Types: ep.Types, Module: ep.Module, Workflow: ep.Workflow}
}

// Match reports whether the endpoint is sent e.
func (ep *Endpoint) Match(e *Event) bool {
	f := ep.Filter()
	if !f.Match(e) {
		return false
	}
	for _, t := range ep.Tags {
		if !containsString(e.Tags, t) {
			return false
		}
	}
	return true
}

func containsString(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// Validate checks the name, the URL's form and the filter; the URL's
// destination is the Allowlist's to check.
func (ep *Endpoint) Validate() error {
	if !webhookName.MatchString(ep.Name) {
		return fmt.Errorf("%w: name %q must match [a-z0-9][a-z0-9._-]{0,63}", ErrInvalidWebhook, ep.Name)
	}
	u, err := url.Parse(ep.URL)
	if err != nil {
		return fmt.Errorf("%w: url: %v", ErrInvalidWebhook, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%w: url %q is not http(s)", ErrInvalidWebhook, ep.URL)
	}
	if u.Hostname() == "" {
		return fmt.Errorf("%w: url %q has no host", ErrInvalidWebhook, ep.URL)
	}
	if u.User != nil {
		return fmt.Errorf("%w: url %q carries credentials; use a secret", ErrInvalidWebhook, ep.URL)
	}
	f := ep.Filter()
	if err := f.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidWebhook, err)
	}
	if len(ep.Secret) > 1024 {
		return fmt.Errorf("%w: secret is longer than 1024 bytes", ErrInvalidWebhook)
	}
	return nil
}

// Headers of a delivery (the Standard Webhooks convention).
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// Sign returns the webhook-signature header value of a delivery: "v1,"
// and the base64 HMAC-SHA256, keyed with secret, of id.timestamp.body.
// A secret of the form "whsec_BASE64" is used as the bytes BASE64
// encodes, as Standard Webhooks libraries do; any other as its bytes.
func Sign(secret, id string, timestamp int64, body []byte) string {
	key := []byte(secret)
	if rest, ok := strings.CutPrefix(secret, "whsec_"); ok {
		if k, err := base64.StdEncoding.DecodeString(rest); err == nil {
			key = k
		}
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(strconv.FormatInt(timestamp, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Verify reports whether header (a webhook-signature value, possibly
// several space-separated signatures) holds a valid signature of the
// delivery: what a receiver checks.
func Verify(secret, id string, timestamp int64, body []byte, header string) bool {
	want := Sign(secret, id, timestamp, body)
	for _, sig := range strings.Fields(header) {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return true
		}
	}
	return false
}

// WebhookStore keeps the endpoints and their cursors: internal/store
// implements it. Its methods are safe for concurrent use.
type WebhookStore interface {
	// CreateWebhook stores a new endpoint (ErrWebhookExists if the name
	// is taken) with its cursor at the newest event, and returns it.
	CreateWebhook(ep Endpoint) (Endpoint, error)
	// UpdateWebhook replaces an endpoint's settings, keeping its cursor.
	UpdateWebhook(ep Endpoint) error
	// DeleteWebhook removes an endpoint and its cursor.
	DeleteWebhook(name string) error
	// Webhook returns one endpoint, Webhooks all of them by name.
	Webhook(name string) (Endpoint, error)
	Webhooks() ([]Endpoint, error)
	// SaveWebhookCursors saves the cursors of the named endpoints, to be
	// written with the store's next transaction that appends events, or
	// by SyncWebhookCursors. A cursor never moves back.
	SaveWebhookCursors(cursors map[string]uint64) error
	// SyncWebhookCursors writes the cursors saved and not yet written.
	SyncWebhookCursors() error
}
