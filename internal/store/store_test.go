package store_test

import (
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/nexustask/nexus/internal/store"
	"github.com/nexustask/nexus/modules"
	bolt "go.etcd.io/bbolt"
)

func open(t *testing.T, dir string) *store.DB {
	t.Helper()
	db, err := store.Open(dir, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestSchemaTooNew(t *testing.T) {
	dir := t.TempDir()
	open(t, dir).Close()
	// Rewrite the schema version as a future binary would.
	b, err := bolt.Open(dir+"/"+store.FileName, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	b.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("meta")).Put([]byte("schema"), binary.BigEndian.AppendUint32(nil, store.SchemaVersion+1))
	})
	b.Close()
	if _, err := store.Open(dir, time.Second); !errors.Is(err, store.ErrSchemaTooNew) {
		t.Fatalf("err = %v, want ErrSchemaTooNew", err)
	}
}

func TestLocked(t *testing.T) {
	dir := t.TempDir()
	db := open(t, dir)
	defer db.Close()
	if _, err := store.Open(dir, 50*time.Millisecond); !errors.Is(err, store.ErrLocked) {
		t.Fatalf("err = %v, want ErrLocked", err)
	}
}

func TestModuleVersions(t *testing.T) {
	dir := t.TempDir()
	db := open(t, dir)
	add := func(name, digest string, wasm []byte) (modules.Version, bool) {
		t.Helper()
		v, created, err := db.AddVersion(modules.Version{Name: name, Digest: digest, Size: int64(len(wasm))}, wasm)
		if err != nil {
			t.Fatal(err)
		}
		return v, created
	}
	if v, created := add("a", "d1", []byte("one")); !created || v.Version != 1 {
		t.Fatalf("%+v %v", v, created)
	}
	if v, created := add("a", "d1", []byte("one")); created || v.Version != 1 {
		t.Fatalf("same digest: %+v %v", v, created)
	}
	if v, created := add("a", "d2", []byte("two")); !created || v.Version != 2 {
		t.Fatalf("%+v %v", v, created)
	}
	add("b", "d2", []byte("two")) // shares d2's bytes
	db.Close()

	db = open(t, dir) // everything survives a reopen
	defer db.Close()
	all, err := db.AllVersions()
	if err != nil || len(all) != 3 || all[0].Name != "a" || all[2].Name != "b" {
		t.Fatalf("all = %+v, %v", all, err)
	}
	if _, err := db.DeleteModule("a"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Bytes("d1"); !errors.Is(err, modules.ErrNotFound) {
		t.Fatalf("d1 bytes after delete: %v", err)
	}
	if b, err := db.Bytes("d2"); err != nil || string(b) != "two" {
		t.Fatalf("d2 shared with b must survive: %q %v", b, err)
	}
	if _, err := db.Versions("a"); !errors.Is(err, modules.ErrNotFound) {
		t.Fatalf("versions of deleted: %v", err)
	}
	if _, err := db.DeleteModule("a"); !errors.Is(err, modules.ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
}
