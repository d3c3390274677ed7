package host

import (
	"context"

	"github.com/tetratelabs/wazero"
)

// runSpawning runs a task that may wait for its children
// (waitsForChildren) in a new instance, whatever its isolation: never in a
// warm or reset instance, nor from a snapshot. A parent parked in task_await holds its instance for
// as long as its children run; a reused instance would also carry one
// run's spawn state into the next, so the host does not reason about
// when that would be safe (RATIONALE.md, "Tasks that spawn tasks").
func (r *Runtime) runSpawning(ctx context.Context, m *Module, ns *nsState, t *task, req Request) error {
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
	return r.runFresh(ctx, m, t, m.compiled, cfg, true)
}
