package host

import "testing"

// TestReadsSources: only a module importing a WASI function that reads the
// clocks or the random source gets per-instance deterministic ones.
func TestReadsSources(t *testing.T) {
	for _, tc := range []struct {
		imports []Import
		want    bool
	}{
		{nil, false},
		{[]Import{{Module: "wasi_snapshot_preview1", Name: "fd_write", Kind: "func"}, {Module: "nexus_v1", Name: "input_len", Kind: "func"}}, false},
		{[]Import{{Module: "env", Name: "clock_time_get", Kind: "func"}}, false},
		{[]Import{{Module: "wasi_snapshot_preview1", Name: "clock_time_get", Kind: "func"}}, true},
		{[]Import{{Module: "wasi_snapshot_preview1", Name: "clock_res_get", Kind: "func"}}, true},
		{[]Import{{Module: "wasi_snapshot_preview1", Name: "random_get", Kind: "func"}}, true},
		{[]Import{{Module: "wasi_snapshot_preview1", Name: "poll_oneoff", Kind: "func"}}, true},
	} {
		if got := readsSources(tc.imports); got != tc.want {
			t.Errorf("readsSources(%v) = %v, want %v", tc.imports, got, tc.want)
		}
	}
}
