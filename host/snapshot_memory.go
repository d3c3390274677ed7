package host

import (
	"context"
	"fmt"

	"github.com/nexustask/nexus/host/fuel"
	"github.com/nexustask/nexus/host/internal/snapshot"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// restore instantiates the restore module of s with cfg and fills it from
// the snapshot: memory (through the allocator, which hands wazero a buffer
// that already holds the snapshot), size and mutable globals, and the
// task's meter and deterministic sources. q is the quota the memory obeys.
func (r *Runtime) restore(ctx context.Context, t *task, s *snapshotState, cfg wazero.ModuleConfig, q *quota) (api.Module, error) {
	mod, _, err := r.restoreWith(ctx, t, s, cfg, &imageAllocator{q: q, s: s})
	return mod, err
}

// restoreWith is restore with the allocator alloc, which records the
// instance's memory (imageAllocator.last); it also returns the instance's
// deterministic sources.
func (r *Runtime) restoreWith(ctx context.Context, t *task, s *snapshotState, cfg wazero.ModuleConfig, alloc *imageAllocator) (api.Module, *snapshot.Sources, error) {
	t.meter.given, t.meter.used = s.given, s.used
	src := snapshot.NewSources(s.wallReads, s.nanoReads, s.randBytes)
	ictx := experimental.WithMemoryAllocator(ctx, alloc)
	mod, err := r.rt.InstantiateModule(ictx, s.code.restore, src.Configure(cfg))
	if err != nil {
		return nil, nil, err
	}
	mem := mod.Memory()
	if want, have := uint32(len(s.memory)>>16), mem.Size()>>16; want > have {
		if _, ok := mem.Grow(want - have); !ok {
			mod.Close(ctx)
			return nil, nil, fmt.Errorf("%w: the snapshot's %d bytes of memory do not fit", ErrMemoryLimit, len(s.memory))
		}
	}
	for i, name := range s.code.globals {
		g, ok := mod.ExportedGlobal(name).(api.MutableGlobal)
		if !ok {
			mod.Close(ctx)
			return nil, nil, &TrapError{Message: "restore module lacks global " + name}
		}
		g.Set(s.globals[i])
	}
	t.meter.global = mod.ExportedGlobal(fuel.ExportFuelGlobal)
	return mod, src, nil
}

// imageAllocator gives an instance its linear memory. For a restored
// instance (s set) it is a buffer holding the snapshot's memory from the
// start, so that neither wazero nor the host copies it after
// instantiation; otherwise a zero-filled one. Where it can, it maps the
// memory rather than allocating it (see snapshot.Image and snapshot.MapAnon). Growth
// obeys the quota q.
type imageAllocator struct {
	q    *quota
	s    *snapshotState
	last *imageMemory // the memory it allocated last
}

// Allocate implements experimental.MemoryAllocator.
func (a *imageAllocator) Allocate(_, _ uint64) experimental.LinearMemory {
	a.last = &imageMemory{q: a.q, s: a.s}
	return a.last
}

type imageMemory struct {
	q      *quota
	s      *snapshotState
	buf    []byte
	region []byte               // the mapped memory, if any: buf's backing array
	pool   *snapshot.RegionPool // where region goes back
}

// Reallocate implements experimental.LinearMemory. The first call maps the
// snapshot's memory image into a region as large as the quota, or, where
// there is no image, makes a buffer as large as the snapshot's memory and
// copies its non-zero ranges; later calls grow within the region, or grow
// the buffer like quotaMemory.
func (m *imageMemory) Reallocate(size uint64) []byte {
	if size > m.q.limit {
		m.q.refused.Store(true)
		return nil
	}
	if m.region != nil {
		if size <= uint64(len(m.region)) {
			m.buf = m.region[:size]
			return m.buf
		}
		return nil // the region is the quota
	}
	if m.buf == nil {
		var region []byte
		var pool *snapshot.RegionPool
		var err error
		if m.s == nil {
			region, pool, err = snapshot.MapAnon(m.q.limit)
		} else if m.s.image != nil {
			region, pool, err = m.s.image.MapRegion(m.q.limit)
		}
		if region != nil && err == nil {
			m.region, m.pool = region, pool
			m.buf = region[:size]
			return m.buf
		}
	}
	if m.buf == nil && m.s == nil {
		c := min(max(size, 64<<10), m.q.limit)
		m.buf = make([]byte, size, c)
		return m.buf
	}
	if m.buf == nil {
		n := max(size, uint64(len(m.s.memory)))
		m.buf = make([]byte, n)
		for _, seg := range m.s.segments {
			copy(m.buf[seg[0]:seg[1]], m.s.memory[seg[0]:seg[1]])
		}
		m.buf = m.buf[:size]
		return m.buf
	}
	if size <= uint64(cap(m.buf)) {
		m.buf = m.buf[:size]
		return m.buf
	}
	c := min(max(size, 2*uint64(cap(m.buf))), m.q.limit)
	b := make([]byte, size, c)
	copy(b, m.buf)
	m.buf = b
	return b
}

// Free implements experimental.LinearMemory.
func (m *imageMemory) Free() {
	if m.region != nil {
		snapshot.ReleaseRegion(m.region, uint64(len(m.buf)), m.pool)
		m.region, m.pool = nil, nil
	}
	m.buf = nil
}
