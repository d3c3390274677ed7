package modules

import "sync"

// nameLocks serialises the changes of each module name: a Put's commit, a
// Delete, and the read of a version's stored objects by a lazy compile.
// Names no one holds take no memory. The zero value is ready to use.
type nameLocks struct {
	mu sync.Mutex
	m  map[string]*nameLock
}

// nameLock is one name's lock and how many goroutines hold or wait for it.
type nameLock struct {
	mu   sync.Mutex
	refs int
}

// lock locks name and returns the function that unlocks it.
func (l *nameLocks) lock(name string) (unlock func()) {
	l.mu.Lock()
	if l.m == nil {
		l.m = map[string]*nameLock{}
	}
	nl := l.m[name]
	if nl == nil {
		nl = &nameLock{}
		l.m[name] = nl
	}
	nl.refs++
	l.mu.Unlock()
	nl.mu.Lock()
	return func() {
		nl.mu.Unlock()
		l.mu.Lock()
		if nl.refs--; nl.refs == 0 {
			delete(l.m, name)
		}
		l.mu.Unlock()
	}
}
