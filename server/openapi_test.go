package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/nexustask/nexus/server"
)

// TestOpenAPIRoutes: every route the server registers is in the
// document with its method, and the document describes no route the
// server lacks, so an endpoint added without a description fails here.
func TestOpenAPIRoutes(t *testing.T) {
	in := start(t, t.TempDir(), server.Config{})
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(server.OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q, want 3.1.0", doc.OpenAPI)
	}
	served := map[string]bool{}
	for _, r := range server.Routes(in.srv) {
		method, path := strings.ToLower(r[0]), r[1]
		if method == "echo_route_not_found" || strings.HasPrefix(method, "echo_") {
			continue
		}
		served[method+" "+path] = true
		if _, ok := doc.Paths[path][method]; !ok {
			t.Errorf("%s %s is served but not in server/openapi.json", r[0], path)
		}
	}
	for path, item := range doc.Paths {
		for method := range item {
			if !served[method+" "+path] {
				t.Errorf("server/openapi.json describes %s %s, which is not served", strings.ToUpper(method), path)
			}
		}
	}
}

// TestOpenAPIServed: GET /v1/openapi.json is the document, and /docs
// renders it from embedded assets only.
func TestOpenAPIServed(t *testing.T) {
	in := start(t, t.TempDir(), server.Config{})
	res, body := do(t, http.MethodGet, in.URL+"/v1/openapi.json", "", nil)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") || string(body) != string(server.OpenAPI()) {
		t.Fatalf("GET /v1/openapi.json: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	res, page := do(t, http.MethodGet, in.URL+"/docs", "", nil)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /docs: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	// Every asset the page loads is served here; none comes from elsewhere.
	assets := regexp.MustCompile(`(?:src|href)="([^"#]+)"`).FindAllStringSubmatch(string(page), -1)
	if len(assets) < 2 {
		t.Fatalf("the page loads %d assets:\n%s", len(assets), page)
	}
	for _, a := range assets {
		u := a[1]
		if strings.Contains(u, "//") {
			t.Errorf("/docs loads %s from elsewhere", u)
			continue
		}
		r, err := http.Get(in.URL + u)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if r.StatusCode != 200 || len(b) == 0 || strings.Contains(string(b), "https://") {
			t.Errorf("GET %s: %d, %d bytes", u, r.StatusCode, len(b))
		}
	}
	if res, _ := do(t, http.MethodGet, in.URL+"/docs/nothing.js", "", nil); res.StatusCode != 404 {
		t.Errorf("GET /docs/nothing.js: %d", res.StatusCode)
	}
}
