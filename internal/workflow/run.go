package workflow

import "time"

// run is an unfinished workflow in memory: a cache of its records.
type run struct {
	hdr   Header
	def   *Definition
	g     *graph
	steps []stepRT
	// active counts steps whose task (or map children) has not ended.
	active int
	// done is closed once the workflow's terminal state is durable.
	done chan struct{}
}

// stepRT is a step's state in memory.
type stepRT struct {
	rec stepRec
	// waiting counts dependencies not yet finished.
	waiting int
	// readers counts the steps (and the callback) that take this step's
	// output and have not been given it yet; out holds the output while
	// readers > 0 (haveOut), else it is read from the store.
	readers int
	out     []byte
	haveOut bool
	// Of a map step: its children's outcomes in element order.
	kids     []kid
	kidsLeft int
}

// kid is a map child's outcome.
type kid struct {
	state   string
	out     []byte
	code    string
	message string
}

// newRun builds a new workflow's run from its validated definition.
func newRun(id string, d *Definition, g *graph, now time.Time) *run {
	r := &run{def: d, g: g, steps: make([]stepRT, len(d.Steps)), done: make(chan struct{})}
	r.hdr = Header{
		ID: id, Name: d.Name, Kind: d.Kind, State: Running, Tags: d.Tags, Priority: d.Priority,
		On: d.On, IdempotencyKey: d.IdempotencyKey, StepCount: len(d.Steps),
		Counts: map[string]int{StepPending: len(d.Steps)}, CreatedAt: now,
	}
	if d.Callback != nil {
		r.hdr.CallbackURL = d.Callback.URL
	}
	for i := range r.steps {
		s := &r.steps[i]
		s.rec.State = StepPending
		s.waiting = len(g.deps[i])
	}
	r.countReaders()
	return r
}

// countReaders sets each step's readers from the steps not started yet.
func (r *run) countReaders() {
	for i := range r.steps {
		r.steps[i].readers = 0
	}
	for i := range r.steps {
		if r.steps[i].rec.State != StepPending {
			continue
		}
		for _, j := range r.g.inputs[i] {
			r.steps[j].readers++
		}
	}
	if r.wantsOutputs() && !r.hdr.CallbackFired {
		for i := range r.steps {
			r.steps[i].readers++
		}
	}
}

// wantsOutputs reports whether the callback's summary carries every
// step's output (a batch on success).
func (r *run) wantsOutputs() bool {
	return r.def.Callback != nil && r.def.On == OnSuccess
}

// policy returns step i's on_failure.
func (r *run) policy(i int) string {
	if p := r.def.Steps[i].OnFailure; p != "" {
		return p
	}
	return OnFailureFail
}
