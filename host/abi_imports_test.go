package host_test

import (
	"context"
	"encoding/binary"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/nexustask/nexus/abi"
	"github.com/nexustask/nexus/host"
)

// mapKV is an in-memory host.KV.
type mapKV map[string][]byte

func (m mapKV) Get(ns, key string) ([]byte, bool, error) {
	v, ok := m[ns+"/"+key]
	return v, ok, nil
}

func (m mapKV) Set(ns, key string, value []byte, _ int64) error {
	m[ns+"/"+key] = value
	return nil
}

func (m mapKV) Delete(ns, key string) (bool, error) {
	_, ok := m[ns+"/"+key]
	delete(m, ns+"/"+key)
	return ok, nil
}

// TestImportsCheckRangesFirst passes out-of-range pointers to every
// nexus_v1 import that takes memory ranges, in the states where the import
// would otherwise answer without touching memory (no kv store, no
// checkpoint, no configuration value, a length over a limit): each must
// trap naming the import and the range. Guest memory is one 64 KiB page.
func TestImportsCheckRangesFirst(t *testing.T) {
	const (
		page  = 1 << 16
		huge  = 0x7fffffff
		inKey = 0 // [0, 4) is in range: a valid 4-byte key
	)
	type rangeCase struct {
		name    string
		import_ string
		args    [5]uint32 // import index, then its arguments
		kv      bool      // give the task a kv store
		ranged  string    // the range the trap must name
	}
	tests := []rangeCase{
		{"input_read past the end", abi.ImportInputRead, [5]uint32{0, page, 1}, false, "[65536, 65537)"},
		{"output_write straddling", abi.ImportOutputWrite, [5]uint32{1, 65000, 1000}, false, "[65000, 66000)"},
		{"error_set past the end", abi.ImportErrorSet, [5]uint32{2, 70000, 1}, false, "[70000, 70001)"},
		{"log past the end", abi.ImportLog, [5]uint32{3, 1, page, 1}, false, "[65536, 65537)"},
		{"checkpoint_save over the size limit", abi.ImportCheckpointSave, [5]uint32{4, 0, huge}, false, "[0, 2147483647)"},
		{"checkpoint_load with no checkpoint", abi.ImportCheckpointLoad, [5]uint32{5, page, 16}, false, "[65536, 65552)"},
		{"kv_get value, no store", abi.ImportKVGet, [5]uint32{6, inKey, 4, page, 16}, false, "[65536, 65552)"},
		{"kv_get value, key not found", abi.ImportKVGet, [5]uint32{6, inKey, 4, page - 8, 16}, true, "[65528, 65544)"},
		{"kv_get key, no store", abi.ImportKVGet, [5]uint32{6, page, 4, 0, 0}, false, "[65536, 65540)"},
		{"kv_get oversize key", abi.ImportKVGet, [5]uint32{6, 0, huge, 0, 0}, true, "[0, 2147483647)"},
		{"kv_set value, no store", abi.ImportKVSet, [5]uint32{7, inKey, 4, 65000, 2 << 20}, false, "[65000, 2162152)"},
		{"kv_set value over the size limit", abi.ImportKVSet, [5]uint32{7, inKey, 4, 0, huge}, true, "[0, 2147483647)"},
		{"kv_delete key, no store", abi.ImportKVDelete, [5]uint32{8, 65534, 4}, false, "[65534, 65538)"},
		{"config_get value, not found", abi.ImportConfigGet, [5]uint32{9, inKey, 4, page, 8}, false, "[65536, 65544)"},
		{"config_get key", abi.ImportConfigGet, [5]uint32{9, page, 1, 0, 0}, false, "[65536, 65537)"},
	}

	// Every import that takes a range is covered; the others take none.
	noRanges := []string{abi.ImportInputLen, abi.ImportProgress, abi.ImportFuelRemaining}
	noRanges = append(noRanges, spawnImports...) // TestSpawnImportsCheckRangesFirst
	for _, name := range host.NexusImports() {
		covered := slices.ContainsFunc(tests, func(tt rangeCase) bool { return tt.import_ == name })
		if !covered && !slices.Contains(noRanges, name) {
			t.Errorf("nexus_v1.%s has no out-of-range case", name)
		}
	}

	plain := newRuntime(t, host.DefaultConfig())
	cfg := host.DefaultConfig()
	cfg.KV = mapKV{}
	withKV := newRuntime(t, cfg)
	mPlain := compileFile(t, plain, "testdata/abirange.wasm")
	mKV := compileFile(t, withKV, "testdata/abirange.wasm")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt, m := plain, mPlain
			if tt.kv {
				rt, m = withKV, mKV
			}
			var in []byte
			for _, a := range tt.args {
				in = binary.LittleEndian.AppendUint32(in, a)
			}
			_, err := rt.Run(context.Background(), m, host.Request{Input: in, Namespace: "abirange"})
			var te *host.TrapError
			if !errors.As(err, &te) {
				t.Fatalf("err = %v (%T), want a trap", err, err)
			}
			want := "nexus_v1." + tt.import_ + ": memory range " + tt.ranged + " is outside linear memory of 65536 bytes"
			if !strings.Contains(te.Message, want) {
				t.Fatalf("trap %q, want it to contain %q", te.Message, want)
			}
		})
	}
}
