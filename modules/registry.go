package modules

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
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
// concurrent use. It keeps an in-memory index of the Store's versions and
// the compiled code of each digest in use.
type Registry struct {
	cfg   Config
	store Store
	rt    *host.Runtime
	now   func() time.Time

	mu       sync.RWMutex
	versions map[string][]Version    // name → versions, oldest first
	compiled map[string]*host.Module // digest → compiled code

	compileMu sync.Mutex // serialises lazy compiles of older versions

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
	}
}

// Load indexes every stored version and compiles the latest version of each
// module (older versions compile on first use). With the runtime's on-disk
// compilation cache this reads compiled code instead of compiling again.
func (r *Registry) Load(ctx context.Context) error {
	all, err := r.store.AllVersions()
	if err != nil {
		return fmt.Errorf("modules: load: %w", err)
	}
	index := map[string][]Version{}
	for _, v := range all {
		if v.Isolation == "" {
			v.Isolation = host.IsolationFresh // stored before isolation was recorded
		}
		index[v.Name] = append(index[v.Name], v)
	}
	r.mu.Lock()
	r.versions = index
	r.mu.Unlock()
	for name, vs := range index {
		if _, err := r.module(ctx, vs[len(vs)-1]); err != nil {
			return fmt.Errorf("modules: load %s: %w", name, err)
		}
	}
	return nil
}

// Put validates wasm and stores it as the next version of name, or returns
// the existing version (created false) if name already holds these bytes.
// Errors wrap ErrInvalidName, ErrTooLarge or ErrInvalid, or come from the
// Store.
func (r *Registry) Put(ctx context.Context, name string, wasm []byte) (Version, bool, error) {
	return r.PutWith(ctx, name, wasm, PutOptions{})
}

// PutWith is Put with options for a new version. Bytes the name already
// holds return the existing version as it was stored, options unchanged.
func (r *Registry) PutWith(ctx context.Context, name string, wasm []byte, opts PutOptions) (Version, bool, error) {
	iso, err := host.ParseIsolation(string(opts.Isolation))
	if err != nil {
		return Version{}, false, fmt.Errorf("%w: %v", ErrInvalidOption, err)
	}
	if !ValidName(name) {
		return Version{}, false, fmt.Errorf("%w: %q must match [a-z0-9][a-z0-9._-]{0,63}", ErrInvalidName, name)
	}
	if int64(len(wasm)) > r.cfg.MaxBytes {
		return Version{}, false, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(wasm), r.cfg.MaxBytes)
	}
	sum := sha256.Sum256(wasm)
	digest := "sha256:" + hex.EncodeToString(sum[:])
	if v, ok := r.lookupDigest(name, digest); ok {
		return v, false, nil
	}
	if mod, artifact, ok := r.knownDigest(digest); ok {
		// The same bytes under another name: validated and compiled already.
		return r.add(ctx, name, digest, wasm, artifact, mod, false, iso)
	}
	artifact, err := r.rt.Prepare(ctx, wasm)
	if err == nil {
		var mod *host.Module
		if mod, err = r.rt.Compile(ctx, wasm, artifact); err == nil {
			r.snapshot(ctx, mod, artifact, name)
			return r.add(ctx, name, digest, wasm, artifact, mod, true, iso)
		}
	}
	if errors.Is(err, host.ErrInvalidModule) {
		return Version{}, false, fmt.Errorf("%w: %v", ErrInvalid, unwrapHost(err))
	}
	return Version{}, false, err
}

// add stores a validated module and its artifact and indexes it. With
// owned set, mod was compiled for this call and is closed if not kept.
func (r *Registry) add(ctx context.Context, name, digest string, wasm, artifact []byte, mod *host.Module, owned bool, iso host.Isolation) (Version, bool, error) {
	v, created, err := r.store.AddVersion(Version{
		Name:      name,
		Digest:    digest,
		Size:      int64(len(wasm)),
		Profile:   mod.Profile(),
		Pure:      mod.Pure(),
		Exports:   mod.Exports(),
		Imports:   mod.Imports(),
		CreatedAt: r.now().UTC(),
		Isolation: iso,
	}, wasm)
	v.Snapshot = mod.SnapshotStatus(name)
	if err == nil {
		err = r.store.PutArtifact(digest, host.ArtifactKey(digest), artifact)
	}
	if err != nil {
		if owned {
			mod.Close(ctx)
		}
		return Version{}, false, err
	}
	r.mu.Lock()
	if created {
		r.versions[name] = append(r.versions[name], v)
	}
	if existing, ok := r.compiled[digest]; !ok {
		r.compiled[digest] = mod
	} else if owned && existing != mod {
		defer mod.Close(ctx)
	}
	kept := r.compiled[digest]
	r.mu.Unlock()
	r.configure(kept, digest)
	if created {
		r.notify(Event{Kind: EventPut, Name: name, Version: v.Version})
	}
	return v, created, nil
}

// knownDigest returns the compiled code and stored artifact of a digest
// some module already uses.
func (r *Registry) knownDigest(digest string) (*host.Module, []byte, bool) {
	r.mu.RLock()
	mod, ok := r.compiled[digest]
	r.mu.RUnlock()
	if !ok {
		return nil, nil, false
	}
	artifact, err := r.store.Artifact(digest, host.ArtifactKey(digest))
	if err != nil {
		return nil, nil, false
	}
	return mod, artifact, true
}

// lookupDigest returns the version of name holding digest, if any.
func (r *Registry) lookupDigest(name, digest string) (Version, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, v := range r.versions[name] {
		if v.Digest == digest {
			return v, true
		}
	}
	return Version{}, false
}

// unwrapHost drops the "host: invalid module: " prefix from a compile error.
func unwrapHost(err error) string {
	msg := err.Error()
	prefix := host.ErrInvalidModule.Error() + ": "
	if len(msg) > len(prefix) && msg[:len(prefix)] == prefix {
		return msg[len(prefix):]
	}
	return msg
}

// List returns every module with its latest version, sorted by name.
func (r *Registry) List() []Module {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]Module, 0, len(r.versions))
	for name, vs := range r.versions {
		out = append(out, Module{Name: name, Latest: r.withStatusLocked(vs[len(vs)-1]), Versions: len(vs)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Len returns the number of module names.
func (r *Registry) Len() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.versions)
}

// Versions returns the versions of name, oldest first, or ErrNotFound.
func (r *Registry) Versions(name string) ([]Version, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
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

// Delete removes name and all its versions. Compiled code no other module
// uses is freed once the tasks running it finish.
func (r *Registry) Delete(ctx context.Context, name string) error {
	if _, err := r.store.DeleteModule(name); err != nil {
		return err
	}
	r.mu.Lock()
	removed := r.versions[name]
	delete(r.versions, name)
	var unused []*host.Module
	for _, v := range removed {
		if m, ok := r.compiled[v.Digest]; ok && !r.digestUsedLocked(v.Digest) {
			delete(r.compiled, v.Digest)
			unused = append(unused, m)
		}
	}
	r.mu.Unlock()
	for _, m := range unused {
		go m.Close(context.WithoutCancel(ctx)) // waits for running tasks
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
// compiling it from the store if this is its first use since start-up.
func (r *Registry) Resolve(ctx context.Context, name string, version int) (Version, *host.Module, error) {
	r.mu.RLock()
	vs, ok := r.versions[name]
	r.mu.RUnlock()
	if !ok {
		return Version{}, nil, fmt.Errorf("%w: module %q", ErrNotFound, name)
	}
	v := vs[len(vs)-1]
	if version != 0 {
		if version < 0 || version > len(vs) || vs[version-1].Version != version {
			return Version{}, nil, fmt.Errorf("%w: module %q has no version %d", ErrNotFound, name, version)
		}
		v = vs[version-1]
	}
	m, err := r.module(ctx, v)
	return v, m, err
}

// module returns the compiled code of v, compiling it on first use.
func (r *Registry) module(ctx context.Context, v Version) (*host.Module, error) {
	r.mu.RLock()
	m, ok := r.compiled[v.Digest]
	r.mu.RUnlock()
	if ok {
		return m, nil
	}
	r.compileMu.Lock()
	defer r.compileMu.Unlock()
	r.mu.RLock()
	m, ok = r.compiled[v.Digest]
	r.mu.RUnlock()
	if ok {
		return m, nil
	}
	wasm, err := r.store.Bytes(v.Digest)
	if err != nil {
		return nil, err
	}
	// A stored artifact is reused; one made by an older instrumenter or
	// cost table has another key, so the module is instrumented again.
	key := host.ArtifactKey(v.Digest)
	artifact, err := r.store.Artifact(v.Digest, key)
	if errors.Is(err, ErrNotFound) {
		if artifact, err = r.rt.Prepare(ctx, wasm); err == nil {
			err = r.store.PutArtifact(v.Digest, key, artifact)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("modules: prepare stored %s v%d: %w", v.Name, v.Version, err)
	}
	if m, err = r.rt.Compile(ctx, wasm, artifact); err != nil {
		return nil, fmt.Errorf("modules: compile stored %s v%d: %w", v.Name, v.Version, err)
	}
	r.snapshot(ctx, m, artifact, v.Name)
	r.configure(m, v.Digest)
	r.mu.Lock()
	r.compiled[v.Digest] = m
	r.mu.Unlock()
	return m, nil
}
