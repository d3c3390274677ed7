package storetest

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/nexustask/nexus/host"
)

// RunKV runs the contract suite of host.KV against stores made by open.
func RunKV(t *testing.T, open func(t *testing.T) host.KV) {
	for _, c := range []struct {
		name string
		fn   func(*testing.T, host.KV)
	}{
		{"SetGetDelete", testKVSetGetDelete},
		{"Namespaces", testKVNamespaces},
		{"Total", testKVTotal},
		{"Copies", testKVCopies},
		{"ConcurrentTotal", testKVConcurrentTotal},
	} {
		t.Run(c.name, func(t *testing.T) { c.fn(t, open(t)) })
	}
}

const unlimited = 1 << 40

func wantKV(t *testing.T, kv host.KV, ns, key, want string, wantFound bool) {
	t.Helper()
	v, found, err := kv.Get(ns, key)
	must(t, err)
	if found != wantFound || string(v) != want {
		t.Fatalf("Get(%s, %s) = %q, %v; want %q, %v", ns, key, v, found, want, wantFound)
	}
}

func testKVSetGetDelete(t *testing.T, kv host.KV) {
	wantKV(t, kv, "ns", "k", "", false)
	must(t, kv.Set("ns", "k", []byte("v1"), unlimited))
	wantKV(t, kv, "ns", "k", "v1", true)
	must(t, kv.Set("ns", "k", []byte("v2"), unlimited))
	wantKV(t, kv, "ns", "k", "v2", true)
	must(t, kv.Set("ns", "empty", nil, unlimited))
	wantKV(t, kv, "ns", "empty", "", true)
	found, err := kv.Delete("ns", "k")
	must(t, err)
	if !found {
		t.Fatal("Delete of a stored key: found false")
	}
	wantKV(t, kv, "ns", "k", "", false)
	found, err = kv.Delete("ns", "k")
	must(t, err)
	if found {
		t.Fatal("Delete of a deleted key: found true")
	}
	if found, err := kv.Delete("none", "k"); found || err != nil {
		t.Fatalf("Delete in an unknown namespace = %v, %v", found, err)
	}
}

func testKVNamespaces(t *testing.T, kv host.KV) {
	must(t, kv.Set("a", "k", []byte("in a"), unlimited))
	must(t, kv.Set("b", "k", []byte("in b"), unlimited))
	wantKV(t, kv, "a", "k", "in a", true)
	wantKV(t, kv, "b", "k", "in b", true)
	if _, err := kv.Delete("a", "k"); err != nil {
		t.Fatal(err)
	}
	wantKV(t, kv, "b", "k", "in b", true)
	// Each namespace has its own total.
	must(t, kv.Set("c", "k", make([]byte, 9), 10))
	must(t, kv.Set("d", "k", make([]byte, 9), 10))
}

func testKVTotal(t *testing.T, kv host.KV) {
	// Key and value bytes count: "k1"+8 = 10.
	must(t, kv.Set("ns", "k1", make([]byte, 8), 20))
	err := kv.Set("ns", "k2", make([]byte, 9), 20)
	if !errors.Is(err, host.ErrKVFull) {
		t.Fatalf("Set past the total: %v, want ErrKVFull", err)
	}
	wantKV(t, kv, "ns", "k2", "", false)
	must(t, kv.Set("ns", "k2", make([]byte, 8), 20)) // exactly 20
	// Replacing a value counts the new one instead of the old.
	must(t, kv.Set("ns", "k1", make([]byte, 3), 20))
	must(t, kv.Set("ns", "k3", make([]byte, 3), 20))
	// Deleting frees its bytes.
	if _, err := kv.Delete("ns", "k2"); err != nil {
		t.Fatal(err)
	}
	must(t, kv.Set("ns", "k4", make([]byte, 8), 20))
}

func testKVCopies(t *testing.T, kv host.KV) {
	v := []byte("value")
	must(t, kv.Set("ns", "k", v, unlimited))
	v[0] = 'X'
	wantKV(t, kv, "ns", "k", "value", true)
	got, _, err := kv.Get("ns", "k")
	must(t, err)
	got[0] = 'Y'
	wantKV(t, kv, "ns", "k", "value", true)
}

func testKVConcurrentTotal(t *testing.T, kv host.KV) {
	// 16 writers of 10-byte entries ("kNN" + 7) into a total of 50:
	// exactly 5 fit, whatever the interleaving.
	var ok atomic.Int64
	hammer(16, func(i int) {
		err := kv.Set("ns", fmt.Sprintf("k%02d", i), make([]byte, 7), 50)
		switch {
		case err == nil:
			ok.Add(1)
		case !errors.Is(err, host.ErrKVFull):
			t.Errorf("Set: %v", err)
		}
	})
	if ok.Load() != 5 {
		t.Fatalf("%d sets fit in the total, want 5", ok.Load())
	}
}
