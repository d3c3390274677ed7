package bundle

import (
	"errors"
	"fmt"
	"os"
	"sync"
)

// Held is a version of a bundle held for a task's mount: its tree stays
// on disk, even if the bundle is deleted, until Release.
type Held struct {
	Version
	// Dir is the tree's directory on the host.
	Dir string

	s    *Store
	once sync.Once
}

// Release lets the tree go; it is safe to call more than once. The last
// release of a tree no version holds any more (its bundle was deleted
// while mounted) collects it.
func (h *Held) Release() {
	h.once.Do(func() {
		if !h.s.release(h.Name, h.Digest) {
			return
		}
		if _, err := h.s.idx.BundleManifest(h.Digest); errors.Is(err, ErrNotFound) {
			h.s.Collect() // an error leaves the files to the next collection
		}
	})
}

// Acquire holds a version of name (0: the latest) for a mount. If digest
// is not empty the version must hold that tree (a task pins the digest at
// submission: a bundle deleted and pushed again under the same name is
// another tree). Call Release when the task ends.
func (s *Store) Acquire(name string, version int, digest string) (*Held, error) {
	v, err := s.Resolve(name, version)
	if err != nil {
		return nil, err
	}
	if digest != "" && v.Digest != digest {
		return nil, fmt.Errorf("%w: bundle %q version %d no longer holds %s", ErrNotFound, name, v.Version, digest)
	}
	s.useMu.Lock()
	s.byName[name]++
	s.byTree[v.Digest]++
	s.useMu.Unlock()
	h := &Held{Version: v, Dir: s.TreeDir(v.Digest), s: s}
	// Collect may have run between Resolve and the count: the tree must
	// still be there, now that the count protects it.
	if _, err := os.Lstat(h.Dir); err != nil {
		h.Release()
		return nil, fmt.Errorf("%w: bundle %q version %d was deleted", ErrNotFound, name, v.Version)
	}
	return h, nil
}

// release drops one hold of name's tree digest, reporting whether it was
// the tree's last.
func (s *Store) release(name, digest string) bool {
	s.useMu.Lock()
	defer s.useMu.Unlock()
	if s.byName[name]--; s.byName[name] <= 0 {
		delete(s.byName, name)
	}
	s.byTree[digest]--
	if s.byTree[digest] > 0 {
		return false
	}
	delete(s.byTree, digest)
	return true
}

// InUse returns how many mounts hold a version of name now.
func (s *Store) InUse(name string) int {
	s.useMu.Lock()
	defer s.useMu.Unlock()
	return s.byName[name]
}

// held reports whether a mount holds the tree digest.
func (s *Store) held(digest string) bool {
	s.useMu.Lock()
	defer s.useMu.Unlock()
	return s.byTree[digest] > 0
}

// HeldMounts returns how many mounts are held now, over every bundle.
func (s *Store) HeldMounts() int {
	s.useMu.Lock()
	defer s.useMu.Unlock()
	n := 0
	for _, c := range s.byName {
		n += c
	}
	return n
}
