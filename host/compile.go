package host

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/experimental"
)

// compileCtxErr returns nil while ctx is live; otherwise an error wrapping
// ErrCompileTimeout if its deadline passed, or ErrCanceled and ctx.Err()
// if it was canceled. phase names what was cut short.
func compileCtxErr(ctx context.Context, phase string) error {
	switch err := ctx.Err(); {
	case err == nil:
		return nil
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%w (%s)", ErrCompileTimeout, phase)
	default:
		return fmt.Errorf("%w: %s: %w", ErrCanceled, phase, err)
	}
}

// checkCeilings refuses a module whose memory or tables at start exceed
// what any task may be given (Config.Max): none of its tasks could start.
func (r *Runtime) checkCeilings(sh *shape) error {
	if need := uint64(sh.memMinPages) << 16; sh.hasMemory && need > uint64(r.cfg.Max.MemoryBytes) {
		return fmt.Errorf("%w: memory minimum of %d bytes exceeds the server's maximum memory quota of %d bytes",
			ErrInvalidModule, need, r.cfg.Max.MemoryBytes)
	}
	if sh.tableMin > uint64(r.cfg.Max.TableElements) {
		return fmt.Errorf("%w: table minimums of %d elements exceed the server's maximum of %d table elements",
			ErrInvalidModule, sh.tableMin, r.cfg.Max.TableElements)
	}
	return nil
}

// validate compiles wasm with the validator, which checks it fully. The
// interpreter does not look at ctx while it works, so validate does not
// wait for it past the end of ctx: it then returns compileCtxErr's error
// and lets the validation finish on its own goroutine (bounded by the
// module's size), which Close waits for.
func (r *Runtime) validate(ctx context.Context, wasm []byte) error {
	run := func() error {
		c, err := r.validator.CompileModule(context.WithoutCancel(ctx), wasm)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrInvalidModule, err)
		}
		return c.Close(context.Background())
	}
	if ctx.Done() == nil {
		return run()
	}
	r.bgMu.Lock()
	if r.closing {
		r.bgMu.Unlock()
		return ErrClosed
	}
	r.bg.Add(1)
	r.bgMu.Unlock()
	done := make(chan error, 1)
	go func() {
		defer r.bg.Done()
		done <- run()
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return compileCtxErr(ctx, "validation")
	}
}

// compileWorkers is how many goroutines compile one module's functions
// when the caller's context can end. wazero's optimizing compiler checks
// the context between functions only when it compiles with more than one
// worker; with one it runs to the end whatever the context says.
const compileWorkers = 2

// compile compiles an instrumented module with the runtime's compiler,
// stopping between functions when ctx ends. If the on-disk compilation
// cache holds a damaged entry for it (wazero then fails with a
// "compilationcache:" error), it removes the damaged entries and compiles
// again: one bad cache file must not keep a module from loading.
func (r *Runtime) compile(ctx context.Context, wasm []byte) (wazero.CompiledModule, error) {
	if ctx.Done() != nil {
		ctx = experimental.WithCompilationWorkers(ctx, compileWorkers)
	}
	c, err := r.rt.CompileModule(ctx, wasm)
	if err == nil || r.cfg.CacheDir == "" || !strings.Contains(err.Error(), "compilationcache:") {
		return c, err
	}
	if rerr := removeDamagedCache(r.cfg.CacheDir); rerr != nil {
		return nil, fmt.Errorf("%v; removing the damaged cache entry: %v", err, rerr)
	}
	return r.rt.CompileModule(ctx, wasm)
}

// removeDamagedCache removes the entries of wazero's compilation cache
// under dir whose machine code fails its checksum, or that cannot be read
// at all. If it finds none (the damage is somewhere it does not check), it
// removes every entry: it is only a cache. Files being written (*.tmp)
// are left alone.
func removeDamagedCache(dir string) error {
	var entries, damaged []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() || strings.HasSuffix(path, ".tmp") ||
			!strings.HasPrefix(filepath.Base(filepath.Dir(path)), "wazero-") {
			return nil
		}
		entries = append(entries, path)
		if b, err := os.ReadFile(path); err != nil || !cacheEntryIntact(b) {
			damaged = append(damaged, path)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(damaged) == 0 {
		damaged = entries
	}
	for _, path := range damaged {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// cacheEntryIntact reports whether b, an entry of wazero's compilation
// cache (v1.12: "WAZEVO", version, function offsets, machine code and a
// CRC-32C of it), has machine code matching its checksum.
func cacheEntryIntact(b []byte) bool {
	const magic = "WAZEVO"
	if len(b) < len(magic)+1 || string(b[:len(magic)]) != magic {
		return false
	}
	off := len(magic) + 1 + int(b[len(magic)]) // version
	if off+4 > len(b) {
		return false
	}
	funcs := uint64(binary.LittleEndian.Uint32(b[off:]))
	off += 4
	if uint64(len(b)-off) < funcs*8+8 {
		return false
	}
	off += int(funcs) * 8
	size := binary.LittleEndian.Uint64(b[off:])
	off += 8
	if size > uint64(len(b)-off) || uint64(len(b)-off)-size < 4 {
		return false
	}
	code := b[off : off+int(size)]
	sum := binary.LittleEndian.Uint32(b[off+int(size):])
	return crc32.Checksum(code, crc32.MakeTable(crc32.Castagnoli)) == sum
}
