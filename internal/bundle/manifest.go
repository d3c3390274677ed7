package bundle

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"
)

// Types of an Entry.
const (
	TypeFile    = "file"
	TypeDir     = "dir"
	TypeSymlink = "symlink"
)

// Entry is one path of a bundle's tree.
type Entry struct {
	// Path is slash-separated and relative to the tree's root, clean,
	// without "." or ".." elements.
	Path string `json:"path"`
	// Type is TypeFile, TypeDir or TypeSymlink.
	Type string `json:"type"`
	// Size and Digest (SHA-256, lowercase hexadecimal) are a file's.
	Size   int64  `json:"size,omitempty"`
	Digest string `json:"digest,omitempty"`
	// Target is a symbolic link's target, relative and inside the tree.
	Target string `json:"target,omitempty"`
}

// Manifest is a tree: its entries sorted by path, every directory
// listed (the root excepted).
type Manifest []Entry

// Digest returns the tree's digest, "sha256:" and 64 hexadecimal digits:
// the SHA-256 of the entries' types, paths, sizes, contents' digests and
// link targets, each length-prefixed, in path order.
func (m Manifest) Digest() string {
	h := sha256.New()
	var b []byte
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	b = append(b, "nexus-bundle-v1"...)
	for _, e := range m {
		str(e.Type)
		str(e.Path)
		b = binary.AppendVarint(b, e.Size)
		str(e.Digest)
		str(e.Target)
		if len(b) > 32<<10 {
			h.Write(b)
			b = b[:0]
		}
	}
	h.Write(b)
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// Stats returns the manifest's count of files and their bytes together.
func (m Manifest) Stats() (files int, bytes int64) {
	for _, e := range m {
		if e.Type == TypeFile {
			files++
			bytes += e.Size
		}
	}
	return files, bytes
}

// Encode returns m's stored form (JSON).
func (m Manifest) Encode() []byte {
	b, _ := json.Marshal(m) // only strings and integers: cannot fail
	return b
}

// DecodeManifest decodes a manifest Encode wrote and checks that it is
// sorted, clean and closed (every parent a directory of the manifest).
func DecodeManifest(b []byte) (Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("bundle: manifest: %w", err)
	}
	return m, m.check()
}

func (m Manifest) check() error {
	types := make(map[string]string, len(m))
	for i, e := range m {
		if i > 0 && m[i-1].Path >= e.Path {
			return fmt.Errorf("bundle: manifest: %q is not sorted", e.Path)
		}
		if p, err := cleanPath(e.Path); err != nil || p != e.Path {
			return fmt.Errorf("bundle: manifest: %q is not a clean relative path", e.Path)
		}
		if d := path.Dir(e.Path); d != "." && types[d] != TypeDir {
			return fmt.Errorf("bundle: manifest: parent of %q is not a directory", e.Path)
		}
		switch e.Type {
		case TypeFile:
			if len(e.Digest) != 2*sha256.Size {
				return fmt.Errorf("bundle: manifest: file %q has no digest", e.Path)
			}
		case TypeDir:
		case TypeSymlink:
			if !linkInside(e.Path, e.Target) {
				return fmt.Errorf("bundle: manifest: link %q leaves the tree", e.Path)
			}
		default:
			return fmt.Errorf("bundle: manifest: %q has type %q", e.Path, e.Type)
		}
		types[e.Path] = e.Type
	}
	return nil
}

// Version is one stored version of a bundle: what POST /v1/bundles/{name}
// answers.
type Version struct {
	Name      string    `json:"name"`
	Version   int       `json:"version"`
	Digest    string    `json:"digest"`
	Files     int       `json:"files"`
	Bytes     int64     `json:"bytes"`
	CreatedAt time.Time `json:"created_at"`
}

// maxPathBytes bounds an entry's path, and maxNameBytes one element of it.
const (
	maxPathBytes = 4096
	maxNameBytes = 255
)

// cleanPath normalises an archive path: "./a//b/" is "a/b", "." and ""
// are the root ("."). It refuses absolute paths and paths with ".."
// elements or NUL bytes, saying why.
func cleanPath(p string) (string, error) {
	switch {
	case strings.HasPrefix(p, "/"):
		return "", fmt.Errorf("absolute path")
	case strings.IndexByte(p, 0) >= 0:
		return "", fmt.Errorf("path contains a NUL byte")
	case len(p) > maxPathBytes:
		return "", fmt.Errorf("path longer than %d bytes", maxPathBytes)
	}
	for _, el := range strings.Split(p, "/") {
		if el == ".." {
			return "", fmt.Errorf("path contains \"..\"")
		}
		if len(el) > maxNameBytes {
			return "", fmt.Errorf("path element longer than %d bytes", maxNameBytes)
		}
	}
	return path.Clean("./" + p), nil
}

// linkInside reports whether a symbolic link at p (clean, relative) whose
// target is target stays inside the tree, read lexically: a relative
// target that never climbs above the root. Links through other links are
// confined when the tree is mounted (the mount resolves every path inside
// its root); this check refuses archives that plainly point out.
func linkInside(p, target string) bool {
	if target == "" || strings.HasPrefix(target, "/") || strings.IndexByte(target, 0) >= 0 || len(target) > maxPathBytes {
		return false
	}
	depth := strings.Count(p, "/") // the link's directory's depth
	for _, el := range strings.Split(target, "/") {
		switch el {
		case "", ".":
		case "..":
			if depth--; depth < 0 {
				return false
			}
		default:
			depth++
		}
	}
	return true
}

// sortManifest sorts m by path.
func sortManifest(m Manifest) {
	slices.SortFunc(m, func(a, b Entry) int { return strings.Compare(a.Path, b.Path) })
}
