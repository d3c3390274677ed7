package host_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/nexustask/nexus/host"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// mountReadBytes is the size of the file the read benchmarks read.
const mountReadBytes = 100 << 20

// BenchmarkMountRead reads a 100 MiB file sequentially (fsprobe's read,
// 64 KiB reads) from a read-only mount, one task per iteration: host=nexus
// through a bundle mount (host/internal/rootfs over os.Root, the guest
// fuel-instrumented), host=wazero the same guest, uninstrumented, under
// plain wazero with the directory mounted as `wazero run -mount=DIR:/data`
// mounts it. Compare the two with `benchstat -col /host`.
func BenchmarkMountRead(b *testing.B) {
	dir := b.TempDir()
	data := bytes.Repeat([]byte("0123456789abcdef"), mountReadBytes/16)
	if err := os.WriteFile(filepath.Join(dir, "big"), data, 0o444); err != nil {
		b.Fatal(err)
	}
	wasm, err := os.ReadFile("testdata/fsprobe.wasm")
	if err != nil {
		b.Fatal(err)
	}
	input := []byte("read /data/big")
	want := fmt.Sprintf("%d ", mountReadBytes)
	check := func(b *testing.B, out []byte) {
		if !bytes.HasPrefix(out, []byte(want)) {
			b.Fatalf("output %q, want %q…", out, want)
		}
	}
	ctx := context.Background()

	b.Run("host=nexus", func(b *testing.B) {
		rt := newRuntime(b, host.DefaultConfig())
		m := compileFile(b, rt, "testdata/fsprobe.wasm")
		req := host.Request{Input: input, Grants: host.Grants{Mounts: []host.Mount{{Dir: dir, GuestPath: "/data"}}}}
		b.SetBytes(mountReadBytes)
		for b.Loop() {
			res, err := rt.Run(ctx, m, req)
			if err != nil {
				b.Fatal(err)
			}
			check(b, res.Output)
		}
	})

	b.Run("host=wazero", func(b *testing.B) {
		r := wazero.NewRuntime(ctx)
		defer r.Close(ctx)
		wasi_snapshot_preview1.MustInstantiate(ctx, r)
		compiled, err := r.CompileModule(ctx, wasm)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(mountReadBytes)
		for b.Loop() {
			var out bytes.Buffer
			cfg := wazero.NewModuleConfig().WithName("").WithStdin(bytes.NewReader(input)).WithStdout(&out).
				WithFSConfig(wazero.NewFSConfig().WithDirMount(dir, "/data"))
			mod, err := r.InstantiateModule(ctx, compiled, cfg)
			if err != nil {
				b.Fatal(err)
			}
			mod.Close(ctx)
			check(b, out.Bytes())
		}
	})
}
