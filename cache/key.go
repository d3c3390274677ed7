package cache

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
)

// Key identifies a cached result: 64 lowercase hexadecimal digits, the
// SHA-256 of a Spec. Keys are comparable and safe to share.
type Key string

// keyVersion starts every hashed Spec; change it when the encoding changes.
const keyVersion = "nexus-cache-key-v1"

// Spec is everything a pure task's result can depend on. Two runs with the
// same Spec produce the same output, so they share a Key.
type Spec struct {
	// Module is the module's name; it is also the task's kv namespace.
	Module string
	// Digest is the digest of the exact module version that runs.
	Digest string
	// Profile is the module's ABI profile.
	Profile string
	// Input is the task's input. Key does not modify it.
	Input []byte
	// Config is the task's configuration. Key does not modify it.
	Config map[string]string
	// Env (KEY=VALUE) and Args are a wasi-command task's environment and
	// arguments, in order.
	Env, Args []string
	// Scratch and ScratchBytes are the scratch-directory grant.
	Scratch      bool
	ScratchBytes int64
	// Fuel and MemoryBytes are the limits as requested; 0 stands for the
	// server's default, which does not change while a cache lives.
	Fuel, MemoryBytes int64
	// Mounts are the task's mounted data bundles, in order, each as its
	// guest path, mode and tree digest (MountKey): a bundle enters the
	// key by its content, not its name.
	Mounts []string
}

// MountKey is one entry of Spec.Mounts.
func MountKey(path string, writable bool, digest string) string {
	mode := "ro"
	if writable {
		mode = "rw"
	}
	return path + "\x00" + mode + "\x00" + digest
}

// Key returns the key of s. It is safe to call concurrently.
func (s *Spec) Key() Key {
	var stack [512]byte
	b := appendString(stack[:0], keyVersion)
	b = appendString(b, s.Module)
	b = appendString(b, s.Digest)
	b = appendString(b, s.Profile)
	b = appendStrings(b, sortedPairs(s.Config))
	b = appendStrings(b, s.Env)
	b = appendStrings(b, s.Args)
	scratch := int64(0)
	if s.Scratch {
		scratch = 1
	}
	for _, n := range [...]int64{scratch, s.ScratchBytes, s.Fuel, s.MemoryBytes} {
		b = binary.AppendVarint(b, n)
	}
	if len(s.Mounts) > 0 {
		// Only when there are mounts, so that the keys of tasks without
		// any stay as they were.
		b = append(b, 'm')
		b = appendStrings(b, s.Mounts)
	}
	b = binary.AppendUvarint(b, uint64(len(s.Input)))
	var sum [sha256.Size]byte
	if len(s.Input) <= streamInputBytes {
		// Small inputs are hashed in one call, without a hasher to allocate.
		sum = sha256.Sum256(append(b, s.Input...))
	} else {
		h := sha256.New()
		h.Write(b)
		h.Write(s.Input)
		h.Sum(sum[:0])
	}
	var out [2 * sha256.Size]byte
	hex.Encode(out[:], sum[:])
	return Key(out[:])
}

// streamInputBytes is the largest input Key copies next to the other
// fields; a larger one is streamed to the hasher instead.
const streamInputBytes = 4 << 10

// ParseKey checks that s is a Key as Key.String writes it.
func ParseKey(s string) (Key, error) {
	if len(s) != 2*sha256.Size {
		return "", fmt.Errorf("%w: key %q must be %d hexadecimal digits", ErrInvalid, s, 2*sha256.Size)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return "", fmt.Errorf("%w: key %q must be lowercase hexadecimal", ErrInvalid, s)
		}
	}
	return Key(s), nil
}

// String returns the key's hexadecimal form.
func (k Key) String() string { return string(k) }

// appendString appends s with a length prefix, so that no two different
// Specs encode to the same bytes.
func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// appendStrings appends the count of ss, then each with a length prefix.
func appendStrings(b []byte, ss []string) []byte {
	b = binary.AppendUvarint(b, uint64(len(ss)))
	for _, s := range ss {
		b = appendString(b, s)
	}
	return b
}

// sortedPairs returns m as key, value, key, value … in key order.
func sortedPairs(m map[string]string) []string {
	if len(m) == 0 {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]string, 0, 2*len(keys))
	for _, k := range keys {
		out = append(out, k, m[k])
	}
	return out
}
