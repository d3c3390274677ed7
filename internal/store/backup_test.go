package store_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nexustask/nexus/internal/store"
)

// TestBackupRestore: a backup taken while the database is open restores
// into another data directory, keeping its database aside, and reads the
// same; a restore refuses a damaged backup and a database held open.
func TestBackupRestore(t *testing.T) {
	dir := fixture(t)
	arts := artifactKeys(t, filepath.Join(dir, store.FileName))
	db := open(t, dir)
	want := reads(db, arts)
	var buf bytes.Buffer
	n, err := db.Backup(&buf)
	if err != nil || n != int64(buf.Len()) || n == 0 {
		t.Fatalf("Backup: %d bytes (buffer %d), %v", n, buf.Len(), err)
	}
	backup := filepath.Join(t.TempDir(), "backup.db")
	if err := os.WriteFile(backup, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}

	// Not over a database another process (here: another open) holds.
	if _, err := store.Restore(dir, backup, 10*time.Millisecond); !errors.Is(err, store.ErrLocked) {
		t.Fatalf("restore over an open database: %v", err)
	}
	db.Close()

	target := t.TempDir()
	old := open(t, target)
	old.Set("other", "k", []byte("v"), 1<<20)
	old.Close()
	damaged := filepath.Join(t.TempDir(), "damaged.db")
	os.WriteFile(damaged, buf.Bytes()[:buf.Len()/2], 0o600)
	if _, err := store.Restore(target, damaged, time.Second); !errors.Is(err, store.ErrDamaged) {
		t.Fatalf("restore of a damaged backup: %v", err)
	}
	aside, err := store.Restore(target, backup, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(aside) != target || !bytes.Contains([]byte(filepath.Base(aside)), []byte("nexus.db.before-restore-")) {
		t.Fatalf("aside = %s", aside)
	}
	if err := store.CheckFile(aside, time.Second); err != nil {
		t.Fatalf("the database kept aside: %v", err)
	}
	ents, _ := os.ReadDir(target)
	if len(ents) != 2 { // nexus.db and the one kept aside; no temporary left
		t.Fatalf("data dir after restore: %v", ents)
	}
	restored := open(t, target)
	defer restored.Close()
	got := reads(restored, arts)
	for name, w := range want {
		if g := got[name]; g.val != w.val || g.err != nil {
			t.Errorf("%s after restore: %+v, want %+v", name, short(g.val), short(w.val))
		}
	}
	if err := restored.Check(); err != nil {
		t.Fatal(err)
	}
}
