package events

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// Defaults of a Deliverer.
const (
	DefaultMaxAge      = 24 * time.Hour
	DefaultBackoffBase = time.Second
	DefaultBackoffMax  = 5 * time.Minute
	DefaultTimeout     = 10 * time.Second
	// MaxDeliveries is how many recent attempts are kept per endpoint.
	MaxDeliveries = 100
	// cursorFlush is how often delivered cursors are saved: written with
	// the next group commit (no sync of their own under load), or, if
	// none comes, every cursorSync.
	cursorFlush = 100 * time.Millisecond
	cursorSync  = time.Second
)

// DelivererConfig configures a Deliverer.
type DelivererConfig struct {
	Store WebhookStore
	Log   Log
	Bus   *Bus
	// Allow decides which destinations may be reached; nil allows what an
	// empty Allowlist allows.
	Allow *Allowlist
	// MaxAge is how long an event is retried before its endpoint is
	// marked failing; 0 means DefaultMaxAge.
	MaxAge time.Duration
	// BackoffBase and BackoffMax shape the retry delay, doubled per
	// failed attempt; 0 means the defaults.
	BackoffBase, BackoffMax time.Duration
	// Timeout bounds one delivery; 0 means DefaultTimeout.
	Timeout time.Duration
	// Node names the node in the webhook.failing events.
	Node string
	// OnDelivery, if set, is called after each attempt with its outcome
	// ("success" or "failure") and how long it took (metrics).
	OnDelivery func(outcome string, d time.Duration)
	Logger     *slog.Logger
}

// Delivery is one attempt to deliver an event to an endpoint.
type Delivery struct {
	EventID string    `json:"event_id"`
	Type    string    `json:"type"`
	Time    time.Time `json:"time"`
	Attempt int       `json:"attempt"`
	// Status is the HTTP status answered; 0 if none came.
	Status    int     `json:"status"`
	LatencyMs float64 `json:"latency_ms"`
	Error     string  `json:"error,omitempty"`
	// NextRetry is when the event is tried again, for a failed attempt.
	NextRetry *time.Time `json:"next_retry,omitempty"`
}

// Deliverer posts events to the webhook endpoints, each endpoint on its
// own goroutine, in order, at least once. Its methods are safe for
// concurrent use.
type Deliverer struct {
	cfg    DelivererConfig
	client *http.Client
	log    *slog.Logger
	ctx    context.Context
	stop   context.CancelFunc

	mu      sync.Mutex
	workers map[string]*worker
	dirty   map[string]uint64 // cursors delivered, not yet stored
	wg      sync.WaitGroup
	closed  bool
}

// worker delivers to one endpoint.
type worker struct {
	ep     Endpoint
	cancel context.CancelFunc
	done   chan struct{}

	mu     sync.Mutex
	recent []Delivery // ring, newest last
	cursor uint64
}

// NewDeliverer returns a deliverer; Start starts it.
func NewDeliverer(cfg DelivererConfig) *Deliverer {
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = DefaultMaxAge
	}
	if cfg.BackoffBase <= 0 {
		cfg.BackoffBase = DefaultBackoffBase
	}
	if cfg.BackoffMax <= 0 {
		cfg.BackoffMax = DefaultBackoffMax
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Allow == nil {
		cfg.Allow, _ = ParseAllowlist(nil)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	tr := &http.Transport{
		DialContext:         cfg.Allow.DialContext,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
		Proxy:               nil, // a proxy would dial for us, past the allowlist
	}
	ctx, stop := context.WithCancel(context.Background())
	return &Deliverer{
		cfg: cfg, log: cfg.Logger, ctx: ctx, stop: stop,
		client: &http.Client{Transport: tr, Timeout: cfg.Timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		workers: make(map[string]*worker),
		dirty:   make(map[string]uint64),
	}
}

// Start loads the stored endpoints and starts delivering to the enabled
// ones that are not failing.
func (d *Deliverer) Start() error {
	eps, err := d.cfg.Store.Webhooks()
	if err != nil {
		return fmt.Errorf("events: loading webhooks: %w", err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, ep := range eps {
		d.startLocked(ep)
	}
	d.wg.Add(1)
	go d.flushLoop()
	return nil
}

// Create validates ep, checks its destination, stores it and starts
// delivering to it the events published from now on.
func (d *Deliverer) Create(ctx context.Context, ep Endpoint) (Endpoint, error) {
	if err := ep.Validate(); err != nil {
		return ep, err
	}
	u, _ := url.Parse(ep.URL)
	if err := d.cfg.Allow.Check(ctx, u.Hostname()); err != nil {
		return ep, fmt.Errorf("%w: %v", ErrInvalidWebhook, err)
	}
	ep.Created = time.Now().UTC()
	ep.Failing, ep.FailingReason = false, ""
	ep, err := d.cfg.Store.CreateWebhook(ep)
	if err != nil {
		return ep, err
	}
	d.mu.Lock()
	d.startLocked(ep)
	d.mu.Unlock()
	return ep, nil
}

// Delete stops delivering to the endpoint and removes it.
func (d *Deliverer) Delete(name string) error {
	if err := d.cfg.Store.DeleteWebhook(name); err != nil {
		return err
	}
	d.mu.Lock()
	w := d.workers[name]
	delete(d.workers, name)
	delete(d.dirty, name)
	d.mu.Unlock()
	if w != nil {
		w.cancel()
		<-w.done
	}
	return nil
}

// Get returns the endpoint named name, with its cursor as delivered.
func (d *Deliverer) Get(name string) (Endpoint, error) {
	ep, err := d.cfg.Store.Webhook(name)
	if err != nil {
		return ep, err
	}
	d.withCursor(&ep)
	return ep, nil
}

// List returns every endpoint, by name.
func (d *Deliverer) List() ([]Endpoint, error) {
	eps, err := d.cfg.Store.Webhooks()
	for i := range eps {
		d.withCursor(&eps[i])
	}
	return eps, err
}

func (d *Deliverer) withCursor(ep *Endpoint) {
	d.mu.Lock()
	w := d.workers[ep.Name]
	d.mu.Unlock()
	if w != nil {
		w.mu.Lock()
		ep.Cursor = max(ep.Cursor, w.cursor)
		w.mu.Unlock()
	}
}

// Deliveries returns the endpoint's recent attempts, newest first.
func (d *Deliverer) Deliveries(name string) ([]Delivery, error) {
	if _, err := d.cfg.Store.Webhook(name); err != nil {
		return nil, err
	}
	d.mu.Lock()
	w := d.workers[name]
	d.mu.Unlock()
	out := []Delivery{}
	if w == nil {
		return out, nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := len(w.recent) - 1; i >= 0; i-- {
		out = append(out, w.recent[i])
	}
	return out, nil
}

// Pending returns how many events are committed but not yet delivered
// past, summed over the endpoints delivering (the outbox depth).
func (d *Deliverer) Pending() uint64 {
	last, err := d.cfg.Log.LastEventSeq()
	if err != nil {
		return 0
	}
	d.mu.Lock()
	ws := make([]*worker, 0, len(d.workers))
	for _, w := range d.workers {
		ws = append(ws, w)
	}
	d.mu.Unlock()
	var n uint64
	for _, w := range ws {
		w.mu.Lock()
		if last > w.cursor {
			n += last - w.cursor
		}
		w.mu.Unlock()
	}
	return n
}

// KeepFrom returns the oldest sequence number an endpoint still needs
// (its cursor + 1), or 0 if none does: trimming by count stops there.
func (d *Deliverer) KeepFrom() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	var keep uint64
	for _, w := range d.workers {
		w.mu.Lock()
		if c := w.cursor + 1; keep == 0 || c < keep {
			keep = c
		}
		w.mu.Unlock()
	}
	return keep
}

// Close stops every endpoint's deliveries and stores their cursors.
func (d *Deliverer) Close() {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	d.closed = true
	d.mu.Unlock()
	d.stop()
	d.wg.Wait()
	d.flush()
	if err := d.cfg.Store.SyncWebhookCursors(); err != nil {
		d.log.Error("webhook: storing cursors", "err", err)
	}
}

func (d *Deliverer) startLocked(ep Endpoint) {
	if d.closed || !ep.Enabled || ep.Failing {
		return
	}
	ctx, cancel := context.WithCancel(d.ctx)
	w := &worker{ep: ep, cancel: cancel, done: make(chan struct{}), cursor: ep.Cursor}
	d.workers[ep.Name] = w
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		defer close(w.done)
		d.run(ctx, w)
	}()
}

// run delivers w's events until ctx ends or the endpoint fails.
func (d *Deliverer) run(ctx context.Context, w *worker) {
	sub := d.cfg.Bus.Subscribe(w.ep.Filter(), w.cursor, 1024)
	defer sub.Close()
	for {
		e, err := sub.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			var gone *GoneError
			if errors.As(err, &gone) {
				d.fail(w, fmt.Sprintf("events after %s were trimmed before they were delivered", gone.Cursor))
				return
			}
			d.log.Error("webhook: reading events", "webhook", w.ep.Name, "err", err)
			if !sleepCtx(ctx, time.Second) {
				return
			}
			continue
		}
		if w.ep.Match(e) && !d.deliver(ctx, w, e) {
			return
		}
		w.mu.Lock()
		w.cursor = e.seq
		w.mu.Unlock()
		d.mu.Lock()
		if d.workers[w.ep.Name] == w {
			d.dirty[w.ep.Name] = e.seq
		}
		d.mu.Unlock()
	}
}

// deliver posts e until it is accepted (true), ctx ends, or it is older
// than MaxAge (the endpoint is marked failing).
func (d *Deliverer) deliver(ctx context.Context, w *worker, e *Event) bool {
	body := e.JSON()
	delay := d.cfg.BackoffBase
	for attempt := 1; ; attempt++ {
		status, latency, err := d.post(ctx, w.ep, e.ID, e.TraceParent, body)
		if ctx.Err() != nil {
			return false
		}
		rec := Delivery{EventID: e.ID, Type: e.Type, Time: time.Now().UTC(), Attempt: attempt, Status: status,
			LatencyMs: float64(latency.Microseconds()) / 1000}
		outcome := "success"
		if err != nil {
			outcome = "failure"
			rec.Error = err.Error()
		}
		if d.cfg.OnDelivery != nil {
			d.cfg.OnDelivery(outcome, latency)
		}
		if err == nil {
			w.record(rec)
			return true
		}
		if time.Since(e.Time) > d.cfg.MaxAge {
			w.record(rec)
			d.fail(w, fmt.Sprintf("event %s undelivered for more than %s: %v", e.ID, d.cfg.MaxAge, err))
			return false
		}
		next := time.Now().Add(delay).UTC()
		rec.NextRetry = &next
		w.record(rec)
		if !sleepCtx(ctx, delay) {
			return false
		}
		delay = min(2*delay, d.cfg.BackoffMax)
	}
}

// post sends one delivery, with the event's traceparent if it has one;
// an answer other than 2xx is an error.
func (d *Deliverer) post(ctx context.Context, ep Endpoint, id, traceparent string, body []byte) (int, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.URL, bytes.NewReader(body))
	if err != nil {
		return 0, 0, err
	}
	ts := time.Now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "NexusTask-Webhooks")
	req.Header.Set(HeaderID, id)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	if traceparent != "" {
		req.Header.Set("traceparent", traceparent)
	}
	if ep.Secret != "" {
		req.Header.Set(HeaderSignature, Sign(ep.Secret, id, ts, body))
	}
	start := time.Now()
	resp, err := d.client.Do(req)
	latency := time.Since(start)
	if err != nil {
		return 0, latency, err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, latency, fmt.Errorf("answered %s", resp.Status)
	}
	return resp.StatusCode, latency, nil
}

// fail marks w's endpoint failing, stops its deliveries and publishes a
// webhook.failing event.
func (d *Deliverer) fail(w *worker, reason string) {
	ep, err := d.cfg.Store.Webhook(w.ep.Name)
	if err != nil {
		return // deleted meanwhile
	}
	ep.Failing, ep.FailingReason = true, reason
	if err := d.cfg.Store.UpdateWebhook(ep); err != nil {
		d.log.Error("webhook: marking failing", "webhook", ep.Name, "err", err)
	}
	d.log.Warn("webhook failing; deliveries stopped", "webhook", ep.Name, "reason", reason)
	e := &Event{Type: WebhookFailing, Time: time.Now().UTC(), Node: d.cfg.Node,
		Data: Data{Webhook: ep.Name, URL: ep.URL, Reason: reason}}
	if err := d.cfg.Log.AppendEvents(e); err != nil {
		d.log.Error("webhook: publishing webhook.failing", "webhook", ep.Name, "err", err)
	}
}

func (w *worker) record(r Delivery) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.recent) == MaxDeliveries {
		copy(w.recent, w.recent[1:])
		w.recent = w.recent[:MaxDeliveries-1]
	}
	w.recent = append(w.recent, r)
}

// flushLoop saves delivered cursors every cursorFlush, and syncs them
// every cursorSync.
func (d *Deliverer) flushLoop() {
	defer d.wg.Done()
	t := time.NewTicker(cursorFlush)
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-d.ctx.Done():
			return
		case <-t.C:
			d.flush()
			if n%int(cursorSync/cursorFlush) == 0 {
				if err := d.cfg.Store.SyncWebhookCursors(); err != nil {
					d.log.Error("webhook: storing cursors", "err", err)
				}
			}
		}
	}
}

func (d *Deliverer) flush() {
	d.mu.Lock()
	if len(d.dirty) == 0 {
		d.mu.Unlock()
		return
	}
	cur := d.dirty
	d.dirty = make(map[string]uint64)
	d.mu.Unlock()
	if err := d.cfg.Store.SaveWebhookCursors(cur); err != nil {
		d.log.Error("webhook: storing cursors", "err", err)
		d.mu.Lock()
		for k, v := range cur {
			if _, ok := d.dirty[k]; !ok {
				d.dirty[k] = v
			}
		}
		d.mu.Unlock()
	}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
