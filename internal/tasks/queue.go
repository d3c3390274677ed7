package tasks

import "time"

// entryHeap is the storage of a container/heap of entries that keeps each
// entry's index current; the queues below add their order (Less).
type entryHeap struct{ items []*entry }

func (h *entryHeap) Len() int { return len(h.items) }
func (h *entryHeap) Swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.items[i].index, h.items[j].index = i, j
}
func (h *entryHeap) Push(x any) {
	e := x.(*entry)
	e.index = len(h.items)
	h.items = append(h.items, e)
}
func (h *entryHeap) Pop() any {
	n := len(h.items) - 1
	e := h.items[n]
	h.items[n], h.items = nil, h.items[:n]
	e.index = -1
	return e
}

// readyQueue holds due tasks waiting for an in-flight slot: higher
// priority first, then first come first served. The executor orders what
// it is handed again (fair share, aging, preemption); this queue only
// decides what it is handed first.
type readyQueue struct{ entryHeap }

func (q *readyQueue) Less(i, j int) bool {
	a, b := q.items[i], q.items[j]
	if a.rec.Priority != b.rec.Priority {
		return a.rec.Priority > b.rec.Priority
	}
	return a.seq < b.seq
}

// timerHeap holds scheduled tasks by due time, earliest first.
type timerHeap struct{ entryHeap }

func (h *timerHeap) Less(i, j int) bool {
	return h.items[i].rec.RunAt.Before(h.items[j].rec.RunAt)
}

// next returns when the earliest task is due, or false if none waits.
func (h *timerHeap) next() (time.Time, bool) {
	if len(h.items) == 0 {
		return time.Time{}, false
	}
	return h.items[0].rec.RunAt, true
}
