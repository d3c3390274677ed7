package modules

import (
	"context"
	"errors"
	"fmt"

	"github.com/nexustask/nexus/host"
)

// module returns the compiled code of v, compiling it from the store on
// first use, or ErrCorrupt if the stored bytes are damaged.
func (r *Registry) module(ctx context.Context, v Version) (*host.Module, error) {
	if m, err := r.cached(v); m != nil || err != nil {
		return m, err
	}
	r.compileMu.Lock()
	defer r.compileMu.Unlock()
	if m, err := r.cached(v); m != nil || err != nil {
		return m, err
	}
	s, err := r.readStored(v)
	if err != nil {
		return nil, err
	}
	m, err := r.compileStored(ctx, v, s)
	if err != nil {
		return nil, err
	}
	return r.install(ctx, v, m)
}

// cached returns the compiled code of v's digest, or ErrCorrupt if its
// stored bytes were refused; nil and nil if neither is known.
func (r *Registry) cached(v Version) (*host.Module, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if m, ok := r.compiled[v.Digest]; ok {
		return m, nil
	}
	if reason, ok := r.corrupt[v.Digest]; ok {
		return nil, corruptError(v, reason)
	}
	return nil, nil
}

// stored is what the store holds of a version, its bytes verified.
type stored struct {
	wasm     []byte
	artifact []byte // nil unless it matches its stored digest
	puts     uint64 // Registry.puts when read, for refuse
}

// readStored reads v's bytes and artifact and checks them against their
// digests. It holds v's name lock, so that v is committed while it reads:
// missing or mismatched bytes are then damage, not a concurrent Delete.
func (r *Registry) readStored(v Version) (stored, error) {
	unlock := r.names.lock(v.Name)
	defer unlock()
	r.mu.RLock()
	indexed := indexOf(r.versions[v.Name], v.Digest) >= 0
	s := stored{puts: r.puts}
	r.mu.RUnlock()
	if !indexed {
		return stored{}, fmt.Errorf("%w: module %q version %d was deleted", ErrNotFound, v.Name, v.Version)
	}
	wasm, err := r.store.Bytes(v.Digest)
	switch {
	case errors.Is(err, ErrNotFound):
		return stored{}, r.refuse(v, s.puts, "the module's bytes are missing")
	case err != nil:
		return stored{}, fmt.Errorf("modules: read %s v%d: %w", v.Name, v.Version, err)
	case Digest(wasm) != v.Digest:
		return stored{}, r.refuse(v, s.puts, "the module's bytes do not match their digest")
	}
	s.wasm = wasm
	art, sum, err := r.store.ArtifactWithDigest(v.Digest, host.ArtifactKey(v.Digest))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return stored{}, fmt.Errorf("modules: read artifact of %s v%d: %w", v.Name, v.Version, err)
	}
	if err == nil && sum != "" && sum == Digest(art) {
		s.artifact = art
	}
	return s, nil
}

// compileStored compiles verified bytes. An artifact that is missing, was
// stored without a digest (by older releases), does not match it, or was
// made by an older instrumenter or cost table (another key) is made again
// from the bytes and stored.
func (r *Registry) compileStored(ctx context.Context, v Version, s stored) (*host.Module, error) {
	artifact := s.artifact
	if artifact == nil {
		var err error
		if artifact, err = r.rt.Prepare(ctx, s.wasm); err != nil {
			if ctx.Err() != nil {
				return nil, err
			}
			return nil, r.refuse(v, s.puts, "the stored module no longer validates: "+unwrapHost(err))
		}
		// A failed write costs only instrumenting again next time.
		_ = r.store.PutArtifact(v.Digest, host.ArtifactKey(v.Digest), artifact)
	}
	m, err := r.rt.Compile(ctx, s.wasm, artifact)
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, r.refuse(v, s.puts, "the stored module does not compile: "+unwrapHost(err))
	}
	r.snapshot(ctx, m, artifact, v.Name)
	r.configure(m, v.Digest)
	return m, nil
}

// install keeps m as the compiled code of v's digest, unless the digest has
// some already or no module uses it any longer; then m is closed.
func (r *Registry) install(ctx context.Context, v Version, m *host.Module) (*host.Module, error) {
	r.mu.Lock()
	existing, ok := r.compiled[v.Digest]
	used := ok || r.digestUsedLocked(v.Digest)
	if !ok && used {
		r.compiled[v.Digest] = m
	}
	r.mu.Unlock()
	switch {
	case ok:
		m.Close(ctx)
		return existing, nil
	case !used:
		m.Close(ctx)
		return nil, fmt.Errorf("%w: module %q version %d was deleted", ErrNotFound, v.Name, v.Version)
	}
	return m, nil
}
