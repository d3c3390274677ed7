package ui_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nexustask/nexus/internal/node"
)

// startNode starts a node on a temporary directory and a free port, and
// closes it when the test ends.
func startNode(t testing.TB, edit func(*node.Config)) *node.Node {
	t.Helper()
	cfg := node.DefaultConfig()
	cfg.Addr, cfg.DataDir = "127.0.0.1:0", t.TempDir()
	cfg.Logger = slog.New(slog.DiscardHandler)
	if edit != nil {
		edit(&cfg)
	}
	n, err := node.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close(context.Background()) })
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return n
}

// noRedirect is a client that answers redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// TestRoutes: / redirects to /ui/, every /ui/ path that is not an asset
// answers index.html (so a page's URL reloads), assets answer with their
// type, and the page may load nothing from elsewhere.
func TestRoutes(t *testing.T) {
	n := startNode(t, nil)
	get := func(path string) (*http.Response, string) {
		t.Helper()
		res, err := noRedirect.Get(n.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	res, _ := get("/")
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != "/ui/" {
		t.Fatalf("GET /: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	index, err := os.ReadFile("assets/index.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/ui/", "/ui/tasks", "/ui/tasks/0123abc", "/ui/modules/echo", "/ui/workflows/w1", "/ui/schedules/nightly?x=1", "/ui/no/such/page.js"} {
		res, body := get(p)
		if res.StatusCode != http.StatusOK || body != string(index) || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
			t.Errorf("GET %s: %d %s, not index.html", p, res.StatusCode, res.Header.Get("Content-Type"))
		}
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
			t.Errorf("GET %s: Content-Security-Policy %q", p, csp)
		}
	}
	for p, typ := range map[string]string{"/ui/app.js": "text/javascript", "/ui/app.css": "text/css", "/ui/favicon.svg": "image/svg+xml"} {
		res, body := get(p)
		want, _ := os.ReadFile(filepath.Join("assets", strings.TrimPrefix(p, "/ui/")))
		if res.StatusCode != http.StatusOK || body != string(want) || !strings.HasPrefix(res.Header.Get("Content-Type"), typ) {
			t.Errorf("GET %s: %d %s", p, res.StatusCode, res.Header.Get("Content-Type"))
		}
	}
	res, err = http.Post(n.URL()+"/ui/tasks", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /ui/tasks: %d", res.StatusCode)
	}
}

// TestAssetsSmall: everything the dashboard can load, every asset
// gzipped, is within the first load's budget of 500 KiB, and no asset
// names a host to load from.
func TestAssetsSmall(t *testing.T) {
	var total int
	err := fs.WalkDir(os.DirFS("assets"), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(filepath.Join("assets", path))
		if err != nil {
			return err
		}
		for _, bad := range []string{"http://", "https://", "//cdn", "@import url("} {
			if i := bytes.Index(b, []byte(bad)); i >= 0 && !bytes.Contains(b[max(0, i-40):i], []byte("xmlns")) &&
				!bytes.Contains(b[max(0, i-20):i], []byte("NS = ")) {
				t.Errorf("%s names %q: the dashboard loads nothing from elsewhere", path, bad)
			}
		}
		var z bytes.Buffer
		w, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
		w.Write(b)
		w.Close()
		total += z.Len()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("all assets: %d bytes gzipped", total)
	if total > 500<<10 {
		t.Errorf("assets are %d bytes gzipped, past the 500 KiB of a first load", total)
	}
}
