package host

import (
	"bytes"
	"context"
	"fmt"

	"github.com/nexustask/nexus/abi"
	"github.com/nexustask/nexus/host/fuel"
	"github.com/nexustask/nexus/host/internal/snapshot"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/experimental"
)

// start runs t in the instance its request calls for: a warm one (warm
// isolation), a fresh one made ahead by the ready pool, a reset one (an
// earlier task's, reset to its pristine state: pool_reset.go), a fresh
// one from the module's snapshot, or a fresh one instantiated and
// initialised from scratch. Only tasks without grants use the first four;
// see Snapshot, IsolationWarm, Config.ReadyInstances and Config.NoReset
// for when each applies.
func (r *Runtime) start(ctx context.Context, m *Module, t *task, req Request, lim Limits) error {
	ns := m.fast.get(req.Namespace)
	if waitsForChildren(m, &req) {
		return r.runSpawning(ctx, m, ns, t, req)
	}
	if req.Grants.none() {
		v1 := m.profile == abi.ProfileNexusV1
		if v1 && ns.mode(req.Isolation) == IsolationWarm {
			return r.runWarm(ctx, m, ns, t, req.Namespace, lim)
		}
		if w := r.readyFor(m, ns, lim); w != nil {
			r.counts.ready.Add(1)
			t.source = SourceReady
			return r.runReady(ctx, m, t, w, lim)
		}
		if !r.cfg.NoReset && ns.mode(req.Isolation) == IsolationFresh {
			if ran, err := r.runReset(ctx, m, ns, t, lim); ran {
				return err
			}
		}
		if s := ns.snap.Load(); v1 && s.fits(lim) {
			r.counts.restored.Add(1)
			t.source = SourceSnapshot
			c := ns.stdioFor(m.profile, t)
			defer ns.putStdio(c)
			return r.runRestored(ctx, m, t, s, c.cfg)
		}
	} else if !r.cfg.NoReset && ns.mode(req.Isolation) == IsolationFresh {
		r.counts.resetFallback(ResetGrants)
	}
	var cfg wazero.ModuleConfig
	if req.Grants.none() && !m.readsSources {
		c := ns.stdioFor(m.profile, t)
		defer ns.putStdio(c)
		cfg = c.cfg
	} else {
		var cleanup func()
		var err error
		if cfg, cleanup, err = r.taskConfig(m, ns, t, req); err != nil {
			return err
		}
		defer cleanup()
	}
	r.counts.fresh.Add(1)
	t.source = SourceFresh
	return r.runFresh(ctx, m, t, m.compiled, cfg, true)
}

// taskConfig is the configuration of a fresh instance for a task t with
// grants, or of a module that reads clocks or random (the others take a
// pooled one: nsState.stdioFor): the deterministic clocks and random
// source (for a module that reads them), stdin and stdout for a
// wasi-command, stderr, then the request's grants. The cleanup it returns
// is never nil; call it after closing the instance.
func (r *Runtime) taskConfig(m *Module, ns *nsState, t *task, req Request) (wazero.ModuleConfig, func(), error) {
	cfg := ns.base.WithStderr(&t.logs)
	if m.profile == abi.ProfileWASICommand {
		cfg = cfg.WithStdin(bytes.NewReader(t.input)).WithStdout(&t.out)
	}
	if m.readsSources {
		cfg = snapshot.NewSources(0, 0, 0).Configure(cfg)
	}
	if req.Grants.none() {
		return cfg, func() {}, nil
	}
	cfg, cleanup, err := req.Grants.apply(cfg, req.Namespace, r.cfg.ScratchDir)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrGrant, err)
	}
	return cfg, cleanup, nil
}

// runFresh instantiates compiled for t, runs the task and closes the
// instance.
func (r *Runtime) runFresh(ctx context.Context, m *Module, t *task, compiled wazero.CompiledModule, cfg wazero.ModuleConfig, initialise bool) error {
	ictx := experimental.WithMemoryAllocator(ctx, &imageAllocator{q: &t.mem})
	mod, err := r.rt.InstantiateModule(ictx, compiled, cfg)
	if err != nil {
		return err
	}
	defer mod.Close(ctx)
	t.meter.global = mod.ExportedGlobal(fuel.ExportFuelGlobal)
	return r.call(ctx, m, t, mod, initialise)
}

// none reports whether g grants nothing: the task runs in the
// deterministic sandbox with argv = [module name] and no environment.
func (g Grants) none() bool {
	return !g.Clock && !g.Random && !g.Scratch && len(g.Env) == 0 && len(g.Args) == 0 && len(g.Mounts) == 0
}

// runRestored runs t in a fresh instance of the restore module of s, filled
// from the snapshot, and closes the instance.
func (r *Runtime) runRestored(ctx context.Context, m *Module, t *task, s *snapshotState, cfg wazero.ModuleConfig) error {
	mod, err := r.restore(ctx, t, s, cfg, &t.mem)
	if err != nil {
		return err
	}
	defer mod.Close(ctx)
	return r.call(ctx, m, t, mod, false)
}
