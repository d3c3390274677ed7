package modules

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/nexustask/nexus/host"
)

// DefaultMaxBytes is the default upload cap.
const DefaultMaxBytes = 32 << 20

// Config configures a Registry.
type Config struct {
	// MaxBytes caps the size of an uploaded module; 0 means DefaultMaxBytes.
	MaxBytes int64
	// Snapshots pre-initialises nexus-v1 modules that export _initialize
	// when they are uploaded or loaded (see host.Runtime.Snapshot), so that
	// their fresh instances skip the initialisation. It costs a second
	// compilation of each such module.
	Snapshots bool
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config { return Config{MaxBytes: DefaultMaxBytes} }

// Registry validates, stores and compiles modules. It is safe for
// concurrent use. It keeps an in-memory index of the versions the Store
// has committed, never ahead of it, and the compiled code of each digest in
// use. Changes of one name (Put, Delete) are serialised and each is one
// Store transaction; changes of different names run concurrently.
//
// Lock order: compileMu, then a name's lock (see nameLocks), then mu.
type Registry struct {
	cfg   Config
	store Store
	rt    *host.Runtime
	now   func() time.Time

	names nameLocks // serialises the changes of each name

	mu       sync.RWMutex
	versions map[string][]Version    // name → committed versions, oldest first
	compiled map[string]*host.Module // digest → compiled code
	corrupt  map[string]string       // digest → why its stored bytes are refused
	badNames map[string]string       // name → why its record cannot be read
	puts     uint64                  // committed Puts, for refuse

	compileMu sync.Mutex // serialises lazy compiles of stored versions

	listeners []func(Event) // OnChange; appended to under mu
}

// New returns a Registry over store, compiling with rt. Call Load before
// serving to index and compile what the store already holds.
func New(store Store, rt *host.Runtime, cfg Config) *Registry {
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	return &Registry{
		cfg:      cfg,
		store:    store,
		rt:       rt,
		now:      time.Now,
		versions: map[string][]Version{},
		compiled: map[string]*host.Module{},
		corrupt:  map[string]string{},
		badNames: map[string]string{},
	}
}

// Load indexes every stored version and compiles the latest version of each
// module (older versions compile on first use), verifying the bytes it
// reads against their digest. With the runtime's on-disk compilation cache
// this reads compiled code instead of compiling again.
//
// A damaged object does not stop Load: a record that cannot be read, or
// bytes that do not match their digest or do not compile, make that name or
// version corrupt (see Corrupt) and everything else loads. Load fails only
// if the store cannot be read at all or ctx ends. It must not run
// concurrently with other methods.
func (r *Registry) Load(ctx context.Context) error {
	recs, err := r.store.Records()
	if err != nil {
		return fmt.Errorf("modules: load: %w", err)
	}
	index := map[string][]Version{}
	bad := map[string]string{}
	for _, rec := range recs {
		err := rec.Err
		if err == nil {
			err = CheckRecord(rec.Name, rec.Versions)
		}
		if err != nil {
			bad[rec.Name] = "unreadable record: " + err.Error()
			continue
		}
		index[rec.Name] = withDefaults(rec.Versions)
	}
	r.mu.Lock()
	r.versions, r.badNames, r.corrupt = index, bad, map[string]string{}
	r.mu.Unlock()
	names := make([]string, 0, len(index))
	for name := range index {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		vs := index[name]
		// Damage is recorded by module; other errors (the store failing a
		// read) are left for Resolve to meet again.
		if _, err := r.module(ctx, vs[len(vs)-1]); err != nil && ctx.Err() != nil {
			return fmt.Errorf("modules: load: %w", ctx.Err())
		}
	}
	return nil
}

// withDefaults fills in what versions stored by older releases lack.
func withDefaults(vs []Version) []Version {
	for i := range vs {
		if vs[i].Isolation == "" {
			vs[i].Isolation = host.IsolationFresh // stored before isolation was recorded
		}
	}
	return vs
}

// List returns every module with its latest version, sorted by name,
// including names whose record cannot be read (with StateCorrupt).
func (r *Registry) List() []Module {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]Module, 0, len(r.versions)+len(r.badNames))
	for name, vs := range r.versions {
		m := Module{Name: name, Latest: r.withStatusLocked(vs[len(vs)-1]), Versions: len(vs), State: StateReady}
		for _, v := range vs {
			if reason, ok := r.corrupt[v.Digest]; ok {
				m.State, m.CorruptReason = StateCorrupt, fmt.Sprintf("version %d: %s", v.Version, reason)
				break
			}
		}
		out = append(out, m)
	}
	for name, reason := range r.badNames {
		latest := Version{Name: name, State: StateCorrupt, CorruptReason: reason}
		out = append(out, Module{Name: name, Latest: latest, State: StateCorrupt, CorruptReason: reason})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Len returns the number of module names, those whose record cannot be
// read included.
func (r *Registry) Len() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.versions) + len(r.badNames)
}

// Versions returns the versions of name, oldest first, or ErrNotFound, or
// ErrCorrupt if its record cannot be read.
func (r *Registry) Versions(name string) ([]Version, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if reason, ok := r.badNames[name]; ok {
		return nil, fmt.Errorf("%w: module %q: %s", ErrCorrupt, name, reason)
	}
	vs, ok := r.versions[name]
	if !ok {
		return nil, fmt.Errorf("%w: module %q", ErrNotFound, name)
	}
	out := make([]Version, len(vs))
	for i, v := range vs {
		out[i] = r.withStatusLocked(v)
	}
	return out, nil
}

// Delete removes name and all its versions, or fails with ErrNotFound. A
// name whose record cannot be read can be deleted. Compiled code no other
// module uses is freed once the tasks running it finish.
func (r *Registry) Delete(ctx context.Context, name string) error {
	unlock := r.names.lock(name)
	_, err := r.store.DeleteModule(name)
	if err != nil && !errors.Is(err, ErrNotFound) {
		unlock()
		return err
	}
	// Not found in the store means not found here either.
	r.mu.Lock()
	removed := r.versions[name]
	delete(r.versions, name)
	delete(r.badNames, name)
	var unused []*host.Module
	for _, v := range removed {
		if r.digestUsedLocked(v.Digest) {
			continue
		}
		delete(r.corrupt, v.Digest)
		if m, ok := r.compiled[v.Digest]; ok {
			delete(r.compiled, v.Digest)
			unused = append(unused, m)
		}
	}
	r.mu.Unlock()
	unlock()
	for _, m := range unused {
		go m.Close(context.WithoutCancel(ctx)) // waits for running tasks
	}
	if err != nil {
		return err
	}
	r.notify(Event{Kind: EventDelete, Name: name})
	return nil
}

// digestUsedLocked reports whether any module still has a version with digest.
func (r *Registry) digestUsedLocked(digest string) bool {
	for _, vs := range r.versions {
		for _, v := range vs {
			if v.Digest == digest {
				return true
			}
		}
	}
	return false
}

// Resolve returns version (0 for the latest) of name and its compiled code,
// compiling it from the store if this is its first use since start-up. It
// fails with ErrNotFound, or with ErrCorrupt if the name's record or the
// version's stored bytes are damaged.
func (r *Registry) Resolve(ctx context.Context, name string, version int) (Version, *host.Module, error) {
	r.mu.RLock()
	vs, ok := r.versions[name]
	reason, bad := r.badNames[name]
	r.mu.RUnlock()
	if bad {
		return Version{}, nil, fmt.Errorf("%w: module %q: %s", ErrCorrupt, name, reason)
	}
	if !ok {
		return Version{}, nil, fmt.Errorf("%w: module %q", ErrNotFound, name)
	}
	v := vs[len(vs)-1]
	if version != 0 {
		i := sort.Search(len(vs), func(i int) bool { return vs[i].Version >= version })
		if i == len(vs) || vs[i].Version != version {
			return Version{}, nil, fmt.Errorf("%w: module %q has no version %d", ErrNotFound, name, version)
		}
		v = vs[i]
	}
	m, err := r.module(ctx, v)
	return v, m, err
}
