package modules

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/nexustask/nexus/abi"
	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/internal/names"
)

// Put validates wasm and stores it as the next version of name, or returns
// the existing version (created false) if name already holds these bytes.
// Errors wrap ErrInvalidName, ErrTooLarge or ErrInvalid, or come from the
// Store.
func (r *Registry) Put(ctx context.Context, name string, wasm []byte) (Version, bool, error) {
	return r.PutWith(ctx, name, wasm, PutOptions{})
}

// PutWith is Put with options for a new version. Bytes the name already
// holds return the existing version as it was stored, options unchanged;
// if those stored bytes are corrupt, they are stored again, which repairs
// them (and every module sharing them).
//
// The bytes are validated and compiled before the name is locked, so a
// slow compilation holds up no Delete or other upload of the name; the
// upload takes effect when it is committed, after that compilation, and
// is numbered then.
func (r *Registry) PutWith(ctx context.Context, name string, wasm []byte, opts PutOptions) (Version, bool, error) {
	iso, err := host.ParseIsolation(string(opts.Isolation))
	if err != nil {
		return Version{}, false, fmt.Errorf("%w: %v", ErrInvalidOption, err)
	}
	if !ValidName(name) {
		return Version{}, false, fmt.Errorf("%w: %q must match "+names.Pattern, ErrInvalidName, name)
	}
	if int64(len(wasm)) > r.cfg.MaxBytes {
		return Version{}, false, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(wasm), r.cfg.MaxBytes)
	}
	digest := Digest(wasm)
	if v, ok := r.lookupDigest(name, digest); ok {
		if err := checkIsolation(iso, v.Profile); err != nil {
			return Version{}, false, err
		}
		return v, false, nil
	}
	p, err := r.prepare(ctx, name, digest, wasm)
	if err != nil {
		return Version{}, false, err
	}
	if err := checkIsolation(iso, p.mod.Profile()); err != nil {
		if p.owned {
			p.mod.Close(ctx)
		}
		return Version{}, false, err
	}
	v, created, err := r.commit(ctx, name, wasm, p, iso)
	if err != nil {
		return Version{}, false, err
	}
	if created {
		r.notify(Event{Kind: EventPut, Name: name, Version: v.Version})
	}
	return v, created, nil
}

// checkIsolation refuses warm isolation for a module whose profile the
// host never runs warm, so that no version reports a mode it does not use.
func checkIsolation(iso host.Isolation, profile abi.Profile) error {
	if iso == host.IsolationWarm && profile != abi.ProfileNexusV1 {
		return fmt.Errorf("%w: isolation %q needs a %s module, not %s: warm isolation reuses instances, which only %s modules support",
			ErrInvalidOption, iso, abi.ProfileNexusV1, profile, abi.ProfileNexusV1)
	}
	return nil
}

// prepared is an upload validated and compiled, ready to commit.
type prepared struct {
	digest   string
	artifact []byte
	mod      *host.Module
	owned    bool // mod was compiled for this upload, not borrowed
}

// prepare validates and compiles wasm, or borrows the compiled code and
// stored artifact of a digest some module already uses.
func (r *Registry) prepare(ctx context.Context, name, digest string, wasm []byte) (prepared, error) {
	if p, ok := r.knownDigest(digest); ok {
		return p, nil
	}
	artifact, err := r.rt.Prepare(ctx, wasm)
	if err == nil {
		var mod *host.Module
		if mod, err = r.rt.Compile(ctx, wasm, artifact); err == nil {
			r.snapshot(ctx, mod, artifact, name)
			return prepared{digest: digest, artifact: artifact, mod: mod, owned: true}, nil
		}
	}
	if errors.Is(err, host.ErrInvalidModule) {
		return prepared{}, fmt.Errorf("%w: %v", ErrInvalid, unwrapHost(err))
	}
	return prepared{}, err
}

// knownDigest returns the compiled code and stored artifact of a digest
// some module already uses, if the artifact matches its stored digest.
func (r *Registry) knownDigest(digest string) (prepared, bool) {
	r.mu.RLock()
	mod, ok := r.compiled[digest]
	r.mu.RUnlock()
	if !ok {
		return prepared{}, false
	}
	artifact, sum, err := r.store.ArtifactWithDigest(digest, host.ArtifactKey(digest))
	if err != nil || sum != Digest(artifact) {
		return prepared{}, false
	}
	return prepared{digest: digest, artifact: artifact, mod: mod}, true
}

// commit stores p as a version of name in one Store transaction under the
// name's lock, then indexes what the store committed. Compiled code p
// owns is closed if not kept.
func (r *Registry) commit(ctx context.Context, name string, wasm []byte, p prepared, iso host.Isolation) (Version, bool, error) {
	unlock := r.names.lock(name)
	defer unlock()
	vs, created, err := r.store.PutVersion(Version{
		Name:      name,
		Digest:    p.digest,
		Size:      int64(len(wasm)),
		Profile:   p.mod.Profile(),
		Pure:      p.mod.Pure(),
		Exports:   p.mod.Exports(),
		Imports:   p.mod.Imports(),
		CreatedAt: r.now().UTC(),
		Isolation: iso,
	}, wasm, host.ArtifactKey(p.digest), p.artifact)
	i := indexOf(vs, p.digest)
	if err == nil && (i < 0 || CheckRecord(name, vs) != nil) {
		err = fmt.Errorf("modules: store answered versions %+v for %s", vs, p.digest)
	}
	if err != nil {
		if p.owned {
			p.mod.Close(ctx)
		}
		return Version{}, false, err
	}
	vs = withDefaults(vs)
	kept, v := r.index(ctx, name, vs, i, p)
	if kept != nil {
		r.configure(kept, p.digest)
	}
	return v, created, nil
}

// index makes vs, as committed, the versions of name, and keeps the
// compiled code of p unless the digest has some already. It returns the
// code kept (nil if p's was borrowed and freed meanwhile: it compiles on
// first use) and version i with its status.
func (r *Registry) index(ctx context.Context, name string, vs []Version, i int, p prepared) (*host.Module, Version) {
	r.mu.Lock()
	r.versions[name] = vs
	delete(r.badNames, name)
	delete(r.corrupt, p.digest) // the store holds these bytes again
	r.puts++
	kept, ok := r.compiled[p.digest]
	var drop *host.Module
	switch {
	case ok && p.owned && p.mod != kept:
		drop = p.mod
	case !ok && p.owned:
		r.compiled[p.digest], kept = p.mod, p.mod
	}
	v := r.withStatusLocked(vs[i])
	r.mu.Unlock()
	if drop != nil {
		drop.Close(ctx)
	}
	return kept, v
}

// indexOf returns the index of the version with digest in vs, or -1.
func indexOf(vs []Version, digest string) int {
	for i, v := range vs {
		if v.Digest == digest {
			return i
		}
	}
	return -1
}

// lookupDigest returns the version of name holding digest, if any and if
// neither the name's record nor the digest's bytes are corrupt.
func (r *Registry) lookupDigest(name, digest string) (Version, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if _, bad := r.corrupt[digest]; bad {
		return Version{}, false
	}
	vs := r.versions[name]
	if i := indexOf(vs, digest); i >= 0 {
		return r.withStatusLocked(vs[i]), true
	}
	return Version{}, false
}

// unwrapHost drops the "host: invalid module: " prefix from a compile error.
func unwrapHost(err error) string {
	return strings.TrimPrefix(err.Error(), host.ErrInvalidModule.Error()+": ")
}
