package store_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nexustask/nexus/internal/store"
	"github.com/nexustask/nexus/internal/tasks"
	bolt "go.etcd.io/bbolt"
)

// wantDamaged fails unless err is ErrDamaged naming path and the way out.
func wantDamaged(t *testing.T, err error, path, way string) {
	t.Helper()
	if !errors.Is(err, store.ErrDamaged) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), way) {
		t.Fatalf("err = %v; want ErrDamaged naming %s and %q", err, path, way)
	}
}

// TestOpenTruncated: a file cut short fails to open with a clear error
// (bbolt alone maps past the end of the file and faults).
func TestOpenTruncated(t *testing.T) {
	dir := fixture(t)
	path := filepath.Join(dir, store.FileName)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, st.Size()/2); err != nil {
		t.Fatal(err)
	}
	_, err = store.OpenWith(dir, store.Options{Timeout: time.Second})
	wantDamaged(t, err, path, "nexus store restore")
	if !strings.Contains(err.Error(), "cut short") {
		t.Fatalf("err = %v; want it to say the file is cut short", err)
	}
	wantDamaged(t, store.CheckFile(path, time.Second), path, "cut short")
}

// TestOpenZeroedPage: a zeroed page fails to open with a clear error
// (bbolt alone panics on an assertion).
func TestOpenZeroedPage(t *testing.T) {
	dir := fixture(t)
	path := filepath.Join(dir, store.FileName)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ps := int(binary.NativeEndian.Uint32(data[16+8:]))
	meta := data[16:] // the current meta page: the one with the higher transaction id
	if binary.NativeEndian.Uint64(data[ps+16+48:]) > binary.NativeEndian.Uint64(meta[48:]) {
		meta = data[ps+16:]
	}
	freelist := int(binary.NativeEndian.Uint64(meta[32:]))
	clear(data[freelist*ps : (freelist+1)*ps])
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = store.OpenWith(dir, store.Options{Timeout: time.Second})
	wantDamaged(t, err, path, "nexus store check")
}

// TestOpenEmptyFile: a 0-byte nexus.db is refused; with Init it is kept
// aside and a fresh database made.
func TestOpenEmptyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, store.FileName)
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := store.OpenWith(dir, store.Options{Timeout: time.Second})
	wantDamaged(t, err, path, "--init")
	if _, err := store.OpenWith(dir, store.Options{ReadOnly: true, Init: true}); !errors.Is(err, store.ErrDamaged) {
		t.Fatalf("read-only with Init: %v", err)
	}
	db, err := store.OpenWith(dir, store.Options{Timeout: time.Second, Init: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
	aside, _ := filepath.Glob(path + ".empty-*")
	if len(aside) != 1 {
		t.Fatalf("empty file kept aside as %v", aside)
	}
}

// TestOpenMissingWithData: no nexus.db in a directory holding other data
// is refused unless Init; an empty or new directory gets a database.
func TestOpenMissingWithData(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "compiled"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := store.OpenWith(dir, store.Options{Timeout: time.Second})
	if !errors.Is(err, store.ErrNoDatabase) || !strings.Contains(err.Error(), "compiled") || !strings.Contains(err.Error(), "--init") {
		t.Fatalf("err = %v; want ErrNoDatabase naming what the directory holds and --init", err)
	}
	if _, err := os.Stat(filepath.Join(dir, store.FileName)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("refusing created the file: %v", err)
	}
	db, err := store.OpenWith(dir, store.Options{Timeout: time.Second, Init: true})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	for _, d := range []string{t.TempDir(), filepath.Join(t.TempDir(), "new", "dir")} {
		db, err := store.OpenWith(d, store.Options{Timeout: time.Second})
		if err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		db.Close()
	}
}

// TestOpenReadOnly: a read-only open reads beside another reader, writes
// nothing and does not create a database.
func TestOpenReadOnly(t *testing.T) {
	dir := fixture(t)
	a, err := store.OpenWith(dir, store.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := store.OpenWith(dir, store.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if r, found, err := b.Task("task03"); err != nil || !found || string(r.Output) != "output 3" {
		t.Fatalf("read-only Task: %+v %v %v", r, found, err)
	}
	if err := b.Set("echo", "k", []byte("v"), 1<<20); err == nil {
		t.Fatal("a write through a read-only database succeeded")
	}
	if _, err := store.OpenWith(t.TempDir(), store.Options{ReadOnly: true}); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("read-only open of an empty directory: %v", err)
	}
}

// TestSchema2Upgrade: values written bare by schema 2 (kv values, task
// blobs, checkpoints, idempotency entries, schedules as JSON, task records
// in codec version 2) read back the same, read-only before the upgrade
// and read-write after it, and the upgrade seals what has no room to say
// its form.
func TestSchema2Upgrade(t *testing.T) {
	dir := t.TempDir()
	open(t, dir).Close()
	path := filepath.Join(dir, store.FileName)
	big := bytes.Repeat([]byte("b"), store.InlineTaskBytes+1)
	rec := tasks.Record{ID: "t1", Module: "m", State: tasks.Queued, IdempotencyKey: "idem", Input: big, InputBytes: len(big)}
	enc := store.EncodeTaskV2(&rec)
	b, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = b.Update(func(tx *bolt.Tx) error {
		tx.Bucket([]byte("meta")).Put([]byte("schema"), binary.BigEndian.AppendUint32(nil, 2))
		ns, _ := tx.Bucket([]byte("kv")).CreateBucket([]byte("m"))
		ns.Put([]byte("k"), []byte("bare value"))
		tx.Bucket([]byte("kvsize")).Put([]byte("m"), binary.BigEndian.AppendUint64(nil, 11))
		tx.Bucket([]byte("tasks")).Put([]byte("t1"), enc)
		tx.Bucket([]byte("task_blobs")).Put([]byte("t1/in"), big)
		tx.Bucket([]byte("task_ckpt")).Put([]byte("t1"), []byte("cp"))
		tx.Bucket([]byte("task_idem")).Put([]byte("idem"), []byte("t1"))
		tx.Bucket([]byte("task_state")).Put([]byte("queued\x00t1"), nil)
		return tx.Bucket([]byte("schedules")).Put([]byte("s"), []byte(`{"name":"s","every":"1h0m0s"}`))
	})
	b.Close()
	if err != nil {
		t.Fatal(err)
	}
	check := func(db *store.DB) {
		t.Helper()
		if v, ok, err := db.Get("m", "k"); err != nil || !ok || string(v) != "bare value" {
			t.Fatalf("kv: %q %v %v", v, ok, err)
		}
		if r, ok, err := db.Task("t1"); err != nil || !ok || !bytes.Equal(r.Input, big) || r.State != tasks.Queued {
			t.Fatalf("task: %v %v", ok, err)
		}
		if cp, err := db.Checkpoint("t1"); err != nil || string(cp) != "cp" {
			t.Fatalf("checkpoint: %q %v", cp, err)
		}
		var ids []string
		db.IdempotencyKeys(func(k, id string) error { ids = append(ids, k+"="+id); return nil })
		if len(ids) != 1 || ids[0] != "idem=t1" {
			t.Fatalf("idempotency keys: %v", ids)
		}
		if got, err := db.Schedule("s"); err != nil || got.Every != "1h0m0s" {
			t.Fatalf("schedule: %+v %v", got, err)
		}
		if err := db.Check(); err != nil {
			t.Fatal(err)
		}
	}
	ro, err := store.OpenWith(dir, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	check(ro)
	ro.Close()
	db := open(t, dir)
	check(db)
	if n, err := db.KVSize("m"); err != nil || n != 11 {
		t.Fatalf("kv size after the upgrade: %d %v", n, err)
	}
	db.Close()
	db = open(t, dir) // the upgrade is not done twice
	check(db)
	db.Close()
}

// TestDamagedRecord: a task record with a flipped bit reads as ErrCorrupt,
// start-up recovery skips it and says so, and Check reports it.
func TestDamagedRecord(t *testing.T) {
	dir := t.TempDir()
	db := open(t, dir)
	a := tasks.Record{ID: "a", Module: "m", State: tasks.Queued, Output: []byte("the right output")}
	c := tasks.Record{ID: "c", Module: "m", State: tasks.Queued}
	commit(t, db, tasks.Write{Rec: &a}, tasks.Write{Rec: &c})
	db.Close()
	path := filepath.Join(dir, store.FileName)
	data, _ := os.ReadFile(path)
	if flipAll(data, []byte("the right output"), 4) == 0 {
		t.Fatal("record not found in the file")
	}
	os.WriteFile(path, data, 0o600)

	db = open(t, dir)
	defer db.Close()
	_, _, err := db.Task("a")
	var ce *store.CorruptError
	if !errors.Is(err, store.ErrCorrupt) || !errors.As(err, &ce) || ce.Bucket != "tasks" || ce.Key != "a" {
		t.Fatalf("Task: %v; want a *CorruptError for tasks/a", err)
	}
	var active []string
	if err := db.ActiveTasks(func(r tasks.Record) error { active = append(active, r.ID); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(active) != 1 || active[0] != "c" {
		t.Fatalf("active = %v, want [c]", active)
	}
	if list, n := db.Damaged(); n != 1 || list[0].Key != "a" {
		t.Fatalf("Damaged = %v, %d", list, n)
	}
	if err := db.Check(); !errors.Is(err, store.ErrCorrupt) {
		t.Fatalf("Check: %v", err)
	}
}
