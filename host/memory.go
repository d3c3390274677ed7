package host

import (
	"sync/atomic"

	"github.com/tetratelabs/wazero/experimental"
)

// quota is a wazero memory allocator that refuses to grow a task's linear
// memory past its limit. A refused growth makes memory.grow return -1, as
// Wasm defines; refused records it so that a task failing afterwards is
// reported as memory_limit rather than as a plain trap.
type quota struct {
	limit   uint64
	refused atomic.Bool
	// tablesRefused records that tableRoom refused a table.grow of the
	// task (only the task's own quota, task.mem, records it).
	tablesRefused bool
}

var _ experimental.MemoryAllocator = (*quota)(nil)

// Allocate implements experimental.MemoryAllocator.
func (q *quota) Allocate(_, _ uint64) experimental.LinearMemory {
	return &quotaMemory{q: q}
}

type quotaMemory struct {
	q   *quota
	buf []byte
}

// Reallocate grows the buffer to size bytes, doubling capacity (up to the
// quota) so that repeated small growths copy amortised O(1) bytes.
func (m *quotaMemory) Reallocate(size uint64) []byte {
	if size > m.q.limit {
		m.q.refused.Store(true)
		return nil
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
func (m *quotaMemory) Free() { m.buf = nil }
