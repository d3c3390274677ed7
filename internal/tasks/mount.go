package tasks

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/internal/bundle"
	"github.com/nexustask/nexus/internal/errkind"
	"github.com/nexustask/nexus/internal/names"
)

// Mount modes.
const (
	// MountReadOnly preopens the bundle read-only, without a copy.
	MountReadOnly = "ro"
	// MountReadWrite gives the task its own writable copy, bounded by
	// the scratch size and discarded after the task.
	MountReadWrite = "rw"
)

// MaxMounts bounds a task's mounts.
const MaxMounts = 16

// Mount is a data bundle mounted into a task: an entry of the mounts of
// POST /v1/tasks and of schedule templates, and of an invoke's mount
// query parameter (ParseMount).
type Mount struct {
	// Bundle is the bundle's name; Version a version of it (0: the latest
	// at submission, pinned in the record).
	Bundle  string `json:"bundle"`
	Version int    `json:"version,omitempty"`
	// Path is where the guest sees it: absolute and clean; "/" is
	// allowed.
	Path string `json:"path"`
	// Mode is MountReadOnly (the default when empty) or MountReadWrite.
	Mode string `json:"mode,omitempty"`
	// Digest is the tree the version held at submission, set by the
	// service; a submitted value is ignored.
	Digest string `json:"digest,omitempty"`
}

// ParseMount parses NAME[@VERSION]:/guest/path[:ro|:rw], the invoke
// query's and the CLI's form of a mount.
func ParseMount(s string) (Mount, error) {
	bad := fmt.Errorf("%w: mount %q must be NAME[@VERSION]:/guest/path[:ro|:rw]", errkind.ErrInvalidRequest, s)
	var m Mount
	rest := s
	for _, mode := range []string{MountReadOnly, MountReadWrite} {
		if r, ok := strings.CutSuffix(rest, ":"+mode); ok {
			rest, m.Mode = r, mode
			break
		}
	}
	ref, p, ok := strings.Cut(rest, ":")
	if !ok {
		return m, bad
	}
	m.Bundle, m.Path = ref, p
	if name, v, ok := strings.Cut(ref, "@"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return m, bad
		}
		m.Bundle, m.Version = name, n
	}
	return m, m.validate()
}

// validate reports what is wrong with m, wrapping ErrInvalidRequest.
func (m Mount) validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: mount: "+format, append([]any{errkind.ErrInvalidRequest}, args...)...)
	}
	switch {
	case !names.Valid(m.Bundle):
		return bad("bundle %q must match "+names.Pattern, m.Bundle)
	case m.Version < 0:
		return bad("version %d must be positive", m.Version)
	case !strings.HasPrefix(m.Path, "/") || path.Clean(m.Path) != m.Path || strings.IndexByte(m.Path, 0) >= 0:
		return bad("path %q must be absolute and clean, like /data", m.Path)
	case m.Mode != "" && m.Mode != MountReadOnly && m.Mode != MountReadWrite:
		return bad("mode %q must be ro or rw", m.Mode)
	}
	return nil
}

// ValidateMounts checks a task's mounts: each valid, at most MaxMounts,
// no path twice.
func ValidateMounts(ms []Mount) error {
	if len(ms) > MaxMounts {
		return fmt.Errorf("%w: more than %d mounts", errkind.ErrInvalidRequest, MaxMounts)
	}
	seen := map[string]bool{}
	for _, m := range ms {
		if err := m.validate(); err != nil {
			return err
		}
		if seen[m.Path] {
			return fmt.Errorf("%w: mount path %q given twice", errkind.ErrInvalidRequest, m.Path)
		}
		seen[m.Path] = true
	}
	return nil
}

// PinMounts resolves each mount's version (0: the latest) and digest in
// bs: what a task's record keeps, so that every attempt mounts the same
// tree. With no mounts it returns nil; with mounts and no store, an
// error.
func PinMounts(bs *bundle.Store, ms []Mount) ([]Mount, error) {
	if len(ms) == 0 {
		return nil, nil
	}
	if bs == nil {
		return nil, fmt.Errorf("%w: this server stores no bundles", errkind.ErrInvalidRequest)
	}
	out := make([]Mount, len(ms))
	for i, m := range ms {
		v, err := bs.Resolve(m.Bundle, m.Version)
		if err != nil {
			return nil, err
		}
		m.Version, m.Digest = v.Version, v.Digest
		if m.Mode == "" {
			m.Mode = MountReadOnly
		}
		out[i] = m
	}
	return out, nil
}

// HoldMounts holds each mount's bundle in bs (at its pinned digest, if
// set) for one run and returns the host's mounts and the release of the
// holds, which is never nil. A bundle deleted since it was pinned fails
// with bundle.ErrNotFound.
func HoldMounts(bs *bundle.Store, ms []Mount) ([]host.Mount, func(), error) {
	if len(ms) == 0 {
		return nil, func() {}, nil
	}
	if bs == nil {
		return nil, nil, fmt.Errorf("%w: this server stores no bundles", errkind.ErrInvalidRequest)
	}
	var held []*bundle.Held
	release := func() {
		for _, h := range held {
			h.Release()
		}
	}
	out := make([]host.Mount, 0, len(ms))
	for _, m := range ms {
		h, err := bs.Acquire(m.Bundle, m.Version, m.Digest)
		if err != nil {
			release()
			return nil, nil, err
		}
		held = append(held, h)
		out = append(out, host.Mount{Dir: h.Dir, GuestPath: m.Path, Writable: m.Mode == MountReadWrite, Digest: h.Digest})
	}
	return out, release, nil
}

// mounts reports whether one of ms mounts bundle name.
func mounts(ms []Mount, name string) bool {
	for _, m := range ms {
		if m.Bundle == name {
			return true
		}
	}
	return false
}

// MountedBy returns the ids of the tasks not finished (scheduled, queued
// or running) that mount bundle name.
func (s *Service) MountedBy(name string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for id, e := range s.active {
		if !e.rec.State.Terminal() && mounts(e.rec.Mounts, name) {
			ids = append(ids, id)
		}
	}
	return ids
}
