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

	"github.com/labstack/echo/v4"
	"github.com/nexustask/nexus/cache"
	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/internal/executor"
	"github.com/nexustask/nexus/internal/logline"
	"github.com/nexustask/nexus/internal/metrics"
	"github.com/nexustask/nexus/internal/store"
	"github.com/nexustask/nexus/modules"
	"github.com/nexustask/nexus/server"
)

// benchBody is the 64-byte body of the benchmarks, as bench/cmd/loadgen sends.
var benchBody = bytes.Repeat([]byte("nexus-64"), 8)

// BenchmarkCacheHit serves a cached invocation of a pure echo module
// through the whole HTTP handler (routing, request log, parameters,
// registry, key, cache), in process, next to a plain Echo handler that
// echoes its body: the reference. Both read the body and write it back.
//
// nexus-cache-hit runs with the default request log (every request);
// nexus-cache-hit-logerrors logs failed requests only (none here), to show
// what formatting the per-request line costs.
func BenchmarkCacheHit(b *testing.B) {
	h := benchServer(b, server.RequestLogAll)
	b.Run("nexus-cache-hit", func(b *testing.B) {
		benchHandler(b, h, "/v1/modules/pecho/invoke?cache_ttl=1h", "hit")
	})
	errorsOnly := benchServer(b, server.RequestLogErrors)
	b.Run("nexus-cache-hit-logerrors", func(b *testing.B) {
		benchHandler(b, errorsOnly, "/v1/modules/pecho/invoke?cache_ttl=1h", "hit")
	})
	b.Run("echo-baseline", func(b *testing.B) {
		benchHandler(b, newBaseline(), "/echo", "")
	})
}

// BenchmarkInvokeFresh serves an uncached invocation of the same pure
// echo through the whole handler: a fresh instance for every request, as
// the loadgen's WAT echo target, in process.
func BenchmarkInvokeFresh(b *testing.B) {
	h := benchServer(b, server.RequestLogAll)
	benchHandler(b, h, "/v1/modules/pecho/invoke", "bypass")
}

// benchHandler posts benchBody to path on h b.N times, checking each answer.
func benchHandler(b *testing.B, h http.Handler, path, cacheHeader string) {
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(benchBody))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || !bytes.Equal(rec.Body.Bytes(), benchBody) || rec.Header().Get(server.HeaderCache) != cacheHeader {
			b.Fatalf("%d %q %q", rec.Code, rec.Body.Bytes(), rec.Header().Get(server.HeaderCache))
		}
	}
}

// benchServer is a server wired as nexus serve wires it (the request log
// set to requests, at level info, formatted and discarded), with
// pure_echo.wasm uploaded as pecho and its result for benchBody cached.
func benchServer(b *testing.B, requests server.RequestLog) http.Handler {
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
	if err := reg.Load(ctx); err != nil {
		b.Fatal(err)
	}
	exec, err := executor.New(executor.DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { exec.Close(ctx) })
	rc, err := cache.New(cache.DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(rc.Close)
	srv := server.New(reg, rt, exec, metrics.New(reg.Len), server.Config{
		Logger:     slog.New(logline.New(io.Discard, false, nil)),
		RequestLog: requests,
		Cache:      rc,
	})
	srv.SetReady(true)
	wasm, err := os.ReadFile("testdata/pure_echo.wasm")
	if err != nil {
		b.Fatal(err)
	}
	if _, _, err := reg.Put(ctx, "pecho", wasm); err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/v1/modules/pecho/invoke?cache_ttl=1h", bytes.NewReader(benchBody))
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || rec.Header().Get(server.HeaderCache) != "miss" {
		b.Fatalf("first invoke: %d %s", rec.Code, rec.Body.Bytes())
	}
	return srv.Handler()
}

// newBaseline is a plain Echo server whose one route, POST /echo, answers
// with the request body (bench/cmd/loadgen's baseline).
func newBaseline() http.Handler {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.POST("/echo", func(c echo.Context) error {
		body, err := io.ReadAll(c.Request().Body)
		if err != nil {
			return err
		}
		return c.Blob(http.StatusOK, "application/octet-stream", body)
	})
	return e
}
