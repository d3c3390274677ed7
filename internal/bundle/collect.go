package bundle

import (
	"fmt"
	"os"
	"path/filepath"
)

// Collected counts what Collect removed.
type Collected struct {
	Trees, Blobs, Temp int
}

// Collect removes what no version of the index names and no mount holds:
// the trees of deleted versions, then the blobs no tree links (a blob
// with one link left), then whatever an interrupted import left under
// tmp/. Imports wait for it.
func (s *Store) Collect() (Collected, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var c Collected
	digests, err := s.idx.BundleDigests()
	if err != nil {
		return c, err
	}
	live := make(map[string]bool, len(digests))
	for _, d := range digests {
		live[filepath.Base(s.TreeDir(d))] = true
	}
	trees, err := os.ReadDir(s.path("trees"))
	if err != nil {
		return c, fmt.Errorf("bundle: %w", err)
	}
	for _, t := range trees {
		if live[t.Name()] || s.held("sha256:"+t.Name()) {
			continue
		}
		if err := os.RemoveAll(s.path("trees", t.Name())); err != nil {
			return c, fmt.Errorf("bundle: collect tree: %w", err)
		}
		c.Trees++
	}
	if c.Blobs, err = s.collectBlobs(); err != nil {
		return c, err
	}
	tmp, err := os.ReadDir(s.path("tmp"))
	if err != nil {
		return c, fmt.Errorf("bundle: %w", err)
	}
	for _, t := range tmp {
		if err := os.RemoveAll(s.path("tmp", t.Name())); err != nil {
			return c, fmt.Errorf("bundle: collect: %w", err)
		}
		c.Temp++
	}
	return c, nil
}

// collectBlobs removes the blobs that no tree links.
func (s *Store) collectBlobs() (int, error) {
	n := 0
	shards, err := os.ReadDir(s.path("blobs"))
	if err != nil {
		return 0, fmt.Errorf("bundle: %w", err)
	}
	for _, sh := range shards {
		blobs, err := os.ReadDir(s.path("blobs", sh.Name()))
		if err != nil {
			return n, fmt.Errorf("bundle: %w", err)
		}
		for _, b := range blobs {
			p := s.path("blobs", sh.Name(), b.Name())
			fi, err := os.Lstat(p)
			if err != nil {
				return n, fmt.Errorf("bundle: %w", err)
			}
			if linkedElsewhere(fi) {
				continue
			}
			if err := os.Remove(p); err != nil {
				return n, fmt.Errorf("bundle: collect blob: %w", err)
			}
			n++
		}
	}
	return n, nil
}
