package cache

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
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
}

// Key returns the key of s. It is safe to call concurrently.
func (s *Spec) Key() Key {
	h := sha256.New()
	w := keyWriter{h: h}
	w.str(keyVersion)
	w.str(s.Module)
	w.str(s.Digest)
	w.str(s.Profile)
	w.bytes(s.Input)
	w.strings(sortedPairs(s.Config))
	w.strings(s.Env)
	w.strings(s.Args)
	scratch := int64(0)
	if s.Scratch {
		scratch = 1
	}
	w.ints(scratch, s.ScratchBytes, s.Fuel, s.MemoryBytes)
	var sum [sha256.Size]byte
	return Key(hex.EncodeToString(h.Sum(sum[:0])))
}

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

// keyWriter writes length-prefixed fields, so that no two different Specs
// encode to the same bytes.
type keyWriter struct {
	h   hash.Hash
	buf [binary.MaxVarintLen64]byte
}

func (w *keyWriter) len(n int) {
	w.h.Write(binary.AppendUvarint(w.buf[:0], uint64(n)))
}

func (w *keyWriter) bytes(b []byte) {
	w.len(len(b))
	w.h.Write(b)
}

func (w *keyWriter) str(s string) {
	w.len(len(s))
	if len(s) > 0 {
		w.h.Write([]byte(s))
	}
}

func (w *keyWriter) strings(ss []string) {
	w.len(len(ss))
	for _, s := range ss {
		w.str(s)
	}
}

func (w *keyWriter) ints(ns ...int64) {
	for _, n := range ns {
		w.h.Write(binary.AppendVarint(w.buf[:0], n))
	}
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
