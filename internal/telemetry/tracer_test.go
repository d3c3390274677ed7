package telemetry_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/nexustask/nexus/internal/telemetry"
	"github.com/nexustask/nexus/internal/telemetry/otlptest"
)

// env returns a Getenv over m.
func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// exportOne starts a span tree (a server span for a request with a
// traceparent, a child with an event) on tr and flushes it.
func exportOne(t *testing.T, tr *telemetry.Tracer) {
	t.Helper()
	req := httptest.NewRequest("POST", "http://127.0.0.1:8080/v1/tasks", nil)
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	ctx, srv := tr.StartServer(req, "/v1/tasks")
	_, child := tr.Start(ctx, "child", time.Time{}, telemetry.String("k", "v"), telemetry.Int("n", 3))
	child.Event("happened", telemetry.Bool("b", true))
	child.Fail(errors.New("it broke"), "trap")
	child.End()
	srv.End()
	if err := tr.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestExportHTTPAndGRPC: a tracer exports over OTLP/HTTP (the default
// protocol) and over gRPC to real receivers, which decode the spans with
// their parents, attributes, events and status.
func TestExportHTTPAndGRPC(t *testing.T) {
	httpRcv := otlptest.New()
	defer httpRcv.Close()
	grpcRcv, err := otlptest.NewGRPC()
	if err != nil {
		t.Fatal(err)
	}
	defer grpcRcv.Close()
	for name, cfg := range map[string]telemetry.Config{
		"http":     {Endpoint: httpRcv.URL(), Sample: 1, Getenv: env(nil)},
		"http-env": {Sample: -1, Getenv: env(map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": httpRcv.URL() + "/v1/traces"})},
		"grpc":     {Endpoint: grpcRcv.Addr(), Protocol: telemetry.ProtocolGRPC, Sample: 1, Getenv: env(nil)},
		"grpc-env": {Endpoint: grpcRcv.Addr(), Sample: -1, Getenv: env(map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"})},
	} {
		t.Run(name, func(t *testing.T) {
			rcv := httpRcv
			if name[:4] == "grpc" {
				rcv = grpcRcv
			}
			before := len(rcv.Spans())
			tr, err := telemetry.New(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Shutdown(context.Background())
			if !tr.Enabled() {
				t.Fatal("tracer off")
			}
			exportOne(t, tr)
			spans, ok := rcv.Wait(10*time.Second, func(s []otlptest.Span) bool { return len(s) >= before+2 })
			if !ok {
				t.Fatalf("%d spans", len(spans)-before)
			}
			spans = spans[before:]
			child := otlptest.Named(spans, "child")
			if len(child) != 1 || otlptest.Path(spans, child[0]) != "[00f067aa0ba902b7] → POST /v1/tasks → child" {
				t.Fatalf("spans %+v", spans)
			}
			c := child[0]
			if c.Attrs["k"] != "v" || c.Attrs["n"] != "3" || c.Attrs["error.type"] != "trap" || !c.StatusError ||
				len(c.Events) != 2 || c.Events[0].Name != "happened" || c.Events[0].Attrs["b"] != "true" {
				t.Errorf("child %+v", c)
			}
		})
	}
}

// TestOff: without an endpoint (flag or environment) the tracer is off:
// its spans are zero Spans and nothing is exported.
func TestOff(t *testing.T) {
	tr, err := telemetry.New(context.Background(), telemetry.Config{Sample: 1, Getenv: env(nil)})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Enabled() {
		t.Fatal("tracing on without an endpoint")
	}
	ctx, s := tr.Start(context.Background(), "x", time.Time{})
	if s.Recording() || ctx != context.Background() {
		t.Fatal("an off tracer made a span")
	}
	s.End() // a zero Span does nothing
}

// TestConfigErrors: a protocol, sample or sampler out of range is refused.
func TestConfigErrors(t *testing.T) {
	for name, cfg := range map[string]telemetry.Config{
		"protocol":    {Endpoint: "127.0.0.1:1", Protocol: "udp", Getenv: env(nil)},
		"sample":      {Endpoint: "127.0.0.1:1", Sample: 2, Getenv: env(nil)},
		"sampler":     {Endpoint: "127.0.0.1:1", Sample: -1, Getenv: env(map[string]string{"OTEL_TRACES_SAMPLER": "sometimes"})},
		"sampler arg": {Endpoint: "127.0.0.1:1", Sample: -1, Getenv: env(map[string]string{"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "x"})},
		"env proto":   {Sample: 1, Getenv: env(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"})},
	} {
		if _, err := telemetry.New(context.Background(), cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := telemetry.ParseSample("1.5"); err == nil {
		t.Error("sample 1.5 accepted")
	}
}
