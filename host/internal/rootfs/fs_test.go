package rootfs

import (
	"os"
	"path/filepath"
	"testing"

	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
)

func TestConfined(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "root")
	must(t, os.Mkdir(dir, 0o755))
	must(t, os.WriteFile(filepath.Join(parent, "secret"), []byte("outside"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "in.txt"), []byte("inside"), 0o644))
	must(t, os.Symlink("../secret", filepath.Join(dir, "rel")))
	must(t, os.Symlink(filepath.Join(parent, "secret"), filepath.Join(dir, "abs")))
	must(t, os.Symlink("in.txt", filepath.Join(dir, "ok")))
	root, err := os.OpenRoot(dir)
	must(t, err)
	defer root.Close()
	fs := New(root)

	for _, p := range []string{"rel", "abs", "../secret", "/../secret", "sub/../../secret"} {
		if f, errno := fs.OpenFile(p, experimentalsys.O_RDONLY, 0); errno == 0 {
			buf := make([]byte, 16)
			n, _ := f.Read(buf)
			f.Close()
			if string(buf[:n]) == "outside" {
				t.Errorf("%s read the file outside the root", p)
			}
		}
		if _, errno := fs.Stat(p); errno == 0 {
			t.Errorf("Stat(%s) succeeded", p)
		}
	}
	f, errno := fs.OpenFile("/ok", experimentalsys.O_RDONLY, 0)
	if errno != 0 {
		t.Fatalf("a link inside the root: %v", errno)
	}
	buf := make([]byte, 16)
	n, _ := f.Read(buf)
	f.Close()
	if string(buf[:n]) != "inside" {
		t.Fatalf("read %q", buf[:n])
	}
	if target, errno := fs.Readlink("rel"); errno != 0 || target != "../secret" {
		t.Fatalf("Readlink = %q, %v", target, errno)
	}
	// A link the guest makes may point anywhere; following it stays in.
	if errno := fs.Symlink("/etc/passwd", "made"); errno != 0 {
		t.Fatal(errno)
	}
	if _, errno := fs.OpenFile("made", experimentalsys.O_RDONLY, 0); errno == 0 {
		t.Error("a link the guest made to /etc/passwd opened")
	}
	if errno := fs.Unlink("in.txt"); errno != 0 {
		t.Fatal(errno)
	}
	if errno := fs.Rmdir("ok"); errno != experimentalsys.ENOTDIR {
		t.Fatalf("Rmdir of a link: %v", errno)
	}
	ro := ReadOnly(root)
	for _, flag := range []experimentalsys.Oflag{experimentalsys.O_WRONLY, experimentalsys.O_RDWR, experimentalsys.O_RDONLY | experimentalsys.O_CREAT, experimentalsys.O_RDONLY | experimentalsys.O_TRUNC} {
		if _, errno := ro.OpenFile("new", flag, 0o644); errno != experimentalsys.EROFS {
			t.Errorf("read-only open with %v: %v, want EROFS", flag, errno)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "new")); !os.IsNotExist(err) {
		t.Fatal("a read-only mount created a file")
	}
	if errno := ro.Mkdir("d", 0o755); errno != experimentalsys.EROFS {
		t.Errorf("read-only Mkdir: %v", errno)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
