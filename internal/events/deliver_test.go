package events_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nexustask/nexus/internal/events"
)

// endpoint is a webhook receiver whose behaviour the test switches:
// accept, answer 500, hang past the deliverer's timeout, or close the
// connection without an answer.
type endpoint struct {
	mode atomic.Value // "ok", "500", "hang", "close"
	mu   sync.Mutex
	ids  []string
	got  chan struct{}
	hs   *httptest.Server
}

func newEndpoint(t *testing.T, mode string) *endpoint {
	ep := &endpoint{got: make(chan struct{}, 1)}
	ep.mode.Store(mode)
	ep.hs = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch ep.mode.Load().(string) {
		case "500":
			w.WriteHeader(http.StatusInternalServerError)
			return
		case "hang":
			select {
			case <-r.Context().Done():
			case <-time.After(time.Second): // past the deliverer's timeout
			}
			return
		case "close":
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		ep.mu.Lock()
		ep.ids = append(ep.ids, r.Header.Get(events.HeaderID))
		ep.mu.Unlock()
		select {
		case ep.got <- struct{}{}:
		default:
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(ep.hs.Close)
	return ep
}

// wait waits until the endpoint has accepted n deliveries and returns
// their ids.
func (ep *endpoint) wait(t *testing.T, n int) []string {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		ep.mu.Lock()
		ids := append([]string(nil), ep.ids...)
		ep.mu.Unlock()
		if len(ids) >= n {
			return ids
		}
		select {
		case <-ep.got:
		case <-deadline:
			t.Fatalf("%d deliveries, want %d", len(ids), n)
		}
	}
}

// TestDeliveryFailures: endpoints that answer 500, time out and close
// the connection are retried, each in order, while a healthy endpoint
// keeps getting its events; once they come back they get their backlog,
// in order. An endpoint that keeps failing past MaxAge is marked failing
// and a webhook.failing event published.
func TestDeliveryFailures(t *testing.T) {
	db, bus := openLog(t)
	d := events.NewDeliverer(events.DelivererConfig{Store: db, Log: db, Bus: bus,
		BackoffBase: time.Millisecond, BackoffMax: 20 * time.Millisecond, Timeout: 200 * time.Millisecond, MaxAge: time.Hour})
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	healthy := newEndpoint(t, "ok")
	eps := map[string]*endpoint{"healthy": healthy}
	for _, mode := range []string{"500", "hang", "close"} {
		eps["bad-"+mode] = newEndpoint(t, mode)
	}
	for name, ep := range eps {
		if _, err := d.Create(ctx, events.Endpoint{Name: name, URL: ep.hs.URL, Enabled: true}); err != nil {
			t.Fatal(err)
		}
	}
	const n = 20
	var want []string
	for range n {
		e := &events.Event{Type: events.ModuleUploaded, Module: "m", Time: time.Now()}
		if err := db.AppendEvents(e); err != nil {
			t.Fatal(err)
		}
		want = append(want, e.ID)
	}
	if got := healthy.wait(t, n); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("healthy endpoint got %v, want %v", got, want)
	}
	for name, ep := range eps {
		if name == "healthy" {
			continue
		}
		ds, err := d.Deliveries(name)
		for deadline := time.Now().Add(10 * time.Second); err == nil && len(ds) == 0 && time.Now().Before(deadline); {
			time.Sleep(5 * time.Millisecond) // the first attempt is under way: nothing to wait on
			ds, err = d.Deliveries(name)
		}
		if err != nil || len(ds) == 0 || ds[0].Error == "" || ds[0].NextRetry == nil || ds[0].EventID != want[0] {
			t.Fatalf("%s: deliveries %+v %v: want failed attempts at the first event", name, ds, err)
		}
		ep.mode.Store("ok") // it comes back
	}
	for name, ep := range eps {
		if got := ep.wait(t, n); strings.Join(got[:n], ",") != strings.Join(want, ",") {
			t.Fatalf("%s got %v, want %v", name, got, want)
		}
	}

	// Past MaxAge: failing, and a webhook.failing event.
	d2 := events.NewDeliverer(events.DelivererConfig{Store: db, Log: db, Bus: bus,
		BackoffBase: time.Millisecond, BackoffMax: 5 * time.Millisecond, MaxAge: time.Nanosecond})
	if err := d2.Start(); err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	dead := newEndpoint(t, "500")
	sub, err := bus.SubscribeLive(events.Filter{Types: []string{events.WebhookFailing}}, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if _, err := d2.Create(ctx, events.Endpoint{Name: "dead", URL: dead.hs.URL, Types: []string{"module.*"}, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	if err := db.AppendEvents(&events.Event{Type: events.ModuleDeleted, Module: "m", Time: time.Now()}); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	e, err := sub.Next(wctx)
	if err != nil || e.Data.Webhook != "dead" || e.Data.Reason == "" {
		t.Fatalf("webhook.failing: %+v %v", e, err)
	}
	if ep, err := d2.Get("dead"); err != nil || !ep.Failing || ep.FailingReason == "" {
		t.Fatalf("endpoint after max age: %+v %v", ep, err)
	}
}

// TestAllowlist: without entries, link-local and metadata destinations
// are refused and the rest allowed; with entries, only those.
func TestAllowlist(t *testing.T) {
	ctx := context.Background()
	open, err := events.ParseAllowlist(nil)
	if err != nil {
		t.Fatal(err)
	}
	for host, ok := range map[string]bool{
		"127.0.0.1": true, "10.1.2.3": true, "::1": true,
		"169.254.169.254": false, "fe80::1": false, "metadata.google.internal": false, "100.100.100.200": false,
	} {
		if err := open.Check(ctx, host); (err == nil) != ok {
			t.Errorf("open list, %s: %v, want allowed %v", host, err, ok)
		}
	}
	list, err := events.ParseAllowlist([]string{"10.0.0.0/8", "169.254.169.254", "hooks.example"})
	if err != nil {
		t.Fatal(err)
	}
	for host, ok := range map[string]bool{
		"10.9.9.9": true, "169.254.169.254": true, "hooks.example": true, "127.0.0.1": false, "11.0.0.1": false,
	} {
		if err := list.Check(ctx, host); (err == nil) != ok {
			t.Errorf("list, %s: %v, want allowed %v", host, err, ok)
		}
	}
	for _, bad := range [][]string{{""}, {"10.0.0.0/99"}} {
		if _, err := events.ParseAllowlist(bad); err == nil {
			t.Errorf("ParseAllowlist(%q) accepted", bad)
		}
	}
}

// TestSign: the signature of the Standard Webhooks convention's example.
func TestSign(t *testing.T) {
	// From the Standard Webhooks specification's test vectors.
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	const id, ts = "msg_p5jXN8AQM9LWM0D4loKWxJek", int64(1614265330)
	body := []byte(`{"test": 2432232314}`)
	const want = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	if got := events.Sign(secret, id, ts, body); got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
	if !events.Verify(secret, id, ts, body, "v1,bad "+want) || events.Verify(secret, id, ts+1, body, want) {
		t.Fatal("Verify")
	}
}
