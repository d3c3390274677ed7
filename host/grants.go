package host

import (
	"crypto/rand"
	"fmt"
	"os"

	"github.com/nexustask/nexus/host/internal/scratch"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/experimental/sysfs"
)

// DefaultScratchBytes is the size of a scratch directory whose grant does
// not give one.
const DefaultScratchBytes = 64 << 20

// ScratchGuestPath is where a granted scratch directory is preopened.
const ScratchGuestPath = "/scratch"

// Grants are the capabilities a task runs with; the zero value grants
// nothing, which keeps the task deterministic.
type Grants struct {
	// Clock gives the real wall and monotonic clocks, and real sleeps.
	Clock bool
	// Random gives the host's cryptographic random source.
	Random bool
	// Scratch preopens a fresh empty directory at /scratch, writable up to
	// ScratchBytes, removed when the task ends.
	Scratch bool
	// ScratchBytes sizes the scratch directory; 0 means DefaultScratchBytes.
	ScratchBytes int64
	// Env are the environment variables, as KEY=VALUE pairs.
	Env []string
	// Args follow the module name in argv.
	Args []string
	// Mounts preopen host directories (data bundles) at guest paths; see
	// Mount. A writable mount's copy is bounded by ScratchBytes.
	Mounts []Mount
}

// Deterministic reports whether g leaves the task a function of its inputs.
func (g Grants) Deterministic() bool { return !g.Clock && !g.Random }

// apply configures cfg with the grants. The returned cleanup removes a
// scratch directory and writable mounts' copies and closes the mounts;
// it is never nil.
func (g Grants) apply(cfg wazero.ModuleConfig, name, scratchParent string) (wazero.ModuleConfig, func(), error) {
	cfg = cfg.WithArgs(append([]string{name}, g.Args...)...)
	for _, kv := range g.Env {
		k, v, ok := cutEnv(kv)
		if !ok {
			return nil, nil, fmt.Errorf("host: environment entry %q is not KEY=VALUE", kv)
		}
		cfg = cfg.WithEnv(k, v)
	}
	if g.Clock {
		cfg = cfg.WithSysWalltime().WithSysNanotime().WithSysNanosleep()
	}
	if g.Random {
		cfg = cfg.WithRandSource(rand.Reader)
	}
	if !g.Scratch && len(g.Mounts) == 0 {
		return cfg, func() {}, nil
	}
	if err := g.checkMounts(); err != nil {
		return nil, nil, err
	}
	size := g.ScratchBytes
	if size <= 0 {
		size = DefaultScratchBytes
	}
	var cleanups []func()
	cleanup := func() {
		for i := len(cleanups) - 1; i >= 0; i-- {
			cleanups[i]()
		}
	}
	wfsc := wazero.NewFSConfig()
	if g.Scratch {
		dir, err := os.MkdirTemp(scratchParent, "nexus-scratch-")
		if err != nil {
			return nil, nil, fmt.Errorf("host: scratch directory: %w", err)
		}
		cleanups = append(cleanups, func() { os.RemoveAll(dir) })
		wfsc = wfsc.(sysfs.FSConfig).WithSysFSMount(scratch.New(dir, size), ScratchGuestPath)
	}
	for _, m := range g.Mounts {
		mfs, done, err := mountFS(m, scratchParent, size)
		if err != nil {
			cleanup()
			return nil, nil, err
		}
		cleanups = append(cleanups, done)
		wfsc = wfsc.(sysfs.FSConfig).WithSysFSMount(mfs, m.GuestPath)
	}
	return cfg.WithFSConfig(wfsc), cleanup, nil
}

func cutEnv(kv string) (string, string, bool) {
	for i := 0; i < len(kv); i++ {
		if kv[i] == '=' {
			return kv[:i], kv[i+1:], i > 0
		}
	}
	return "", "", false
}
