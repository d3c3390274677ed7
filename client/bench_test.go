package client_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/nexustask/nexus/client"
)

// newEchoAPI answers POST /v1/modules/echo/invoke with the request body
// and the headers of a NexusTask invocation, at a cost close to nothing,
// so the benchmarks below measure the client side of a request.
func newEchoAPI() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h := w.Header()
		h.Set(client.HeaderTaskID, "01a251e6cc33d282a696c80a8680912a")
		h.Set(client.HeaderModuleVersion, "1")
		h.Set(client.HeaderDurationMs, "0.106")
		h.Set(client.HeaderFuelUsed, "55")
		h.Set(client.HeaderCache, client.CacheBypass)
		h.Set("Content-Type", "application/octet-stream")
		w.Write(body)
	}))
}

// BenchmarkInvoke is one invocation through Client.Invoke.
func BenchmarkInvoke(b *testing.B) {
	hs := newEchoAPI()
	defer hs.Close()
	c, err := client.New(hs.URL)
	if err != nil {
		b.Fatal(err)
	}
	body := bytes.Repeat([]byte("x"), 64)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		res, err := c.Invoke(ctx, "echo", body, nil)
		if err != nil || len(res.Output) != len(body) {
			b.Fatal(err)
		}
	}
}

// BenchmarkInvokeRaw is the same request made by hand with net/http, as a
// load generator does: the reference of BenchmarkInvoke.
func BenchmarkInvokeRaw(b *testing.B) {
	hs := newEchoAPI()
	defer hs.Close()
	url := hs.URL + "/v1/modules/echo/invoke"
	body := bytes.Repeat([]byte("x"), 64)
	ctx := context.Background()
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/octet-stream")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		buf.Reset()
		_, err = buf.ReadFrom(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || buf.Len() != len(body) {
			b.Fatal(resp.Status, err)
		}
	}
}
