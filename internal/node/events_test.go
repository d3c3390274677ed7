package node_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nexustask/nexus/client"
	"github.com/nexustask/nexus/internal/events"
	"github.com/nexustask/nexus/internal/node"
)

// receiver is a webhook receiver: it records the deliveries it accepts,
// checking their signatures, and answers with what fail says.
type receiver struct {
	t      *testing.T
	secret string

	mu   sync.Mutex
	got  []client.Event
	fail int // answer the next fail deliveries 500
	seen chan struct{}
}

func newReceiver(t *testing.T, secret string) (*receiver, *httptest.Server) {
	r := &receiver{t: t, secret: secret, seen: make(chan struct{}, 1000)}
	hs := httptest.NewServer(r)
	t.Cleanup(hs.Close)
	return r, hs
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	id, ts := req.Header.Get(events.HeaderID), req.Header.Get(events.HeaderTimestamp)
	n, _ := strconv.ParseInt(ts, 10, 64)
	if !events.Verify(r.secret, id, n, body, req.Header.Get(events.HeaderSignature)) {
		r.t.Errorf("delivery %s: bad signature %q", id, req.Header.Get(events.HeaderSignature))
	}
	r.mu.Lock()
	if r.fail > 0 {
		r.fail--
		r.mu.Unlock()
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	var e client.Event
	if err := jsonUnmarshal(body, &e); err != nil || e.ID != id {
		r.t.Errorf("delivery body %s (id header %s): %v", body, id, err)
	}
	r.got = append(r.got, e)
	r.mu.Unlock()
	r.seen <- struct{}{}
	w.WriteHeader(http.StatusNoContent)
}

// waitFor waits until the receiver has accepted n deliveries.
func (r *receiver) waitFor(t *testing.T, n int) []client.Event {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		r.mu.Lock()
		got := append([]client.Event(nil), r.got...)
		r.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-r.seen:
		case <-deadline:
			t.Fatalf("receiver has %d deliveries, want %d: %v", len(got), n, got)
		}
	}
}

// TestEventsLifecycle: a task's events come in order from the JSON form,
// the SSE stream and a signed webhook whose receiver first answers 500;
// a filter narrows them; bad filters and bad URLs are 400s.
func TestEventsLifecycle(t *testing.T) {
	ctx := context.Background()
	n := startNode(t, t.TempDir(), nil)
	c := newClient(t, n)
	rcv, hs := newReceiver(t, "whsec_c2VjcmV0")
	rcv.fail = 2
	if _, err := c.CreateWebhook(ctx, client.WebhookSpec{Name: "hook", URL: hs.URL, Types: []string{"task.*"}, Secret: "whsec_c2VjcmV0"}); err != nil {
		t.Fatal(err)
	}
	stream, err := c.FollowEvents(ctx, client.EventFilter{Types: []string{"task.*"}})
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	wasm, err := os.ReadFile("../tasks/testdata/tasktest.wasm")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PushModule(ctx, "tt", wasm, nil); err != nil {
		t.Fatal(err)
	}
	task, err := c.SubmitTask(ctx, client.TaskSpec{Module: "tt", Input: "n", Tags: []string{"ev"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"task.submitted", "task.queued", "task.started", "task.succeeded"}
	var streamed []string
	for len(streamed) < len(want) {
		e, err := stream.Next()
		if err != nil {
			t.Fatal(err)
		}
		if e.TaskID != task.ID || e.Module != "tt" {
			t.Fatalf("streamed %+v", e)
		}
		streamed = append(streamed, e.Type)
	}
	if !equal(streamed, want) {
		t.Fatalf("streamed %v, want %v", streamed, want)
	}
	page, err := c.Events(ctx, client.EventFilter{Task: task.ID}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for i, e := range page.Events {
		types = append(types, e.Type)
		if i > 0 && e.ID <= page.Events[i-1].ID {
			t.Fatalf("ids out of order: %v", page.Events)
		}
	}
	if !equal(types, want) || page.Next != page.Events[len(page.Events)-1].ID {
		t.Fatalf("page %v next %s", types, page.Next)
	}
	// A module.uploaded preceded them, outside the task filter.
	all, err := c.Events(ctx, client.EventFilter{Types: []string{"module.uploaded"}}, 10)
	if err != nil || len(all.Events) != 1 || all.Events[0].Module != "tt" {
		t.Fatalf("module events %+v %v", all, err)
	}
	got := rcv.waitFor(t, len(want))
	for i, e := range got[:len(want)] {
		if e.Type != want[i] || e.ID != page.Events[i].ID {
			t.Fatalf("delivered %d: %s %s, want %s %s", i, e.Type, e.ID, want[i], page.Events[i].ID)
		}
	}
	ds, err := c.WebhookDeliveries(ctx, "hook")
	if err != nil || len(ds) < 3 { // the last delivery may be recorded after the receiver has it
		t.Fatalf("deliveries %+v %v", ds, err)
	}
	if last := ds[len(ds)-1]; last.Status != 500 || last.NextRetry == nil || last.Error == "" {
		t.Fatalf("first attempt %+v", last)
	}
	// Resuming after the second event gives the rest.
	page, err = c.Events(ctx, client.EventFilter{Task: task.ID, After: page.Events[1].ID}, 0)
	if err != nil || len(page.Events) != 2 || page.Events[0].Type != "task.started" {
		t.Fatalf("after: %+v %v", page, err)
	}

	for _, q := range []string{"type=task.nope", "type=nope.*", "after=zz", "since=yesterday", "limit=0", "limit=1001"} {
		resp, err := http.Get(n.URL() + "/v1/events?" + q)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Errorf("%s: %d, want 400", q, resp.StatusCode)
		}
	}
	for _, u := range []string{"ftp://example.com/x", "http://169.254.169.254/latest", "http://metadata.google.internal/", "http://no-such-host.invalid/"} {
		_, err := c.CreateWebhook(ctx, client.WebhookSpec{Name: "bad", URL: u})
		if !client.IsCode(err, client.CodeInvalidRequest) {
			t.Errorf("webhook %s: %v, want invalid_request", u, err)
		}
	}
	if _, err := c.CreateWebhook(ctx, client.WebhookSpec{Name: "hook", URL: hs.URL}); !client.IsCode(err, client.CodeConflict) {
		t.Errorf("taken name: %v", err)
	}
	resp, err := http.Get(n.URL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metricsText, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`nexus_events_published_total{type="task.succeeded"} `, "nexus_event_subscribers ",
		`nexus_webhook_deliveries_total{outcome="success"} `, `nexus_webhook_deliveries_total{outcome="failure"} 2`,
		"nexus_webhook_delivery_seconds_count ", "nexus_webhook_outbox_depth "} {
		if !strings.Contains(string(metricsText), want) {
			t.Errorf("/metrics has no %q", want)
		}
	}
	if err := c.DeleteWebhook(ctx, "hook"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetWebhook(ctx, "hook"); !client.IsCode(err, client.CodeNotFound) {
		t.Errorf("deleted webhook: %v", err)
	}
}

// TestEventsGone: a cursor older than the events kept answers 410 gone
// with the oldest id.
func TestEventsGone(t *testing.T) {
	ctx := context.Background()
	n := startNode(t, t.TempDir(), nil)
	c := newClient(t, n)
	var first []*events.Event
	for i := range 5 {
		e := &events.Event{Type: events.CacheInvalidated, Time: time.Now().Add(time.Duration(i-10) * time.Hour)}
		first = append(first, e)
	}
	if err := n.DB().AppendEvents(first...); err != nil {
		t.Fatal(err)
	}
	if k, err := n.DB().TrimEvents(time.Now().Add(-7*time.Hour), 0, 0, 100); err != nil || k != 4 {
		t.Fatalf("trimmed %d, %v", k, err)
	}
	_, err := c.Events(ctx, client.EventFilter{After: first[0].ID}, 0)
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Status != 410 || ce.Code != client.CodeGone || ce.Oldest != first[4].ID {
		t.Fatalf("after trimmed cursor: %v", err)
	}
	if _, err := c.FollowEvents(ctx, client.EventFilter{After: first[1].ID}); !client.IsCode(err, client.CodeGone) {
		t.Fatalf("stream after trimmed cursor: %v", err)
	}
	page, err := c.Events(ctx, client.EventFilter{After: first[3].ID}, 0)
	if err != nil || len(page.Events) != 1 || page.Events[0].ID != first[4].ID {
		t.Fatalf("after the last trimmed: %+v %v", page, err)
	}
	if _, err := c.Events(ctx, client.EventFilter{Since: time.Now().Add(-20 * time.Hour)}, 0); !client.IsCode(err, client.CodeGone) {
		t.Fatalf("since before the oldest: %v", err)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// TestEventsPublishers: modules, bundles, the cache, schedules and
// invokes (with EventsInvokes) publish their events; an SSE stream sends
// heartbeats while idle.
func TestEventsPublishers(t *testing.T) {
	ctx := context.Background()
	cfg := node.DefaultConfig()
	cfg.Addr, cfg.DataDir = "127.0.0.1:0", t.TempDir()
	cfg.Logger = slog.New(slog.DiscardHandler)
	cfg.EventsInvokes, cfg.NodeName = true, "pub-node"
	n, err := node.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close(context.Background()) })
	if err := n.Start(ctx); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, n)
	sub, err := n.Bus().SubscribeLive(events.Filter{}, 16)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	next := func(want string) *events.Event {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		for {
			e, err := sub.Next(wctx)
			if err != nil {
				t.Fatalf("waiting for %s: %v", want, err)
			}
			if e.Type == want {
				if e.Node != "pub-node" {
					t.Fatalf("%s from node %q", want, e.Node)
				}
				return e
			}
		}
	}
	wasm, err := os.ReadFile("../tasks/testdata/tasktest.wasm")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PushModule(ctx, "tt", wasm, nil); err != nil {
		t.Fatal(err)
	}
	if e := next(events.ModuleUploaded); e.Module != "tt" || e.Version != 1 {
		t.Fatalf("module.uploaded %+v", e)
	}
	if _, err := c.Invoke(ctx, "tt", []byte("n"), nil); err != nil {
		t.Fatal(err)
	}
	if e := next(events.InvokeFinished); e.Module != "tt" || e.State != "succeeded" || e.TaskID == "" {
		t.Fatalf("invoke.finished %+v", e)
	}
	if _, err := c.Invoke(ctx, "tt", []byte("t"), nil); err == nil {
		t.Fatal("trap invoke succeeded")
	}
	if e := next(events.InvokeFinished); e.State != "failed" || e.Data.ErrorCode != "trap" {
		t.Fatalf("failed invoke.finished %+v", e)
	}
	if _, err := c.InvalidateCache(ctx, client.CacheSelector{Module: "tt"}); err != nil {
		t.Fatal(err)
	}
	if e := next(events.CacheInvalidated); e.Module != "tt" {
		t.Fatalf("cache.invalidated %+v", e)
	}
	var tarball bytes.Buffer
	tw := tar.NewWriter(&tarball)
	tw.WriteHeader(&tar.Header{Name: "a.txt", Mode: 0o644, Size: 2, Typeflag: tar.TypeReg})
	tw.Write([]byte("hi"))
	tw.Close()
	if _, err := c.PushBundle(ctx, "files", &tarball, false); err != nil {
		t.Fatal(err)
	}
	if e := next(events.BundleUploaded); e.Data.Bundle != "files" || e.Version != 1 || e.Data.Digest == "" {
		t.Fatalf("bundle.uploaded %+v", e)
	}
	if err := c.DeleteBundle(ctx, "files", false); err != nil {
		t.Fatal(err)
	}
	if e := next(events.BundleDeleted); e.Data.Bundle != "files" {
		t.Fatalf("bundle.deleted %+v", e)
	}
	tmpl, _ := client.TaskTemplate(client.TaskSpec{Module: "tt", Input: "n"})
	if _, err := c.CreateSchedule(ctx, client.ScheduleSpec{Name: "every", Every: "1s", Task: tmpl}); err != nil {
		t.Fatal(err)
	}
	if e := next(events.ScheduleFired); e.Data.Schedule != "every" || e.Data.Due == nil || e.TaskID == "" {
		t.Fatalf("schedule.fired %+v", e)
	}
	if err := c.DeleteModule(ctx, "tt"); err != nil {
		t.Fatal(err)
	}
	if e := next(events.ModuleDeleted); e.Module != "tt" {
		t.Fatalf("module.deleted %+v", e)
	}
}
