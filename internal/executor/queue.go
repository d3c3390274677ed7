package executor

import "time"

// queue holds the jobs waiting for a token, new and preempted alike, in
// one level per priority. Each level keeps its jobs twice: by category for
// fair share, and by age for aging.
type queue struct {
	levels [levels]level
	n      int
	aging  time.Duration
	weight func(cat string) int
	dirty  uint16 // levels whose depth changed since the last observe
}

type level struct {
	byAge list // via task.inLevel, oldest first
	fs    fairShare
}

// push queues t at its priority; front puts it ahead of its category's
// other jobs (a job preempted by a higher priority resumes first).
func (q *queue) push(t *task, now time.Time, front bool) {
	lv := &q.levels[t.prio]
	t.queuedAt = now
	lv.byAge.pushBack(&t.inLevel)
	lv.fs.push(t, q.weight(t.cat), front)
	q.n++
	q.dirty |= 1 << t.prio
}

// remove takes a queued t out of the queue.
func (q *queue) remove(t *task) {
	lv := &q.levels[t.prio]
	lv.byAge.remove(&t.inLevel)
	lv.fs.remove(t)
	q.n--
	q.dirty |= 1 << t.prio
}

// pop removes and returns the next job, or nil if the queue is empty. The
// level is the one with the highest effective priority, its base plus one
// per aging interval its oldest job has waited (ties go to the higher
// base); within it, fair share picks the category.
func (q *queue) pop(now time.Time) *task {
	best := q.next(now)
	if best < 0 {
		return nil
	}
	return q.popLevel(best)
}

// peek returns the job pop would return, without removing it, or nil.
func (q *queue) peek(now time.Time) *task {
	best := q.next(now)
	if best < 0 {
		return nil
	}
	return q.levels[best].fs.peek()
}

// next returns the level pop takes from, or -1 if the queue is empty.
func (q *queue) next(now time.Time) int {
	best, bestEff := -1, int64(-1)
	for p := MaxPriority; p >= 0; p-- {
		oldest := q.levels[p].byAge.front()
		if oldest == nil {
			continue
		}
		eff := int64(p)
		if q.aging > 0 {
			eff += int64(now.Sub(oldest.queuedAt) / q.aging)
		}
		if eff > bestEff {
			best, bestEff = p, eff
		}
		if q.aging == 0 {
			break
		}
	}
	return best
}

// popLevel removes and returns the next job of priority p by fair share;
// the level must not be empty.
func (q *queue) popLevel(p int) *task {
	lv := &q.levels[p]
	t := lv.fs.pop()
	lv.byAge.remove(&t.inLevel)
	q.n--
	q.dirty |= 1 << p
	return t
}

// top returns the highest priority with a waiting job, or -1.
func (q *queue) top() int {
	if q.n == 0 {
		return -1
	}
	for p := MaxPriority; p >= 0; p-- {
		if q.levels[p].byAge.n > 0 {
			return p
		}
	}
	return -1
}

// depth returns the number of jobs waiting at priority p.
func (q *queue) depth(p int) int { return q.levels[p].byAge.n }
