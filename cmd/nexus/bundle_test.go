package main_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// fixtureDir makes a directory for bundle push: files, a nested one and a
// link inside the tree.
func fixtureDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for p, body := range map[string]string{"a.txt": "alpha\n", "sub/b.txt": "beta\n"} {
		must(t, os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755))
		must(t, os.WriteFile(filepath.Join(dir, p), []byte(body), 0o644))
	}
	must(t, os.Symlink("a.txt", filepath.Join(dir, "link")))
	return dir
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

const fixtureWalk = "f a.txt 6\nalpha\n\nl link -> a.txt\nd sub\nf sub/b.txt 5\nbeta\n\n"

func TestBundleCLI(t *testing.T) {
	must := mustf(t)
	d := startDaemon(t, t.TempDir())
	must(nexus(t, d, "module", "push", "fsprobe", "../../host/testdata/fsprobe.wasm"))
	dir := fixtureDir(t)
	if out := must(nexus(t, d, "bundle", "push", "data", dir)); !strings.HasPrefix(out, "stored data version 1 (2 files, 11 bytes, sha256:") {
		t.Fatalf("push: %q", out)
	}
	if out := must(nexus(t, d, "bundle", "push", "data", dir)); !strings.HasPrefix(out, "unchanged data version 1") {
		t.Fatalf("push again: %q", out)
	}
	if out := must(nexus(t, d, "bundle", "ls")); !strings.Contains(out, "data  ") || !strings.Contains(out, "NAME") {
		t.Fatalf("ls: %q", out)
	}
	if out := must(nexus(t, d, "bundle", "show", "data")); !strings.Contains(out, "sub/b.txt") || !strings.Contains(out, "link -> a.txt") {
		t.Fatalf("show: %q", out)
	}
	if out := must(nexus(t, d, "invoke", "fsprobe", "--mount", "data:/data", "--data", "walk /data")); out != fixtureWalk {
		t.Fatalf("invoke --mount: %q", out)
	}
	if out := must(nexus(t, d, "task", "submit", "fsprobe", "--mount", "data@1:/d:rw", "--data", "walk /d", "--wait")); !strings.Contains(out, fixtureWalk) {
		t.Fatalf("task submit --mount: %q", out)
	}
	// A tar file, as pushed by name, is a second version.
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "only.txt", Mode: 0o644, Size: 3, Typeflag: tar.TypeReg})
	tw.Write([]byte("one"))
	tw.Close()
	file := filepath.Join(t.TempDir(), "v2.tar")
	os.WriteFile(file, buf.Bytes(), 0o644)
	if out := must(nexus(t, d, "bundle", "push", "data", file)); !strings.HasPrefix(out, "stored data version 2 (1 files, 3 bytes") {
		t.Fatalf("push tar: %q", out)
	}
	// The first tree again, as a gzip-compressed archive: unchanged.
	var tgz bytes.Buffer
	zw := gzip.NewWriter(&tgz)
	must(nexus(t, d, "bundle", "push", "first", dir))
	tw = tar.NewWriter(zw)
	tw.WriteHeader(&tar.Header{Name: "a.txt", Mode: 0o600, Size: 6, Typeflag: tar.TypeReg})
	tw.Write([]byte("alpha\n"))
	tw.WriteHeader(&tar.Header{Name: "link", Linkname: "a.txt", Typeflag: tar.TypeSymlink})
	tw.WriteHeader(&tar.Header{Name: "sub/b.txt", Mode: 0o755, Size: 5, Typeflag: tar.TypeReg})
	tw.Write([]byte("beta\n"))
	tw.Close()
	zw.Close()
	tgzFile := filepath.Join(t.TempDir(), "first.tgz")
	os.WriteFile(tgzFile, tgz.Bytes(), 0o644)
	if out := must(nexus(t, d, "bundle", "push", "first", tgzFile)); !strings.HasPrefix(out, "unchanged first version 1") {
		t.Fatalf("push .tgz: %q", out)
	}
	if out, err := nexus(t, d, "invoke", "fsprobe", "--mount", "data:nopath", "--data", "walk /d"); err == nil || !strings.Contains(out, "mount") {
		t.Fatalf("bad --mount: %v %q", err, out)
	}
	if out := must(nexus(t, d, "bundle", "rm", "data")); out != "deleted data\n" {
		t.Fatalf("rm: %q", out)
	}
	if out, err := nexus(t, d, "bundle", "rm", "data"); err == nil || !strings.Contains(out, "bundle_not_found") {
		t.Fatalf("rm again: %v %q", err, out)
	}
}

// TestBundleCrashDuringUpload kills the server (SIGKILL) in the middle of
// a large upload, restarts it, and checks that nothing of the interrupted
// upload is stored or left behind, that the bundle stored before it is
// whole and mountable, and that nexus store check finds no problem.
func TestBundleCrashDuringUpload(t *testing.T) {
	must := mustf(t)
	dataDir := t.TempDir()
	d := startDaemon(t, dataDir)
	must(nexus(t, d, "module", "push", "fsprobe", "../../host/testdata/fsprobe.wasm"))
	must(nexus(t, d, "bundle", "push", "data", fixtureDir(t)))

	// A 64 MiB archive of random files, sent through a pipe: once half of
	// it is written the server is storing it, and is killed.
	pr, pw := io.Pipe()
	sent := make(chan struct{})
	go func() {
		tw := tar.NewWriter(pw)
		chunk := make([]byte, 1<<20)
		for i := range 64 {
			rand.Read(chunk)
			if err := tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("f%02d", i), Mode: 0o644, Size: int64(len(chunk)), Typeflag: tar.TypeReg}); err != nil {
				break
			}
			if _, err := tw.Write(chunk); err != nil {
				break
			}
			if i == 32 {
				close(sent)
			}
		}
		tw.Close()
		pw.Close()
	}()
	upload := make(chan error, 1)
	go func() {
		resp, err := http.Post(d.url+"/v1/bundles/big", "application/x-tar", pr)
		if err == nil {
			resp.Body.Close()
			err = fmt.Errorf("upload finished: %s", resp.Status)
		}
		upload <- err
	}()
	<-sent
	d.cmd.Process.Signal(syscall.SIGKILL)
	<-d.done
	pr.CloseWithError(io.ErrClosedPipe)
	if err := <-upload; err == nil {
		t.Fatal("the upload finished")
	}
	// What the interrupted upload wrote: blobs no version names, and
	// perhaps a file under tmp/.
	if es, _ := os.ReadDir(filepath.Join(dataDir, "bundles", "tmp")); len(es)+countBlobs(dataDir) <= 2 {
		t.Fatal("the crash left nothing to collect; the test did not interrupt an upload")
	}

	d = startDaemon(t, dataDir)
	if out := must(nexus(t, d, "bundle", "ls")); strings.Contains(out, "big") || !strings.Contains(out, "data") {
		t.Fatalf("after the crash: %q", out)
	}
	if out := must(nexus(t, d, "invoke", "fsprobe", "--mount", "data:/data", "--data", "walk /data")); out != fixtureWalk {
		t.Fatalf("mount after the crash: %q", out)
	}
	if es, _ := os.ReadDir(filepath.Join(dataDir, "bundles", "tmp")); len(es) != 0 {
		t.Fatalf("%d entries of the interrupted upload left in tmp", len(es))
	}
	if blobs := countBlobs(dataDir); blobs != 2 {
		t.Fatalf("%d blobs stored, want the 2 of data", blobs)
	}
	d.stop(t, syscall.SIGTERM)
	if out := must(nexusIn(t, d, nil, "store", "check", "--data-dir", dataDir)); !strings.HasPrefix(out, "ok:") {
		t.Fatalf("store check: %q", out)
	}
	// store check finds a damaged bundle file.
	tree, _ := filepath.Glob(filepath.Join(dataDir, "bundles", "trees", "*", "a.txt"))
	if len(tree) != 1 {
		t.Fatalf("tree files %v", tree)
	}
	os.Chmod(tree[0], 0o644)
	os.WriteFile(tree[0], []byte("ALPHA\n"), 0o644)
	if out, err := nexusIn(t, d, nil, "store", "check", "--data-dir", dataDir); err == nil || !strings.Contains(out, "content digest") {
		t.Fatalf("store check of a damaged bundle: %v %q", err, out)
	}
}

// countBlobs counts the stored file contents of a data directory.
func countBlobs(dataDir string) int {
	n := 0
	filepath.WalkDir(filepath.Join(dataDir, "bundles", "blobs"), func(_ string, e os.DirEntry, _ error) error {
		if e != nil && !e.IsDir() {
			n++
		}
		return nil
	})
	return n
}
