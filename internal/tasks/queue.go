package tasks

import "time"

// readyQueue holds due tasks waiting for an in-flight slot: higher
// priority first, then first come first served. The executor orders what
// it is handed again (fair share, aging, preemption); this queue only
// decides what it is handed first.
type readyQueue struct{ items []*entry }

func (q *readyQueue) Len() int { return len(q.items) }
func (q *readyQueue) Less(i, j int) bool {
	a, b := q.items[i], q.items[j]
	if a.rec.Priority != b.rec.Priority {
		return a.rec.Priority > b.rec.Priority
	}
	return a.seq < b.seq
}
func (q *readyQueue) Swap(i, j int) {
	q.items[i], q.items[j] = q.items[j], q.items[i]
	q.items[i].index, q.items[j].index = i, j
}
func (q *readyQueue) Push(x any) {
	e := x.(*entry)
	e.index = len(q.items)
	q.items = append(q.items, e)
}
func (q *readyQueue) Pop() any {
	n := len(q.items) - 1
	e := q.items[n]
	q.items[n], q.items = nil, q.items[:n]
	e.index = -1
	return e
}

// timerHeap holds scheduled tasks by due time, earliest first.
type timerHeap struct{ items []*entry }

func (h *timerHeap) Len() int { return len(h.items) }
func (h *timerHeap) Less(i, j int) bool {
	return h.items[i].rec.RunAt.Before(h.items[j].rec.RunAt)
}
func (h *timerHeap) Swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.items[i].index, h.items[j].index = i, j
}
func (h *timerHeap) Push(x any) {
	e := x.(*entry)
	e.index = len(h.items)
	h.items = append(h.items, e)
}
func (h *timerHeap) Pop() any {
	n := len(h.items) - 1
	e := h.items[n]
	h.items[n], h.items = nil, h.items[:n]
	e.index = -1
	return e
}

// next returns when the earliest task is due, or false if none waits.
func (h *timerHeap) next() (time.Time, bool) {
	if len(h.items) == 0 {
		return time.Time{}, false
	}
	return h.items[0].rec.RunAt, true
}
