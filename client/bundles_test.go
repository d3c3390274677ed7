package client_test

import (
	"archive/tar"
	"bytes"
	"context"
	"net/http"
	"testing"

	"github.com/nexustask/nexus/client"
)

const fsprobeWasm = "../host/testdata/fsprobe.wasm" // wasi-command: walks, writes and probes a mounted directory

func tarOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, name := range []string{"a.txt", "dir/b.txt"} {
		body, ok := files[name]
		if !ok {
			continue
		}
		must(t, tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}))
		tw.Write([]byte(body))
	}
	must(t, tw.Close())
	return buf.Bytes()
}

func TestBundles(t *testing.T) {
	_, c := newServer(t, nil)
	ctx := context.Background()
	archive := tarOf(t, map[string]string{"a.txt": "alpha\n", "dir/b.txt": "beta\n"})
	v, err := c.PushBundle(ctx, "data", bytes.NewReader(archive), false)
	if err != nil || !v.Created || v.Version != 1 || v.Files != 2 || v.Bytes != 11 {
		t.Fatalf("push: %+v %v", v, err)
	}
	again, err := c.PushBundle(ctx, "data", bytes.NewReader(archive), false)
	if err != nil || again.Created || again.BundleVersion != v.BundleVersion {
		t.Fatalf("push again: %+v %v", again, err)
	}
	list, err := c.ListBundles(ctx)
	if err != nil || len(list.Bundles) != 1 || list.Bundles[0] != v.BundleVersion {
		t.Fatalf("list: %+v %v", list, err)
	}
	got, err := c.GetBundle(ctx, "data", true, 0)
	if err != nil || len(got.Versions) != 1 || got.Version != 1 || len(got.Files) != 3 || got.Files[2].Path != "dir/b.txt" {
		t.Fatalf("get: %+v %v", got, err)
	}

	push(t, c, "fsprobe", fsprobeWasm)
	m, err := client.ParseMount("data@1:/data")
	if err != nil || m != (client.Mount{Bundle: "data", Version: 1, Path: "/data"}) || m.String() != "data@1:/data" {
		t.Fatalf("ParseMount: %+v %v", m, err)
	}
	res, err := c.Invoke(ctx, "fsprobe", []byte("walk /data"), &client.InvokeOptions{Mounts: []string{m.String()}})
	want := "f a.txt 6\nalpha\n\nd dir\nf dir/b.txt 5\nbeta\n\n"
	if err != nil || string(res.Output) != want {
		t.Fatalf("invoke: %q %v", res.Output, err)
	}
	task, err := c.SubmitTask(ctx, client.TaskSpec{Module: "fsprobe", Input: "walk /d", Mounts: []client.Mount{{Bundle: "data", Path: "/d", Mode: client.MountReadWrite}}})
	if err != nil || len(task.Mounts) != 1 || task.Mounts[0].Digest != v.Digest {
		t.Fatalf("submit: %+v %v", task, err)
	}
	if _, err := c.Invoke(ctx, "fsprobe", []byte("walk /d"), &client.InvokeOptions{Mounts: []string{"nope:/d"}}); apiError(t, err).Code != client.CodeBundleNotFound {
		t.Fatalf("unknown bundle: %v", err)
	}
	if _, err := client.ParseMount("data:relative"); err == nil {
		t.Fatal("ParseMount accepted a relative path")
	}
	_, err = c.PushBundle(ctx, "bad", bytes.NewReader([]byte("not a tar archive at all")), false)
	if e := apiError(t, err); e.Status != http.StatusBadRequest || e.Code != client.CodeInvalidRequest {
		t.Fatalf("bad archive: %+v", e)
	}
	must(t, c.DeleteBundle(ctx, "data", true))
	if _, err := c.GetBundle(ctx, "data", false, 0); apiError(t, err).Code != client.CodeBundleNotFound {
		t.Fatalf("get after delete: %v", err)
	}
}
