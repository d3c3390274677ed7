package host_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/nexustask/nexus/host"
)

// fixtureTree makes the tree the mount tests mount: files (one binary,
// one empty), nested and empty directories, a link inside the tree, and
// "up", a link that stays inside the tree as written but leaves it once
// "dot" is followed.
func fixtureTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"a.txt":         "alpha\n",
		"log.txt":       "first line\n",
		"gone.txt":      "to be removed\n",
		"sub/b.bin":     "\x00\x01\x02\xff binary",
		"sub/deep/e":    "",
		"sub/deep/f.md": strings.Repeat("line\n", 2000),
	}
	for p, body := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(body), 0o444); err != nil {
			t.Fatal(err)
		}
	}
	must(t, os.Mkdir(filepath.Join(dir, "empty"), 0o755))
	must(t, os.Symlink("a.txt", filepath.Join(dir, "link")))
	must(t, os.Symlink(".", filepath.Join(dir, "dot")))
	must(t, os.Symlink("dot/..", filepath.Join(dir, "up")))
	return dir
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// walkTree is what fsprobe's walk prints for dir, computed on the host.
func walkTree(t *testing.T, dir, rel string) string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	names := make([]string, 0, len(es))
	for _, e := range es {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	for _, n := range names {
		p, r := filepath.Join(dir, n), n
		if rel != "" {
			r = rel + "/" + n
		}
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case fi.IsDir():
			fmt.Fprintf(&b, "d %s\n", r)
			b.WriteString(walkTree(t, p, r))
		case fi.Mode()&os.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			fmt.Fprintf(&b, "l %s -> %s\n", r, target)
		default:
			body, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "f %s %d\n%s\n", r, len(body), body)
		}
	}
	return b.String()
}

// probes are fsprobe built as both profiles.
var probes = []struct{ name, path string }{
	{"wasi-command", "testdata/fsprobe.wasm"},
	{"nexus-v1", "testdata/fsprobe_v1.wasm"},
}

func runProbe(t *testing.T, rt *host.Runtime, m *host.Module, input string, g host.Grants) string {
	t.Helper()
	res, err := rt.Run(context.Background(), m, host.Request{Input: []byte(input), Namespace: "fsprobe", Grants: g})
	if err != nil {
		t.Fatalf("%s: %v: %s", input, err, res.Logs)
	}
	return string(res.Output)
}

func mountRuntime(t *testing.T) *host.Runtime {
	rt, _ := mountRuntimeIn(t)
	return rt
}

// mountRuntimeIn returns a runtime and the directory of its scratch
// directories and writable mounts' copies.
func mountRuntimeIn(t *testing.T) (*host.Runtime, string) {
	cfg := host.DefaultConfig()
	cfg.ScratchDir = t.TempDir()
	return newRuntime(t, cfg), cfg.ScratchDir
}

func TestMountWalk(t *testing.T) {
	rt := mountRuntime(t)
	tree := fixtureTree(t)
	want := walkTree(t, tree, "")
	for _, p := range probes {
		m := compileFile(t, rt, p.path)
		for _, guest := range []string{"/data", "/"} {
			t.Run(p.name+guest, func(t *testing.T) {
				g := host.Grants{Mounts: []host.Mount{{Dir: tree, GuestPath: guest}}}
				got := runProbe(t, rt, m, "walk "+guest, g)
				if got != want {
					t.Fatalf("walk of %s:\n%s\nwant:\n%s", guest, got, want)
				}
			})
		}
	}
}

func TestMountReadOnlyRefusesWrites(t *testing.T) {
	rt := mountRuntime(t)
	tree := fixtureTree(t)
	before := walkTree(t, tree, "")
	for _, p := range probes {
		m := compileFile(t, rt, p.path)
		g := host.Grants{Mounts: []host.Mount{{Dir: tree, GuestPath: "/data"}}}
		got := runProbe(t, rt, m, "readonly /data", g)
		want := "create: EROFS\nopen for writing: EROFS\nunlink: EROFS\nmkdir: EROFS\n"
		if got != want {
			t.Errorf("%s: %q, want %q", p.name, got, want)
		}
		got = runProbe(t, rt, m, "escape /data", g)
		if strings.Contains(got, "read") {
			t.Errorf("%s: escape from a read-only mount:\n%s", p.name, got)
		}
	}
	if after := walkTree(t, tree, ""); after != before {
		t.Fatalf("the mounted tree changed:\n%s", after)
	}
}

// writtenTree is the fixture as fsprobe's write leaves it.
func writtenTree(t *testing.T) string {
	t.Helper()
	dir := fixtureTree(t)
	must(t, os.Mkdir(filepath.Join(dir, "new"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "new", "out.txt"), []byte("written by the guest\n"), 0o644))
	must(t, os.Chmod(filepath.Join(dir, "log.txt"), 0o644))
	f, err := os.OpenFile(filepath.Join(dir, "log.txt"), os.O_APPEND|os.O_WRONLY, 0)
	must(t, err)
	f.WriteString("appended\n")
	f.Close()
	must(t, os.Remove(filepath.Join(dir, "gone.txt")))
	return walkTree(t, dir, "")
}

func TestMountWritableIsPrivate(t *testing.T) {
	rt, scratchDir := mountRuntimeIn(t)
	tree := fixtureTree(t)
	original := walkTree(t, tree, "")
	written := writtenTree(t)
	const steps = "mkdir new: ok\n/data/new/out.txt: ok\n/data/log.txt: ok\nunlink gone.txt: ok\n"
	for _, p := range probes {
		t.Run(p.name, func(t *testing.T) {
			m := compileFile(t, rt, p.path)
			g := host.Grants{Mounts: []host.Mount{{Dir: tree, GuestPath: "/data", Writable: true}}}
			// A writer and a reader at once, each on its own copy: the
			// reader sees the tree as uploaded whatever the interleaving.
			var wg sync.WaitGroup
			outs := make([]string, 4)
			for i := range outs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					cmd := "walk /data"
					if i%2 == 0 {
						cmd = "write /data"
					}
					res, err := rt.Run(context.Background(), m, host.Request{Input: []byte(cmd), Grants: g})
					if err != nil {
						outs[i] = err.Error()
						return
					}
					outs[i] = string(res.Output)
				}()
			}
			wg.Wait()
			for i, got := range outs {
				want := original
				if i%2 == 0 {
					want = steps + written
				}
				if got != want {
					t.Errorf("task %d:\n%s\nwant:\n%s", i, got, want)
				}
			}
		})
	}
	if after := walkTree(t, tree, ""); after != original {
		t.Fatalf("a writable mount changed the stored tree:\n%s", after)
	}
	if es, _ := os.ReadDir(scratchDir); len(es) != 0 {
		t.Fatalf("copies left behind: %d", len(es))
	}
}

func TestMountEscapesStayInside(t *testing.T) {
	rt := mountRuntime(t)
	tree := fixtureTree(t)
	for _, p := range probes {
		m := compileFile(t, rt, p.path)
		for _, guest := range []string{"/data", "/"} {
			g := host.Grants{Mounts: []host.Mount{{Dir: tree, GuestPath: guest, Writable: true}}}
			dir := strings.TrimSuffix(guest, "/")
			if dir == "" {
				dir = "/"
			}
			got := runProbe(t, rt, m, "escape "+dir, g)
			lines := strings.Split(strings.TrimSpace(got), "\n")
			if len(lines) != 4 {
				t.Fatalf("%s %s: %q", p.name, guest, got)
			}
			for _, l := range lines {
				if !strings.Contains(l, ": E") { // an errno: EPERM, EACCES, ENOENT
					t.Errorf("%s %s: %s", p.name, guest, l)
				}
			}
		}
	}
}

func TestMountGrantsRefused(t *testing.T) {
	rt := mountRuntime(t)
	tree := fixtureTree(t)
	m := compileFile(t, rt, "testdata/fsprobe.wasm")
	for _, g := range []host.Grants{
		{Mounts: []host.Mount{{Dir: tree, GuestPath: "data"}}},
		{Mounts: []host.Mount{{Dir: tree, GuestPath: "/a/../b"}}},
		{Mounts: []host.Mount{{Dir: tree, GuestPath: "/d"}, {Dir: tree, GuestPath: "/d"}}},
		{Scratch: true, Mounts: []host.Mount{{Dir: tree, GuestPath: host.ScratchGuestPath}}},
		{Mounts: []host.Mount{{Dir: filepath.Join(tree, "missing"), GuestPath: "/d"}}},
		// The copy of a writable mount is bounded by the scratch size.
		{ScratchBytes: 8 << 10, Mounts: []host.Mount{{Dir: tree, GuestPath: "/d", Writable: true}}},
	} {
		_, err := rt.Run(context.Background(), m, host.Request{Input: []byte("walk /d"), Grants: g})
		if !errors.Is(err, host.ErrGrant) {
			t.Errorf("%+v: %v, want ErrGrant", g, err)
		}
	}
}
