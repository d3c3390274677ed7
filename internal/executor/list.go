package executor

// elem links a task into one intrusive list; a task has one elem per list
// it can be on, so removal is O(1) and queueing allocates nothing.
type elem struct {
	prev, next *elem
	t          *task
}

// list is a doubly linked list of tasks with a sentinel root. The zero
// value is an empty list.
type list struct {
	root elem
	n    int
}

func (l *list) lazyInit() {
	if l.root.next == nil {
		l.root.next, l.root.prev = &l.root, &l.root
	}
}

func (l *list) insertAfter(e, at *elem) {
	e.prev, e.next = at, at.next
	at.next.prev = e
	at.next = e
	l.n++
}

func (l *list) pushBack(e *elem) {
	l.lazyInit()
	l.insertAfter(e, l.root.prev)
}

func (l *list) pushFront(e *elem) {
	l.lazyInit()
	l.insertAfter(e, &l.root)
}

func (l *list) remove(e *elem) {
	e.prev.next = e.next
	e.next.prev = e.prev
	e.prev, e.next = nil, nil
	l.n--
}

// front returns the first task, or nil.
func (l *list) front() *task {
	if l.n == 0 {
		return nil
	}
	return l.root.next.t
}

// each calls f for every task, front to back; f must not modify l.
func (l *list) each(f func(*task)) {
	if l.n == 0 {
		return
	}
	for e := l.root.next; e != &l.root; e = e.next {
		f(e.t)
	}
}
