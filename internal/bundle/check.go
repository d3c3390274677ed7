package bundle

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Check verifies every stored version: that its manifest decodes, that
// its tree holds every entry with the right type, and every file the
// right size and content. It
// returns one error per problem, none if all is well. It reads only.
func (s *Store) Check() []error {
	all, err := s.idx.Bundles()
	if err != nil {
		return []error{err}
	}
	var problems []error
	checked := map[string]bool{}
	for _, v := range all {
		if checked[v.Digest] {
			continue
		}
		checked[v.Digest] = true
		for _, err := range s.checkTree(v) {
			problems = append(problems, fmt.Errorf("bundle %s version %d: %w", v.Name, v.Version, err))
		}
	}
	return problems
}

func (s *Store) checkTree(v Version) []error {
	raw, err := s.idx.BundleManifest(v.Digest)
	if err != nil {
		return []error{err}
	}
	m, err := DecodeManifest(raw)
	if err != nil {
		return []error{err}
	}
	if d := m.Digest(); d != v.Digest {
		return []error{fmt.Errorf("manifest digest %s, want %s", d, v.Digest)}
	}
	root := s.TreeDir(v.Digest)
	if _, err := os.Lstat(root); err != nil {
		return []error{fmt.Errorf("tree: %w", err)}
	}
	var problems []error
	for _, e := range m {
		if err := checkEntry(root, e); err != nil {
			problems = append(problems, fmt.Errorf("%q: %w", e.Path, err))
		}
	}
	return problems
}

func checkEntry(root string, e Entry) error {
	p := filepath.Join(root, filepath.FromSlash(e.Path))
	fi, err := os.Lstat(p)
	if err != nil {
		return err
	}
	switch e.Type {
	case TypeDir:
		if !fi.IsDir() {
			return fmt.Errorf("not a directory")
		}
	case TypeSymlink:
		t, err := os.Readlink(p)
		if err != nil || t != e.Target {
			return fmt.Errorf("link target %q, want %q", t, e.Target)
		}
	case TypeFile:
		if !fi.Mode().IsRegular() || fi.Size() != e.Size {
			return fmt.Errorf("not a file of %d bytes", e.Size)
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil {
			return err
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != e.Digest {
			return fmt.Errorf("content digest %s, want %s", got, e.Digest)
		}
	}
	return nil
}

// CheckDir is Check of the store in cfg.Dir over idx, without opening it:
// it creates and removes nothing, so it runs on a stopped server's data
// directory (nexus store check). A directory that does not exist holds no
// trees: every version the index names is then a problem.
func CheckDir(cfg Config, idx Index) []error {
	s := &Store{dir: cfg.Dir, idx: idx, lim: cfg.Limits.withDefaults(), byName: map[string]int{}, byTree: map[string]int{}}
	return s.Check()
}
