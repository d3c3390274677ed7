package modules

// EventKind says what changed in the registry.
type EventKind string

// Kinds of Event.
const (
	// EventPut: a new version of a module was stored.
	EventPut EventKind = "put"
	// EventDelete: a module and all its versions were deleted.
	EventDelete EventKind = "delete"
)

// Event is a change of the registry, reported to the functions registered
// with OnChange after the change is visible to Resolve.
type Event struct {
	Kind EventKind
	Name string
	// Version is the new version for EventPut, 0 for EventDelete.
	Version int
}

// OnChange registers fn to be called after every change: a new version
// stored by Put (not an upload of bytes the module already holds) and a
// Delete. fn is called synchronously on the changing goroutine, without the
// registry's locks held, so it may call the Registry; it must not block for
// long. Functions are called in the order they were registered.
func (r *Registry) OnChange(fn func(Event)) {
	r.mu.Lock()
	r.listeners = append(r.listeners, fn)
	r.mu.Unlock()
}

// notify calls the registered functions with e.
func (r *Registry) notify(e Event) {
	r.mu.RLock()
	fns := r.listeners
	r.mu.RUnlock()
	for _, fn := range fns {
		fn(e)
	}
}
