package modules

import (
	"context"

	"github.com/nexustask/nexus/host"
)

// PutOptions are the settings of a new version, chosen at upload.
type PutOptions struct {
	// Isolation is host.IsolationFresh ("" means the same) or
	// host.IsolationWarm.
	Isolation host.Isolation
}

// snapshot pre-initialises mod for tasks of name when Config.Snapshots is
// set. A module that cannot be snapshotted runs as before; why is in its
// versions' Snapshot field.
func (r *Registry) snapshot(ctx context.Context, mod *host.Module, artifact []byte, name string) {
	if !r.cfg.Snapshots {
		return
	}
	_ = r.rt.Snapshot(ctx, mod, artifact, name) // the reason is kept in mod.SnapshotStatus
}

// withStatusLocked returns v with its Snapshot field filled in from its
// compiled code, if compiled, and its State. Called with r.mu held.
func (r *Registry) withStatusLocked(v Version) Version {
	if m, ok := r.compiled[v.Digest]; ok {
		v.Snapshot = m.SnapshotStatus(v.Name)
	}
	v.State, v.CorruptReason = StateReady, ""
	if reason, ok := r.corrupt[v.Digest]; ok {
		v.State, v.CorruptReason = StateCorrupt, reason
	}
	return v
}

// configure sets, on the compiled code of digest, the isolation of every
// version (of any name) that has that digest.
func (r *Registry) configure(m *host.Module, digest string) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for name, vs := range r.versions {
		for _, v := range vs {
			if v.Digest == digest {
				m.SetIsolation(name, v.Isolation)
			}
		}
	}
}
