package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/modules"
	bolt "go.etcd.io/bbolt"
)

// These tests damage what the store holds of modules, by writing to the
// bolt file directly, and check what a restarted Registry makes of it.

// node is one start of a Registry over the data directory dir.
type node struct {
	t   *testing.T
	dir string
	db  *DB
	rt  *host.Runtime
	reg *modules.Registry
}

// start opens the store in dir and loads a Registry over it; Load must
// succeed whatever the store holds.
func start(t *testing.T, dir string) *node {
	t.Helper()
	ctx := context.Background()
	db, err := Open(dir, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := host.New(ctx, host.Config{})
	if err != nil {
		t.Fatal(err)
	}
	n := &node{t: t, dir: dir, db: db, rt: rt, reg: modules.New(db, rt, modules.DefaultConfig())}
	t.Cleanup(n.stop)
	if err := n.reg.Load(ctx); err != nil {
		t.Fatalf("load: %v", err)
	}
	return n
}

// stop closes the runtime and the store; it may be called again.
func (n *node) stop() {
	if n.db != nil {
		n.rt.Close(context.Background())
		n.db.Close()
		n.db = nil
	}
}

// restart stops n, applies damage to the bolt file (if not nil), and
// starts a new node over the same directory.
func (n *node) restart(damage func(tx *bolt.Tx) error) *node {
	n.t.Helper()
	n.stop()
	if damage != nil {
		b, err := bolt.Open(n.dir+"/"+FileName, 0o600, nil)
		if err != nil {
			n.t.Fatal(err)
		}
		if err := b.Update(damage); err != nil {
			n.t.Fatal(err)
		}
		b.Close()
	}
	return start(n.t, n.dir)
}

func (n *node) put(name string, wasm []byte) modules.Version {
	n.t.Helper()
	v, _, err := n.reg.Put(context.Background(), name, wasm)
	if err != nil {
		n.t.Fatalf("put %s: %v", name, err)
	}
	return v
}

// run resolves version of name and runs it on input.
func (n *node) run(name string, version int, input string) (string, error) {
	ctx := context.Background()
	_, mod, err := n.reg.Resolve(ctx, name, version)
	if err != nil {
		return "", err
	}
	res, err := n.rt.Run(ctx, mod, host.Request{Input: []byte(input)})
	if err != nil {
		return "", err
	}
	return string(res.Output), nil
}

// wantEcho checks that version of name is the echo module, running.
func (n *node) wantEcho(name string, version int) {
	n.t.Helper()
	if out, err := n.run(name, version, "hello"); err != nil || out != "hello" {
		n.t.Fatalf("%s v%d: %q, %v; want the echo", name, version, out, err)
	}
}

// wantCorrupt checks that version of name is refused with ErrCorrupt.
func (n *node) wantCorrupt(name string, version int) {
	n.t.Helper()
	if _, _, err := n.reg.Resolve(context.Background(), name, version); !errors.Is(err, modules.ErrCorrupt) {
		n.t.Fatalf("resolve %s v%d: %v, want ErrCorrupt", name, version, err)
	}
}

// corruptList is Corrupt as "name vN" strings.
func (n *node) corruptList() []string {
	var out []string
	for _, c := range n.reg.Corrupt() {
		out = append(out, fmt.Sprintf("%s v%d", c.Name, c.Version))
	}
	return out
}

func (n *node) wantCorruptList(want ...string) {
	n.t.Helper()
	if got := n.corruptList(); !slices.Equal(got, want) {
		n.t.Fatalf("Corrupt() = %v, want %v (%+v)", got, want, n.reg.Corrupt())
	}
}

func readWasm(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func fixtures(t *testing.T) (echo, wordcount []byte) {
	return readWasm(t, "../../examples/wat/echo.wasm"), readWasm(t, "../../examples/wat/wordcount/wordcount.wasm")
}

// flip returns a damage function that changes four bytes of the value
// under key in the bucket at path (a sub-bucket after the first name).
func flip(key string, path ...string) func(tx *bolt.Tx) error {
	return func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(path[0]))
		for _, p := range path[1:] {
			b = b.Bucket([]byte(p))
		}
		v := append([]byte(nil), b.Get([]byte(key))...)
		if len(v) < 8 {
			return fmt.Errorf("no value to damage under %s", key)
		}
		for i := range 4 {
			v[len(v)/2+i] ^= 0x5a
		}
		return b.Put([]byte(key), v)
	}
}

// TestDamagedModuleBytes: four bytes changed in a stored module make that
// module corrupt after a restart, and it alone; uploading its bytes again
// repairs it.
func TestDamagedModuleBytes(t *testing.T) {
	echo, wc := fixtures(t)
	n := start(t, t.TempDir())
	ev := n.put("echo", echo)
	n.put("wc", wc)

	n = n.restart(flip(ev.Digest, "blobs"))
	n.wantCorruptList("echo v1")
	n.wantCorrupt("echo", 0)
	if out, err := n.run("wc", 0, "a b"); err != nil || !strings.Contains(out, `"words":2`) {
		t.Fatalf("wc: %q %v", out, err)
	}
	vs, err := n.reg.Versions("echo")
	if err != nil || vs[0].State != modules.StateCorrupt || vs[0].CorruptReason == "" {
		t.Fatalf("versions: %+v %v", vs, err)
	}
	list := n.reg.List()
	if len(list) != 2 || list[0].State != modules.StateCorrupt || list[1].State != modules.StateReady {
		t.Fatalf("list: %+v", list)
	}

	// The same bytes again: no new version, the stored bytes repaired.
	v, created, err := n.reg.Put(context.Background(), "echo", echo)
	if err != nil || created || v.Version != 1 || v.State != modules.StateReady {
		t.Fatalf("re-upload: %+v %v %v", v, created, err)
	}
	n.wantCorruptList()
	n.wantEcho("echo", 0)
	n = n.restart(nil)
	n.wantCorruptList()
	n.wantEcho("echo", 0)
}

// TestDamagedBytesShared: bytes shared by two names are corrupt for both,
// and an upload under either name repairs both.
func TestDamagedBytesShared(t *testing.T) {
	echo, _ := fixtures(t)
	n := start(t, t.TempDir())
	ev := n.put("a", echo)
	n.put("b", echo)
	n = n.restart(flip(ev.Digest, "blobs"))
	n.wantCorruptList("a v1", "b v1")
	n.put("b", echo)
	n.wantCorruptList()
	n.wantEcho("a", 0)
}

// TestMissingModuleBytes: a version whose bytes are gone is corrupt.
func TestMissingModuleBytes(t *testing.T) {
	echo, wc := fixtures(t)
	n := start(t, t.TempDir())
	ev := n.put("echo", echo)
	n.put("wc", wc)
	n = n.restart(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketArtifacts).DeleteBucket([]byte(ev.Digest)); err != nil {
			return err
		}
		return tx.Bucket(bucketBlobs).Delete([]byte(ev.Digest))
	})
	n.wantCorruptList("echo v1")
	n.wantCorrupt("echo", 0)
	n.put("echo", echo)
	n.wantEcho("echo", 0)
}

// TestDamagedOlderVersion: an older version, compiled on first use, is
// verified then; the latest version serves meanwhile.
func TestDamagedOlderVersion(t *testing.T) {
	echo, wc := fixtures(t)
	n := start(t, t.TempDir())
	ev := n.put("m", echo)
	n.put("m", wc)
	n = n.restart(flip(ev.Digest, "blobs"))
	n.wantCorruptList() // v1 was not read yet
	if _, err := n.run("m", 2, "x"); err != nil {
		t.Fatal(err)
	}
	n.wantCorrupt("m", 1)
	n.wantCorruptList("m v1")
	if l := n.reg.List(); l[0].State != modules.StateCorrupt || l[0].Latest.State != modules.StateReady {
		t.Fatalf("list: %+v", l)
	}
}

// TestDamagedArtifact: a damaged artifact is not a corrupt module: it is
// made again from the verified bytes and stored over the damaged one, as
// is an artifact stored without its digest by an older release.
func TestDamagedArtifact(t *testing.T) {
	echo, _ := fixtures(t)
	n := start(t, t.TempDir())
	ev := n.put("echo", echo)
	key := host.ArtifactKey(ev.Digest)
	good, sum, err := n.db.ArtifactWithDigest(ev.Digest, key)
	if err != nil || sum != modules.Digest(good) {
		t.Fatalf("stored artifact: sum %q, %v", sum, err)
	}
	for _, damage := range []func(tx *bolt.Tx) error{
		flip(key, "artifacts", ev.Digest),
		func(tx *bolt.Tx) error { // as stored before artifacts had digests
			return tx.Bucket(bucketArtifacts).Bucket([]byte(ev.Digest)).Delete([]byte(key + artifactSumSuffix))
		},
	} {
		n = n.restart(damage)
		n.wantCorruptList()
		n.wantEcho("echo", 0)
		if art, sum, err := n.db.ArtifactWithDigest(ev.Digest, key); err != nil || !bytes.Equal(art, good) || sum != modules.Digest(good) {
			t.Fatalf("artifact not made again: sum %q, %v", sum, err)
		}
	}
}

// TestDamagedRecords: a module record that cannot be read makes that name
// corrupt and no other; the name can be deleted, or replaced by an upload.
func TestDamagedRecords(t *testing.T) {
	echo, wc := fixtures(t)
	records := map[string]string{
		"not json":      `{"name":`,
		"null":          `null`,
		"empty list":    `[]`,
		"object":        `{"name":"bad"}`,
		"empty version": `[{}]`,
		"another name":  `[{"name":"other","version":1,"digest":"sha256:00"}]`,
		"version zero":  `[{"name":"bad","version":0,"digest":"sha256:00"}]`,
		"versions down": `[{"name":"bad","version":2,"digest":"sha256:00"},{"name":"bad","version":1,"digest":"sha256:01"}]`,
		"no digest":     `[{"name":"bad","version":1}]`,
		"wrong types":   `[{"name":"bad","version":"1"}]`,
	}
	for what, raw := range records {
		t.Run(what, func(t *testing.T) {
			n := start(t, t.TempDir())
			n.put("echo", echo)
			n = n.restart(func(tx *bolt.Tx) error {
				return tx.Bucket(bucketModules).Put([]byte("bad"), []byte(raw))
			})
			n.wantEcho("echo", 0)
			n.wantCorruptList("bad v0")
			n.wantCorrupt("bad", 0)
			if l := n.reg.List(); len(l) != 2 || l[0].Name != "bad" || l[0].State != modules.StateCorrupt {
				t.Fatalf("list: %+v", l)
			}
			if what == "null" || what == "another name" {
				if err := n.reg.Delete(context.Background(), "bad"); err != nil {
					t.Fatal(err)
				}
				n.wantCorruptList()
				if _, _, err := n.reg.Resolve(context.Background(), "bad", 0); !errors.Is(err, modules.ErrNotFound) {
					t.Fatalf("after delete: %v", err)
				}
			}
			if v, created, err := n.reg.Put(context.Background(), "bad", wc); err != nil || !created || v.Version != 1 {
				t.Fatalf("upload over it: %+v %v %v", v, created, err)
			}
			n = n.restart(nil)
			n.wantCorruptList()
			if _, err := n.run("bad", 1, "x y"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestDamagedRecordBucket: a sub-bucket where a module record should be.
func TestDamagedRecordBucket(t *testing.T) {
	echo, _ := fixtures(t)
	n := start(t, t.TempDir())
	n.put("echo", echo)
	n = n.restart(func(tx *bolt.Tx) error {
		_, err := tx.Bucket(bucketModules).CreateBucket([]byte("bad"))
		return err
	})
	n.wantCorruptList("bad v0")
	n.wantEcho("echo", 0)
	if err := n.reg.Delete(context.Background(), "bad"); err != nil {
		t.Fatal(err)
	}
	n = n.restart(nil)
	n.wantCorruptList()
}

// TestRandomDamage changes random bytes of what the store holds of modules
// (records, bytes, artifacts and their digests): Load never fails or
// panics, and every module either runs or is refused with ErrCorrupt.
func TestRandomDamage(t *testing.T) {
	echo, wc := fixtures(t)
	dir := t.TempDir()
	n := start(t, dir)
	n.put("echo", echo)
	n.put("m", echo)
	n.put("m", wc)
	n.stop()
	pristine, err := os.ReadFile(dir + "/" + FileName)
	if err != nil {
		t.Fatal(err)
	}
	for seed := range uint64(40) {
		if err := os.WriteFile(dir+"/"+FileName, pristine, 0o600); err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(seed, 7))
		n = n.restart(func(tx *bolt.Tx) error { return damageRandomly(tx, rng) })
		for _, m := range n.reg.List() {
			vs, err := n.reg.Versions(m.Name)
			if err != nil {
				vs = []modules.Version{{}} // a record that cannot be read: resolve its latest
			}
			for _, v := range vs {
				_, err := n.run(m.Name, v.Version, "x")
				var te *host.TaskError
				if err != nil && !errors.Is(err, modules.ErrCorrupt) && !errors.As(err, &te) {
					t.Errorf("seed %d: %s v%d: %v", seed, m.Name, v.Version, err)
				}
			}
		}
	}
}

// damageRandomly changes one to four random bytes of one to three values
// in the module buckets.
func damageRandomly(tx *bolt.Tx, rng *rand.Rand) error {
	type value struct {
		b   *bolt.Bucket
		key []byte
	}
	var values []value
	collect := func(b *bolt.Bucket) {
		b.ForEach(func(k, v []byte) error {
			if v != nil {
				values = append(values, value{b, append([]byte(nil), k...)})
			}
			return nil
		})
	}
	collect(tx.Bucket(bucketModules))
	collect(tx.Bucket(bucketBlobs))
	tx.Bucket(bucketArtifacts).ForEach(func(k, _ []byte) error {
		collect(tx.Bucket(bucketArtifacts).Bucket(k))
		return nil
	})
	for range 1 + rng.IntN(3) {
		val := values[rng.IntN(len(values))]
		v := append([]byte(nil), val.b.Get(val.key)...)
		for range 1 + rng.IntN(4) {
			v[rng.IntN(len(v))] ^= byte(1 + rng.IntN(255))
		}
		if err := val.b.Put(val.key, v); err != nil {
			return err
		}
	}
	return nil
}
