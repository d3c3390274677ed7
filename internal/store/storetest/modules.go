package storetest

import (
	"bytes"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/nexustask/nexus/modules"
)

// RunModules runs the contract suite of modules.Store against stores made
// by open.
func RunModules(t *testing.T, open func(t *testing.T) modules.Store) {
	for _, c := range []struct {
		name string
		fn   func(*testing.T, modules.Store)
	}{
		{"PutVersion", testModulePutVersion},
		{"Repair", testModuleRepair},
		{"Artifacts", testModuleArtifacts},
		{"NotFound", testModuleNotFound},
		{"Records", testModuleRecords},
		{"Delete", testModuleDelete},
		{"DeleteSharedBytes", testModuleDeleteShared},
		{"ConcurrentPuts", testModuleConcurrentPuts},
	} {
		t.Run(c.name, func(t *testing.T) { c.fn(t, open(t)) })
	}
}

// wasmOf returns distinct module bytes for n (the store does not validate
// them).
func wasmOf(n int) []byte { return []byte(fmt.Sprintf("\x00asm\x01\x00\x00\x00 module %d", n)) }

func version(name string, n int) modules.Version {
	w := wasmOf(n)
	return modules.Version{Name: name, Digest: modules.Digest(w), Size: int64(len(w)), CreatedAt: at(n)}
}

func put(t *testing.T, st modules.Store, name string, n int) ([]modules.Version, bool) {
	t.Helper()
	vs, created, err := st.PutVersion(version(name, n), wasmOf(n), "key", []byte(fmt.Sprintf("artifact %d", n)))
	must(t, err)
	return vs, created
}

// numbers returns the version numbers and digests of vs as "N:digest-of".
func numbers(vs []modules.Version) []string {
	var out []string
	for _, v := range vs {
		out = append(out, fmt.Sprintf("%s %d %s", v.Name, v.Version, v.Digest))
	}
	return out
}

func testModulePutVersion(t *testing.T, st modules.Store) {
	vs, created := put(t, st, "m", 1)
	if !created || len(vs) != 1 || vs[0].Version != 1 {
		t.Fatalf("first put: created %v, %v", created, numbers(vs))
	}
	// v.Version, State and CorruptReason are the store's to set.
	v := version("m", 2)
	v.Version, v.State, v.CorruptReason = 7, "corrupt", "no"
	vs, created, err := st.PutVersion(v, wasmOf(2), "key", []byte("artifact 2"))
	must(t, err)
	if !created || len(vs) != 2 || vs[1].Version != 2 || vs[1].State != "" || vs[1].CorruptReason != "" {
		t.Fatalf("second put: created %v, %+v", created, vs)
	}
	// The same digest again adds nothing.
	again, created := put(t, st, "m", 1)
	if created || !slices.Equal(numbers(again), numbers(vs)) {
		t.Fatalf("put of a stored digest: created %v, %v, want %v", created, numbers(again), numbers(vs))
	}
	if vs[0].Digest != version("m", 1).Digest || vs[0].Size != int64(len(wasmOf(1))) || !vs[0].CreatedAt.Equal(at(1)) {
		t.Fatalf("version 1 as stored: %+v", vs[0])
	}
	b, err := st.Bytes(vs[1].Digest)
	must(t, err)
	if !bytes.Equal(b, wasmOf(2)) {
		t.Fatalf("Bytes = %q", b)
	}
}

func testModuleRepair(t *testing.T, st modules.Store) {
	v := version("m", 1)
	_, _, err := st.PutVersion(v, []byte("damaged"), "key", []byte("damaged artifact"))
	must(t, err)
	_, created, err := st.PutVersion(v, wasmOf(1), "key", []byte("artifact"))
	must(t, err)
	if created {
		t.Fatal("repairing bytes added a version")
	}
	b, err := st.Bytes(v.Digest)
	must(t, err)
	art, sum, err := st.ArtifactWithDigest(v.Digest, "key")
	must(t, err)
	if !bytes.Equal(b, wasmOf(1)) || string(art) != "artifact" || sum != modules.Digest([]byte("artifact")) {
		t.Fatalf("after repair: bytes %q, artifact %q (%s)", b, art, sum)
	}
}

func testModuleArtifacts(t *testing.T, st modules.Store) {
	vs, _ := put(t, st, "m", 1)
	d := vs[0].Digest
	art, sum, err := st.ArtifactWithDigest(d, "key")
	must(t, err)
	if string(art) != "artifact 1" || sum != modules.Digest(art) {
		t.Fatalf("ArtifactWithDigest = %q, %s", art, sum)
	}
	must(t, st.PutArtifact(d, "other", []byte("x")))
	must(t, st.PutArtifact(d, "key", []byte("replaced")))
	for key, want := range map[string]string{"other": "x", "key": "replaced"} {
		art, sum, err := st.ArtifactWithDigest(d, key)
		must(t, err)
		if string(art) != want || sum != modules.Digest([]byte(want)) {
			t.Fatalf("artifact %s = %q (%s), want %q", key, art, sum, want)
		}
	}
	_, _, err = st.ArtifactWithDigest(d, "none")
	wantErr(t, err, modules.ErrNotFound)
	wantErr(t, st.PutArtifact(modules.Digest([]byte("unknown")), "key", []byte("x")), modules.ErrNotFound)
}

func testModuleNotFound(t *testing.T, st modules.Store) {
	_, err := st.Bytes(modules.Digest([]byte("none")))
	wantErr(t, err, modules.ErrNotFound)
	_, _, err = st.ArtifactWithDigest(modules.Digest([]byte("none")), "key")
	wantErr(t, err, modules.ErrNotFound)
	_, err = st.DeleteModule("none")
	wantErr(t, err, modules.ErrNotFound)
}

func testModuleRecords(t *testing.T, st modules.Store) {
	recs, err := st.Records()
	must(t, err)
	if len(recs) != 0 {
		t.Fatalf("Records of an empty store = %v", recs)
	}
	put(t, st, "b", 1)
	put(t, st, "a", 2)
	put(t, st, "a", 3)
	recs, err = st.Records()
	must(t, err)
	var got []string
	for _, r := range recs {
		if r.Err != nil {
			t.Fatalf("record %s: %v", r.Name, r.Err)
		}
		if err := modules.CheckRecord(r.Name, r.Versions); err != nil {
			t.Fatalf("record %s: %v", r.Name, err)
		}
		got = append(got, r.Name+fmt.Sprint(len(r.Versions)))
	}
	if !slices.Equal(got, []string{"a2", "b1"}) {
		t.Fatalf("Records = %v, want a (2 versions), b (1), by name", got)
	}
}

func testModuleDelete(t *testing.T, st modules.Store) {
	put(t, st, "m", 1)
	vs, _ := put(t, st, "m", 2)
	removed, err := st.DeleteModule("m")
	must(t, err)
	if !slices.Equal(numbers(removed), numbers(vs)) {
		t.Fatalf("DeleteModule = %v, want %v", numbers(removed), numbers(vs))
	}
	for _, v := range vs {
		_, err := st.Bytes(v.Digest)
		wantErr(t, err, modules.ErrNotFound)
		_, _, err = st.ArtifactWithDigest(v.Digest, "key")
		wantErr(t, err, modules.ErrNotFound)
	}
	_, err = st.DeleteModule("m")
	wantErr(t, err, modules.ErrNotFound)
	recs, err := st.Records()
	must(t, err)
	if len(recs) != 0 {
		t.Fatalf("Records after delete = %v", recs)
	}
	// The name starts again at version 1.
	vs, created := put(t, st, "m", 1)
	if !created || vs[0].Version != 1 || len(vs) != 1 {
		t.Fatalf("put after delete: %v", numbers(vs))
	}
}

func testModuleDeleteShared(t *testing.T, st modules.Store) {
	put(t, st, "a", 1)
	vs, created := put(t, st, "b", 1) // the same bytes under another name
	if !created || vs[0].Version != 1 {
		t.Fatalf("same bytes under another name: created %v, %v", created, numbers(vs))
	}
	_, err := st.DeleteModule("a")
	must(t, err)
	b, err := st.Bytes(vs[0].Digest)
	must(t, err)
	if !bytes.Equal(b, wasmOf(1)) {
		t.Fatal("bytes still used by b were deleted with a")
	}
	if _, _, err := st.ArtifactWithDigest(vs[0].Digest, "key"); err != nil {
		t.Fatalf("artifact still used by b: %v", err)
	}
	_, err = st.DeleteModule("b")
	must(t, err)
	_, err = st.Bytes(vs[0].Digest)
	wantErr(t, err, modules.ErrNotFound)
}

func testModuleConcurrentPuts(t *testing.T, st modules.Store) {
	const n = 12
	var mu sync.Mutex
	got := map[int]bool{}
	hammer(n, func(i int) {
		vs, created, err := st.PutVersion(version("m", i), wasmOf(i), "key", []byte("a"))
		if err != nil || !created {
			t.Errorf("put %d: created %v, %v", i, created, err)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		for _, v := range vs {
			if v.Digest == version("m", i).Digest {
				got[v.Version] = true
			}
		}
	})
	for v := 1; v <= n; v++ {
		if !got[v] {
			t.Fatalf("versions numbered %v, want 1 to %d, each once", got, n)
		}
	}
}
