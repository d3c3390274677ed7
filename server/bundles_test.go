package server_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nexustask/nexus/internal/bundle"
	"github.com/nexustask/nexus/server"
)

// bundleFile is one entry of a test bundle: a file (body), a directory
// (dir) or a symbolic link (link).
type bundleFile struct {
	path, body, link string
	dir              bool
}

// testBundle is the tree the HTTP tests upload, in the order fsprobe's
// walk prints it (sorted by name, depth first).
var testBundle = []bundleFile{
	{path: "a.txt", body: "alpha\n"},
	{path: "gone.txt", body: "to be removed\n"},
	{path: "link", link: "a.txt"},
	{path: "log.txt", body: "first line\n"},
	{path: "sub", dir: true},
	{path: "sub/b.bin", body: "\x00\x01\xff binary"},
}

func tarBundle(t *testing.T, files []bundleFile) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.path, Mode: 0o644, Typeflag: tar.TypeReg, Size: int64(len(f.body))}
		switch {
		case f.dir:
			h.Typeflag, h.Size, h.Name = tar.TypeDir, 0, f.path+"/"
		case f.link != "":
			h.Typeflag, h.Size, h.Linkname = tar.TypeSymlink, 0, f.link
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(f.body))
	}
	tw.Close()
	return buf.Bytes()
}

// walkOutput is what fsprobe's walk prints for files.
func walkOutput(files []bundleFile) string {
	var b strings.Builder
	for _, f := range files {
		switch {
		case f.dir:
			fmt.Fprintf(&b, "d %s\n", f.path)
		case f.link != "":
			fmt.Fprintf(&b, "l %s -> %s\n", f.path, f.link)
		default:
			fmt.Fprintf(&b, "f %s %d\n%s\n", f.path, len(f.body), f.body)
		}
	}
	return b.String()
}

func invokeMounted(t *testing.T, base, module, input string, mounts ...string) (int, []byte) {
	t.Helper()
	q := url.Values{"mount": mounts}
	resp, body := do(t, http.MethodPost, base+"/v1/modules/"+module+"/invoke?"+q.Encode(), "", []byte(input))
	return resp.StatusCode, body
}

func TestBundlesHTTP(t *testing.T) {
	dir := t.TempDir()
	in := start(t, dir, server.Config{})
	archive := tarBundle(t, testBundle)
	resp, body := do(t, http.MethodPost, in.URL+"/v1/bundles/data", "application/x-tar", archive)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("push: %d %s", resp.StatusCode, body)
	}
	v := decode[bundle.Version](t, body)
	if v.Name != "data" || v.Version != 1 || v.Files != 4 || v.Bytes != 41 || v.CreatedAt.IsZero() || !strings.HasPrefix(v.Digest, "sha256:") {
		t.Fatalf("version %+v", v)
	}
	// The same tree, compressed: 200 with the same version.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(archive)
	zw.Close()
	req, _ := http.NewRequest(http.MethodPost, in.URL+"/v1/bundles/data", bytes.NewReader(gz.Bytes()))
	req.Header.Set("Content-Type", "application/x-tar")
	req.Header.Set("Content-Encoding", "gzip")
	r2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.StatusCode != http.StatusOK {
		t.Fatalf("same content again: %d", r2.StatusCode)
	}
	code, _, body := doReq(t, http.MethodGet, in.URL+"/v1/bundles", "")
	if code != 200 || !strings.Contains(string(body), v.Digest) {
		t.Fatalf("list: %d %s", code, body)
	}
	_, _, body = doReq(t, http.MethodGet, in.URL+"/metrics", "")
	for _, want := range []string{`nexus_bundle_uploads_total{result="created"} 1`, `nexus_bundle_uploads_total{result="existing"} 1`,
		"nexus_bundle_upload_bytes_total 41", "nexus_bundles 1", "nexus_bundle_mounts_held 0"} {
		if !strings.Contains(string(body), want+"\n") {
			t.Errorf("metrics lack %q", want)
		}
	}
	code, _, body = doReq(t, http.MethodGet, in.URL+"/v1/bundles/data?files=1", "")
	files := decode[struct {
		Versions []bundle.Version
		Files    []bundle.Entry
	}](t, body)
	if code != 200 || len(files.Versions) != 1 || len(files.Files) != len(testBundle) || files.Files[5].Path != "sub/b.bin" {
		t.Fatalf("get: %d %s", code, body)
	}

	for _, m := range []struct{ name, path string }{{"fsprobe", "../host/testdata/fsprobe.wasm"}, {"fsprobe1", "../host/testdata/fsprobe_v1.wasm"}} {
		if resp, _ := upload(t, in.URL, m.name, readFile(t, m.path)); resp.StatusCode != http.StatusCreated {
			t.Fatalf("upload %s: %d", m.name, resp.StatusCode)
		}
		code, out := invokeMounted(t, in.URL, m.name, "walk /data", "data:/data")
		if code != 200 || string(out) != walkOutput(testBundle) {
			t.Fatalf("%s walk: %d\n%s", m.name, code, out)
		}
		code, out = invokeMounted(t, in.URL, m.name, "walk /", "data@1:/:ro")
		if code != 200 || string(out) != walkOutput(testBundle) {
			t.Fatalf("%s walk of /: %d\n%s", m.name, code, out)
		}
		code, out = invokeMounted(t, in.URL, m.name, "write /data", "data:/data:rw")
		if code != 200 || !strings.HasPrefix(string(out), "mkdir new: ok\n/data/new/out.txt: ok\n") || !strings.Contains(string(out), "f new/out.txt 21\nwritten by the guest\n") {
			t.Fatalf("%s write: %d\n%s", m.name, code, out)
		}
	}
	// The rw task's writes went to its own copy.
	if _, out := invokeMounted(t, in.URL, "fsprobe", "walk /data", "data:/data"); string(out) != walkOutput(testBundle) {
		t.Fatalf("after rw tasks:\n%s", out)
	}

	// A durable task mounts the same way.
	code, _, body = doReq(t, http.MethodPost, in.URL+"/v1/tasks", `{"module":"fsprobe1","input":"walk /d","mounts":[{"bundle":"data","path":"/d"}]}`)
	task := decode[server.TaskView](t, body)
	if code != http.StatusAccepted || len(task.Mounts) != 1 || task.Mounts[0].Digest != v.Digest || task.Mounts[0].Version != 1 || task.Mounts[0].Mode != "ro" {
		t.Fatalf("submit: %d %s", code, body)
	}
	code, _, body = doReq(t, http.MethodGet, in.URL+"/v1/tasks/"+task.ID+"/result?wait=60s", "")
	if code != 200 || string(body) != walkOutput(testBundle) {
		t.Fatalf("task result: %d\n%s", code, body)
	}

	// Errors: an unknown bundle, a bad mount, a hostile archive.
	for _, tt := range []struct {
		call   func() (int, []byte)
		status int
		want   string
	}{
		{call: func() (int, []byte) { return invokeMounted(t, in.URL, "fsprobe", "walk /d", "nope:/d") }, status: 404, want: "bundle_not_found"},
		{call: func() (int, []byte) { return invokeMounted(t, in.URL, "fsprobe", "walk /d", "data:d") }, status: 400, want: "invalid_request"},
		{call: func() (int, []byte) { return invokeMounted(t, in.URL, "fsprobe", "walk /d", "data@9:/d") }, status: 404, want: "bundle_not_found"},
		{call: func() (int, []byte) {
			resp, body := do(t, http.MethodPost, in.URL+"/v1/bundles/evil", "application/x-tar", tarBundle(t, []bundleFile{{path: "ok", body: "x"}, {path: "../../etc/cron.d/x", body: "x"}}))
			return resp.StatusCode, body
		}, status: 400, want: `../../etc/cron.d/x`},
		{call: func() (int, []byte) {
			resp, body := do(t, http.MethodPost, in.URL+"/v1/bundles/evil", "application/x-tar", tarBundle(t, []bundleFile{{path: "l", link: "/etc/passwd"}}))
			return resp.StatusCode, body
		}, status: 400, want: `invalid_request`},
		{call: func() (int, []byte) {
			code, _, body := doReq(t, http.MethodGet, in.URL+"/v1/bundles/evil", "")
			return code, body
		}, status: 404, want: "bundle_not_found"},
	} {
		status, body := tt.call()
		if status != tt.status || !strings.Contains(string(body), tt.want) {
			t.Errorf("%d %s, want %d with %q", status, body, tt.status, tt.want)
		}
	}

	// Survives a restart, and is still mountable.
	in.stop()
	in = start(t, dir, server.Config{})
	if code, out := invokeMounted(t, in.URL, "fsprobe", "walk /data", "data:/data"); code != 200 || string(out) != walkOutput(testBundle) {
		t.Fatalf("after restart: %d\n%s", code, out)
	}

	// A waiting task that mounts the bundle holds its deletion, unless
	// forced; forced, the task is canceled.
	code, _, body = doReq(t, http.MethodPost, in.URL+"/v1/tasks", `{"module":"fsprobe","input":"walk /d","delay_ms":3600000,"mounts":[{"bundle":"data","path":"/d"}]}`)
	waiting := decode[server.TaskView](t, body)
	if code != http.StatusAccepted {
		t.Fatalf("submit: %d %s", code, body)
	}
	code, _, body = doReq(t, http.MethodDelete, in.URL+"/v1/bundles/data", "")
	if code != http.StatusConflict || !strings.Contains(string(body), waiting.ID) {
		t.Fatalf("delete while mounted: %d %s", code, body)
	}
	if code, _, body = doReq(t, http.MethodDelete, in.URL+"/v1/bundles/data?force=1", ""); code != http.StatusNoContent {
		t.Fatalf("forced delete: %d %s", code, body)
	}
	code, _, body = doReq(t, http.MethodGet, in.URL+"/v1/tasks/"+waiting.ID, "")
	if rec := decode[server.TaskView](t, body); code != 200 || rec.State != "canceled" {
		t.Fatalf("task of a force-deleted bundle: %d %s", code, body)
	}
	if code, _, _ = doReq(t, http.MethodGet, in.URL+"/v1/bundles/data", ""); code != http.StatusNotFound {
		t.Fatalf("get after delete: %d", code)
	}
	if code, _, _ = doReq(t, http.MethodDelete, in.URL+"/v1/bundles/data", ""); code != http.StatusNotFound {
		t.Fatalf("second delete: %d", code)
	}
}

// TestScheduleTemplateMounts: a schedule's template takes mounts as a
// task does, and a bad one is refused when the schedule is created.
func TestScheduleTemplateMounts(t *testing.T) {
	in := start(t, t.TempDir(), server.Config{})
	for _, tt := range []struct {
		body   string
		status int
	}{
		{`{"name":"ok","every":"1h","task":{"module":"fsprobe","input":"walk /data","mounts":[{"bundle":"data","path":"/data","mode":"rw"}]}}`, http.StatusCreated},
		{`{"name":"rel","every":"1h","task":{"module":"fsprobe","mounts":[{"bundle":"data","path":"data"}]}}`, http.StatusBadRequest},
		{`{"name":"mode","every":"1h","task":{"module":"fsprobe","mounts":[{"bundle":"data","path":"/d","mode":"wx"}]}}`, http.StatusBadRequest},
		{`{"name":"twice","every":"1h","task":{"module":"fsprobe","mounts":[{"bundle":"a","path":"/d"},{"bundle":"b","path":"/d"}]}}`, http.StatusBadRequest},
	} {
		code, _, body := doReq(t, http.MethodPost, in.URL+"/v1/schedules", tt.body)
		if code != tt.status {
			t.Errorf("%s: %d %s, want %d", tt.body, code, body, tt.status)
		}
	}
	code, _, body := doReq(t, http.MethodGet, in.URL+"/v1/schedules/ok", "")
	if code != 200 || !strings.Contains(string(body), `"mounts":[{"bundle":"data","path":"/data","mode":"rw"}]`) {
		t.Fatalf("schedule: %d %s", code, body)
	}
}

// TestDeleteBundleHeldByInvoke: a running invoke that mounts a bundle holds
// its deletion (409); forced, the bundle is deleted at once while the
// invoke keeps its mount, and its files go when the invoke ends.
func TestDeleteBundleHeldByInvoke(t *testing.T) {
	dir := t.TempDir()
	in := start(t, dir, server.Config{})
	upload(t, in.URL, "count", readFile(t, "../host/testdata/count.wasm"))
	if resp, body := do(t, http.MethodPost, in.URL+"/v1/bundles/data", "application/x-tar", tarBundle(t, testBundle)); resp.StatusCode != http.StatusCreated {
		t.Fatalf("push: %d %s", resp.StatusCode, body)
	}
	// A task far longer than the test, canceled at its end.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, in.URL+"/v1/modules/count/invoke?fuel=1e12&timeout=10m&mount=data:/data", bytes.NewReader(countInput(4_000_000_000)))
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	waitMetric(t, in.URL, "nexus_bundle_mounts_held", "1")
	code, _, body := doReq(t, http.MethodDelete, in.URL+"/v1/bundles/data", "")
	if code != http.StatusConflict || !strings.Contains(string(body), "conflict") {
		cancel()
		t.Fatalf("delete while an invoke mounts it: %d %s", code, body)
	}
	if code, _, body = doReq(t, http.MethodDelete, in.URL+"/v1/bundles/data?force=1", ""); code != http.StatusNoContent {
		cancel()
		t.Fatalf("forced delete: %d %s", code, body)
	}
	trees := filepath.Join(dir, "bundles", "trees")
	if es, _ := os.ReadDir(trees); len(es) != 1 {
		t.Errorf("the running invoke's tree was removed under it (%d trees)", len(es))
	}
	cancel()
	<-done
	// The invoke's release of the mount collects the files; the client
	// may see the invoke end first (poll: no event marks the release).
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if es, _ := os.ReadDir(trees); len(es) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the tree of the force-deleted bundle is still there after the invoke ended")
		}
	}
}
