package server_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/nexustask/nexus/cache"
	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/internal/executor"
	"github.com/nexustask/nexus/internal/logline"
	"github.com/nexustask/nexus/internal/metrics"
	"github.com/nexustask/nexus/internal/store"
	"github.com/nexustask/nexus/internal/tasks"
	"github.com/nexustask/nexus/internal/telemetry"
	"github.com/nexustask/nexus/internal/telemetry/otlptest"
	"github.com/nexustask/nexus/modules"
	"github.com/nexustask/nexus/server"
)

// BenchmarkInvokeTracing serves uncached invocations of the pure echo
// through the whole handler, as BenchmarkInvokeFresh, with tracing off
// (no exporter: the server as nexus serve runs it without an endpoint)
// and on at sampling 1.0, every request's spans (the request, queue,
// executor.wait, instantiate, run) exported in batches over OTLP/HTTP to
// a receiver on 127.0.0.1 that decodes them. The two alternate in one
// run: compare them with benchstat -col /tracing.
func BenchmarkInvokeTracing(b *testing.B) {
	rcv := otlptest.New()
	b.Cleanup(rcv.Close)
	on, err := telemetry.New(context.Background(), telemetry.Config{Endpoint: rcv.URL(), Sample: 1})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { on.Shutdown(context.Background()) })
	off := tracedServer(b, nil)
	traced := tracedServer(b, on)
	b.Run("tracing=off", func(b *testing.B) { benchHandler(b, off, "/v1/modules/pecho/invoke", "bypass") })
	b.Run("tracing=on", func(b *testing.B) { benchHandler(b, traced, "/v1/modules/pecho/invoke", "bypass") })
	if err := on.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
	if len(rcv.Spans()) == 0 {
		b.Fatal("no span reached the receiver")
	}
}

// tracedServer is benchServer's server without a result cache, with tr
// (nil: off) as its tracer and the run path's Trace middleware if on.
func tracedServer(b *testing.B, tr *telemetry.Tracer) http.Handler {
	dir := b.TempDir()
	ctx := context.Background()
	db, err := store.Open(dir, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	hcfg := host.DefaultConfig()
	hcfg.CacheDir, hcfg.KV = filepath.Join(dir, "compiled"), db
	rt, err := host.New(ctx, hcfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { rt.Close(ctx) })
	reg := modules.New(db, rt, modules.DefaultConfig())
	exec, err := executor.New(executor.DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { exec.Close(ctx) })
	m := metrics.New(reg.Len)
	var rc *cache.Cache
	mw := []tasks.Middleware{tasks.Cache(rc), tasks.Metrics(m)}
	if tr.Enabled() {
		mw = append(mw, tasks.Trace(tr))
	}
	runner := tasks.NewRunner(tasks.RunnerConfig{Registry: reg, Runtime: rt, Exec: exec, InFlight: m.InFlight}, mw...)
	srv := server.New(reg, rt, exec, m, server.Config{
		Logger: slog.New(logline.New(io.Discard, false, nil)),
		Runner: runner,
		Tracer: tr,
	})
	srv.SetReady(true)
	wasm, err := os.ReadFile("testdata/pure_echo.wasm")
	if err != nil {
		b.Fatal(err)
	}
	if _, _, err := reg.Put(ctx, "pecho", wasm); err != nil {
		b.Fatal(err)
	}
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/modules/pecho/invoke", bytes.NewReader(benchBody)))
	if rec.Code != http.StatusOK {
		b.Fatalf("first invoke: %d %s", rec.Code, rec.Body.Bytes())
	}
	return srv.Handler()
}
