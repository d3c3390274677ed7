package bundle_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/nexustask/nexus/internal/bundle"
	"github.com/nexustask/nexus/internal/store"
)

// ent is one archive entry of a test.
type ent struct {
	name, body, link string
	typ              byte
	size             int64 // header size if not len(body)
}

func tarOf(t testing.TB, ents ...ent) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range ents {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		h := &tar.Header{Name: e.name, Typeflag: typ, Mode: 0o644, Linkname: e.link}
		if typ == tar.TypeReg {
			h.Size = int64(len(e.body))
			if e.size != 0 {
				h.Size = e.size
			}
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if typ == tar.TypeReg && e.size == 0 {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil && !strings.Contains(err.Error(), "missed writing") {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func newStore(t testing.TB, lim bundle.Limits) (*bundle.Store, *store.DB, string) {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(filepath.Join(dir, "db"), 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := bundle.Open(bundle.Config{Dir: filepath.Join(dir, "bundles"), Limits: lim}, db)
	if err != nil {
		t.Fatal(err)
	}
	return s, db, filepath.Join(dir, "bundles")
}

func TestPutNormalisesAndDeduplicates(t *testing.T) {
	s, _, _ := newStore(t, bundle.Limits{})
	a := tarOf(t, ent{name: "./data/", typ: tar.TypeDir}, ent{name: "data/a.txt", body: "alpha"}, ent{name: "data/sub/b.txt", body: "beta"},
		ent{name: "data/link", link: "a.txt", typ: tar.TypeSymlink}, ent{name: "data/hard", link: "data/a.txt", typ: tar.TypeLink})
	v, created, err := s.Put("fixtures", bytes.NewReader(a), false)
	if err != nil || !created {
		t.Fatalf("Put = %+v, %v, %v", v, created, err)
	}
	if v.Version != 1 || v.Files != 3 || v.Bytes != 14 || !strings.HasPrefix(v.Digest, "sha256:") {
		t.Fatalf("version %+v", v)
	}
	// Same tree in another order, without directories, gzip-compressed:
	// the same version.
	b := tarOf(t, ent{name: "data/hard", body: "alpha"}, ent{name: "data/sub/b.txt", body: "beta"},
		ent{name: "data/link", link: "a.txt", typ: tar.TypeSymlink}, ent{name: "data/a.txt", body: "alpha"})
	v2, created, err := s.Put("fixtures", bytes.NewReader(gz(b)), false)
	if err != nil || created || v2 != v {
		t.Fatalf("second Put = %+v, %v, %v; want %+v, false", v2, created, err, v)
	}
	h, err := s.Acquire("fixtures", 0, v.Digest)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Release()
	got, err := os.ReadFile(filepath.Join(h.Dir, "data", "sub", "b.txt"))
	if err != nil || string(got) != "beta" {
		t.Fatalf("tree file = %q, %v", got, err)
	}
	if target, _ := os.Readlink(filepath.Join(h.Dir, "data", "link")); target != "a.txt" {
		t.Fatalf("link target %q", target)
	}
	if fi, err := os.Stat(filepath.Join(h.Dir, "data", "a.txt")); err != nil || fi.Mode().Perm() != 0o444 {
		t.Errorf("stored file mode %v, %v; want read-only", fi.Mode(), err)
	}
	if problems := s.Check(); len(problems) != 0 {
		t.Fatalf("Check: %v", problems)
	}
}

func TestHostileArchivesRefused(t *testing.T) {
	bomb := gz(tarOf(t, ent{name: "zeros", body: strings.Repeat("\x00", 4<<20)}))
	for _, tt := range []struct {
		name  string
		body  []byte
		entry string // the entry the error names; "" for too_large
	}{
		{"absolute", tarOf(t, ent{name: "/etc/passwd", body: "x"}), "/etc/passwd"},
		{"dotdot", tarOf(t, ent{name: "a/../../x", body: "x"}), "a/../../x"},
		{"device", tarOf(t, ent{name: "dev", typ: tar.TypeChar}), "dev"},
		{"block device", tarOf(t, ent{name: "blk", typ: tar.TypeBlock}), "blk"},
		{"fifo", tarOf(t, ent{name: "fifo", typ: tar.TypeFifo}), "fifo"},
		{"absolute symlink", tarOf(t, ent{name: "l", link: "/etc", typ: tar.TypeSymlink}), "l"},
		{"escaping symlink", tarOf(t, ent{name: "a/l", link: "../../etc", typ: tar.TypeSymlink}), "a/l"},
		{"escaping hard link", tarOf(t, ent{name: "h", link: "../etc/passwd", typ: tar.TypeLink}), "h"},
		{"hard link to nothing", tarOf(t, ent{name: "h", link: "missing", typ: tar.TypeLink}), "h"},
		{"entry under a symlink", tarOf(t, ent{name: "l", link: ".", typ: tar.TypeSymlink}, ent{name: "l/x", body: "x"}), "l/x"},
		{"path twice", tarOf(t, ent{name: "x", body: "1"}, ent{name: "x", body: "2"}), "x"},
		{"too many files", tarOf(t, ent{name: "1", body: "1"}, ent{name: "2", body: "2"}, ent{name: "3", body: "3"}, ent{name: "4", body: "4"}), ""},
		{"too large", tarOf(t, ent{name: "big", body: strings.Repeat("x", 2<<20)}), ""},
		{"too large header", tarOf(t, ent{name: "big", size: 1 << 40}), ""},
		{"gzip bomb", bomb, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, _, dir := newStore(t, bundle.Limits{MaxBytes: 1 << 20, MaxFiles: 3})
			_, _, err := s.Put("b", bytes.NewReader(tt.body), false)
			var ee *bundle.EntryError
			switch {
			case tt.entry == "" && !errors.Is(err, bundle.ErrTooLarge):
				t.Fatalf("err = %v, want too large", err)
			case tt.entry != "" && (!errors.As(err, &ee) || ee.Entry != tt.entry || !errors.Is(err, bundle.ErrInvalid)):
				t.Fatalf("err = %v, want an entry error naming %q", err, tt.entry)
			}
			if _, err := s.Versions("b"); !errors.Is(err, bundle.ErrNotFound) {
				t.Fatalf("Versions after a refused Put: %v", err)
			}
			// Nothing of the refused archive stays behind once collected.
			if _, err := s.Collect(); err != nil {
				t.Fatal(err)
			}
			for _, sub := range []string{"trees", "tmp"} {
				if es, _ := os.ReadDir(filepath.Join(dir, sub)); len(es) != 0 {
					t.Errorf("%s holds %d entries", sub, len(es))
				}
			}
		})
	}
}

func TestDeleteCollectsUnlessHeld(t *testing.T) {
	s, _, dir := newStore(t, bundle.Limits{})
	v1, _, err := s.Put("b", bytes.NewReader(tarOf(t, ent{name: "shared", body: "same"}, ent{name: "one", body: "1"})), false)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Put("other", bytes.NewReader(tarOf(t, ent{name: "shared", body: "same"})), false); err != nil {
		t.Fatal(err)
	}
	h, err := s.Acquire("b", 1, v1.Digest)
	if err != nil {
		t.Fatal(err)
	}
	if s.InUse("b") != 1 {
		t.Fatalf("InUse = %d", s.InUse("b"))
	}
	if err := s.Delete("b"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.ReadFile(filepath.Join(h.Dir, "one")); err != nil {
		t.Fatalf("a held tree was collected: %v", err)
	}
	h.Release() // the last hold of a deleted tree: collected
	if _, err := os.Stat(h.Dir); !os.IsNotExist(err) {
		t.Fatalf("released tree still there: %v", err)
	}
	if c, err := s.Collect(); err != nil || c != (bundle.Collected{}) {
		t.Fatalf("Collect after the release = %+v, %v; want nothing left", c, err)
	}
	blobs := 0
	filepath.WalkDir(filepath.Join(dir, "blobs"), func(_ string, d os.DirEntry, _ error) error {
		if d != nil && !d.IsDir() {
			blobs++
		}
		return nil
	})
	if blobs != 1 {
		t.Fatalf("%d blobs left, want the shared one", blobs)
	}
	if _, err := s.Acquire("b", 0, ""); !errors.Is(err, bundle.ErrNotFound) {
		t.Fatalf("Acquire of a deleted bundle: %v", err)
	}
}

func TestCheckFindsDamage(t *testing.T) {
	s, _, _ := newStore(t, bundle.Limits{})
	v, _, err := s.Put("b", bytes.NewReader(tarOf(t, ent{name: "f", body: "content"})), false)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(s.TreeDir(v.Digest), "f")
	os.Chmod(p, 0o644)
	if err := os.WriteFile(p, []byte("CONTENT"), 0o644); err != nil {
		t.Fatal(err)
	}
	if problems := s.Check(); len(problems) != 1 || !strings.Contains(problems[0].Error(), "content digest") {
		t.Fatalf("Check = %v", problems)
	}
}

// TestConcurrentPutAcquireDelete: imports of the same and of different
// trees, mounts and deletions at once leave every stored version whole.
func TestConcurrentPutAcquireDelete(t *testing.T) {
	s, _, _ := newStore(t, bundle.Limits{})
	archives := [][]byte{
		tarOf(t, ent{name: "shared", body: "same"}, ent{name: "a", body: "1"}),
		tarOf(t, ent{name: "shared", body: "same"}, ent{name: "b", body: "2"}),
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("b%d", i%3)
			for j := range 10 {
				if _, _, err := s.Put(name, bytes.NewReader(archives[(i+j)%2]), false); err != nil {
					t.Error(err)
					return
				}
				if h, err := s.Acquire(name, 0, ""); err == nil {
					if _, err := os.ReadFile(filepath.Join(h.Dir, "shared")); err != nil {
						t.Errorf("a held tree lost a file: %v", err)
					}
					h.Release()
				} else if !errors.Is(err, bundle.ErrNotFound) {
					t.Error(err)
				}
				if j%3 == 2 {
					if err := s.Delete(name); err != nil && !errors.Is(err, bundle.ErrNotFound) {
						t.Error(err)
					}
				}
			}
		}()
	}
	wg.Wait()
	if problems := s.Check(); len(problems) != 0 {
		t.Fatalf("Check: %v", problems)
	}
}
