package executor

import "container/heap"

// Fair share within one priority level is stride scheduling (virtual
// time): every category with waiting jobs is a flow with a pass value;
// the flow with the lowest pass is served next and its pass advances by
// its stride, strideUnit/weight. Over any backlogged stretch, flows are
// served in proportion to their weights, whatever their arrival rates.
// A flow that becomes active starts at the level's virtual time (the pass
// of the last flow served), so idling banks no credit. A flow is dropped
// when it empties, which keeps memory bounded by the categories waiting.

const (
	// strideUnit is the stride of weight 1.
	strideUnit = 1 << 24
	// maxWeight bounds Config.Weights so that strides stay ≥ 1.
	maxWeight = 1 << 20
)

// flow is one category's waiting jobs at one level.
type flow struct {
	cat    string
	stride uint64
	pass   uint64
	seq    uint64 // activation order, to break ties
	q      list   // via task.inFlow
	idx    int    // index in the active heap
}

// fairShare is one level's flows.
type fairShare struct {
	flows  map[string]*flow
	active flowHeap
	vtime  uint64
	seq    uint64
}

// push adds t to its category's flow, at the front (a preempted job
// resuming) or the back.
func (f *fairShare) push(t *task, weight int, front bool) {
	fl := f.flows[t.cat]
	if fl == nil {
		if f.flows == nil {
			f.flows = make(map[string]*flow)
		}
		f.seq++
		fl = &flow{cat: t.cat, stride: strideUnit / uint64(weight), pass: f.vtime, seq: f.seq}
		f.flows[t.cat] = fl
		heap.Push(&f.active, fl)
	}
	t.flow = fl
	if front {
		fl.q.pushFront(&t.inFlow)
	} else {
		fl.q.pushBack(&t.inFlow)
	}
}

// pop removes and returns the next task by fair share. A new job charges
// its flow one stride; a resuming job was charged when it first started.
func (f *fairShare) pop() *task {
	fl := f.active[0]
	t := fl.q.front()
	f.vtime = max(f.vtime, fl.pass)
	if !t.started {
		fl.pass += fl.stride
	}
	f.remove(t)
	return t
}

// peek returns the task pop would return, without removing it; the level
// must not be empty.
func (f *fairShare) peek() *task { return f.active[0].q.front() }

// remove takes t off its flow, dropping the flow if it empties.
func (f *fairShare) remove(t *task) {
	fl := t.flow
	fl.q.remove(&t.inFlow)
	t.flow = nil
	if fl.q.n == 0 {
		heap.Remove(&f.active, fl.idx)
		delete(f.flows, fl.cat)
	} else {
		heap.Fix(&f.active, fl.idx)
	}
}

// flowHeap orders active flows by pass, then activation order.
type flowHeap []*flow

func (h flowHeap) Len() int { return len(h) }
func (h flowHeap) Less(i, j int) bool {
	if h[i].pass != h[j].pass {
		return h[i].pass < h[j].pass
	}
	return h[i].seq < h[j].seq
}
func (h flowHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].idx, h[j].idx = i, j
}
func (h *flowHeap) Push(x any) {
	fl := x.(*flow)
	fl.idx = len(*h)
	*h = append(*h, fl)
}
func (h *flowHeap) Pop() any {
	old := *h
	fl := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return fl
}
