package store_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/nexustask/nexus/internal/store"
	bolt "go.etcd.io/bbolt"
)

// TestCorruption damages a real data file in every way the suite knows —
// bits flipped in the keys and values of every bucket and in every page,
// the file cut short at several points, each page zeroed in turn — and
// checks each damaged copy: OpenWith fails with an error matching
// ErrDamaged that names the file and the way out, or it opens and every
// read gives the original value or an error matching ErrCorrupt, never a
// different value, and an object found missing is reported by Check or
// Damaged. Nothing panics or faults.
func TestCorruption(t *testing.T) {
	dir := fixture(t)
	path := filepath.Join(dir, store.FileName)
	arts := artifactKeys(t, path)
	db := open(t, dir)
	want := reads(db, arts)
	if err := db.Check(); err != nil {
		t.Fatalf("the undamaged file fails Check: %v", err)
	}
	db.Close()
	for name, r := range want {
		if r.err != nil || r.missing {
			t.Fatalf("undamaged %s: %+v", name, r)
		}
	}
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ps := int(binary.NativeEndian.Uint32(orig[16+8:]))

	cases := map[string][]byte{}
	for _, loc := range valueLocations(t, path) {
		for _, at := range []int{0, len(loc.bytes) / 2, len(loc.bytes) - 1} {
			c := bytes.Clone(orig)
			n := flipAll(c, loc.bytes, at)
			if n == 0 {
				t.Fatalf("%s not found in the file", loc.name)
			}
			cases[fmt.Sprintf("flip/%s/byte%d", loc.name, at)] = c
		}
	}
	for p := 0; p < len(orig)/ps; p++ {
		for _, off := range []int{0, 8, 10, 16, 40, ps / 2, ps - 1} {
			c := bytes.Clone(orig)
			c[p*ps+off] ^= 0x10
			cases[fmt.Sprintf("flip/page%d/offset%d", p, off)] = c
		}
		c := bytes.Clone(orig)
		clear(c[p*ps : (p+1)*ps])
		cases[fmt.Sprintf("zero/page%d", p)] = c
	}
	for _, n := range []int{1, ps - 1, ps, 2 * ps, 3 * ps, len(orig) / 4, len(orig) / 2, len(orig) - ps, len(orig) - 1} {
		cases[fmt.Sprintf("truncate/%d", n)] = bytes.Clone(orig[:n])
	}

	opened, refused := 0, 0
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			if damagedCopy(t, data, want, arts) {
				opened++
			} else {
				refused++
			}
		})
	}
	t.Logf("%d damaged copies: %d opened, %d refused", len(cases), opened, refused)
}

// damagedCopy opens data as a data file and checks it; it reports whether
// the file opened.
func damagedCopy(t *testing.T, data []byte, want map[string]result, arts [][2]string) (opened bool) {
	t.Helper()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	dir := t.TempDir()
	path := filepath.Join(dir, store.FileName)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := store.OpenWith(dir, store.Options{Timeout: time.Second})
	if err != nil {
		if errors.Is(err, store.ErrSchemaTooNew) {
			return false // the schema version's bits: an error, if not the truest one
		}
		if !errors.Is(err, store.ErrDamaged) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "nexus store restore") {
			t.Fatalf("open: %v; want ErrDamaged naming the file and the way out", err)
		}
		return false
	}
	defer db.Close()
	got := reads(db, arts)
	checkErr := db.Check()
	_, skipped := db.Damaged()
	if n := compare(t, want, got, checkErr != nil || skipped > 0); n > 0 {
		t.Logf("%d module reads differ: the registry's to refuse", n)
	}
	return true
}

// location is a key or value of the file, to damage.
type location struct {
	name  string
	bytes []byte
}

// valueLocations lists, for every bucket and sub-bucket of the file, the
// first, middle and last values (or keys, where the values are empty).
func valueLocations(t *testing.T, path string) []location {
	t.Helper()
	b, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var locs []location
	var walk func(name string, bk *bolt.Bucket)
	walk = func(name string, bk *bolt.Bucket) {
		var kvs [][2][]byte
		bk.ForEach(func(k, v []byte) error {
			if v == nil {
				walk(name+"/"+string(k), bk.Bucket(k))
				return nil
			}
			kvs = append(kvs, [2][]byte{bytes.Clone(k), bytes.Clone(v)})
			return nil
		})
		if len(kvs) == 0 {
			return
		}
		for _, i := range []int{0, len(kvs) / 2, len(kvs) - 1} {
			k, v := kvs[i][0], kvs[i][1]
			locs = append(locs, location{fmt.Sprintf("%s/key%d", name, i), k})
			if len(v) > 0 {
				locs = append(locs, location{fmt.Sprintf("%s/value%d", name, i), v})
			}
		}
	}
	b.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, bk *bolt.Bucket) error {
			walk(string(name), bk)
			return nil
		})
	})
	return locs
}

// flipAll flips a bit of byte at of every copy of pattern in data and
// returns how many it changed.
func flipAll(data, pattern []byte, at int) int {
	n := 0
	for i := 0; ; {
		j := bytes.Index(data[i:], pattern)
		if j < 0 {
			return n
		}
		data[i+j+at] ^= 0x04
		i += j + len(pattern)
		n++
	}
}
