package store_test

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/nexustask/nexus/internal/store"
	"github.com/nexustask/nexus/internal/tasks"
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

// TestSchema1Upgrade: a schema-1 file, whose task records are JSON, opens
// as schema 2; its records read as they are and are rewritten in the
// binary form when they next change.
func TestSchema1Upgrade(t *testing.T) {
	dir := t.TempDir()
	open(t, dir).Close()
	rec := tasks.Record{ID: "0001", Module: "m", State: tasks.Succeeded, Tags: []string{"t"},
		SubmittedAt: time.Date(2026, 11, 1, 8, 0, 0, 5, time.UTC), Output: []byte("out"), FuelUsed: 42}
	js, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	b, err := bolt.Open(dir+"/"+store.FileName, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	b.Update(func(tx *bolt.Tx) error {
		tx.Bucket([]byte("meta")).Put([]byte("schema"), binary.BigEndian.AppendUint32(nil, 1))
		return tx.Bucket([]byte("tasks")).Put([]byte(rec.ID), js)
	})
	b.Close()

	db := open(t, dir)
	got, found, err := db.Task(rec.ID)
	if err != nil || !found || !reflect.DeepEqual(got, rec) {
		t.Fatalf("schema-1 record: found %v, err %v\n got %+v\nwant %+v", found, err, got, rec)
	}
	next := rec
	next.Logs = "rewritten"
	if err := db.CommitTasks([]tasks.Write{{Rec: &next, Prev: &rec}}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	b, err = bolt.Open(dir+"/"+store.FileName, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	b.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket([]byte("meta")).Get([]byte("schema")); binary.BigEndian.Uint32(v) != store.SchemaVersion {
			t.Errorf("schema %d after opening, want %d", binary.BigEndian.Uint32(v), store.SchemaVersion)
		}
		if v := tx.Bucket([]byte("tasks")).Get([]byte(rec.ID)); len(v) == 0 || v[0] == '{' {
			t.Errorf("record still JSON after a write: %q", v)
		}
		return nil
	})
}
