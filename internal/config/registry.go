package config

import (
	"maps"
	"slices"
	"sort"
	"sync"
)

// Registry holds the keys that may change while the server runs, each
// with the function that prepares a new value for the running parts. T is
// what those functions read the new values from: the options a fresh
// Load filled in. Adding a reloadable key is one Register call. A
// Registry is safe for concurrent use.
type Registry[T any] struct {
	mu    sync.Mutex
	apply map[string]Prepare[T]
}

// Prepare checks a key's new value in opts and returns the function that
// applies it, which cannot fail; a value it cannot apply is its error.
type Prepare[T any] func(opts T) (commit func(), err error)

// NewRegistry returns an empty Registry.
func NewRegistry[T any]() *Registry[T] {
	return &Registry[T]{apply: map[string]Prepare[T]{}}
}

// Register makes key reloadable: prepare checks its value in the options
// and returns what gives it to the running parts. Registering a key twice
// panics.
func (r *Registry[T]) Register(key string, prepare Prepare[T]) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.apply[key]; dup {
		panic("config: key registered twice: " + key)
	}
	r.apply[key] = prepare
}

// Keys returns the reloadable keys, sorted.
func (r *Registry[T]) Keys() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Sorted(maps.Keys(r.apply))
}

// Refused returns the keys, sorted, that are not reloadable.
func (r *Registry[T]) Refused(keys []string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var refused []string
	for _, k := range keys {
		if _, ok := r.apply[k]; !ok {
			refused = append(refused, k)
		}
	}
	sort.Strings(refused)
	return slices.Compact(refused)
}

// Apply applies the keys' new values from opts, all or none: if any key
// is not reloadable it returns a *RefusedError naming them, and if a
// key's Prepare refuses its value, a *KeyError naming the key; otherwise
// it commits every key, in the order of keys.
func (r *Registry[T]) Apply(keys []string, opts T) error {
	if refused := r.Refused(keys); len(refused) > 0 {
		return &RefusedError{Keys: refused}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	commits := make([]func(), 0, len(keys))
	for _, k := range keys {
		commit, err := r.apply[k](opts)
		if err != nil {
			return &KeyError{Key: k, Err: err}
		}
		commits = append(commits, commit)
	}
	for _, c := range commits {
		c()
	}
	return nil
}

// Change is a key whose value differs between two configurations.
type Change struct {
	Key      string
	Old, New Value
}

// Diff returns the keys whose values differ from old to new, sorted.
func Diff(old, new *Config) []Change {
	var out []Change
	for _, nv := range new.values {
		ov, ok := old.Get(nv.Key)
		if !ok || ov.Value != nv.Value {
			out = append(out, Change{Key: nv.Key, Old: ov, New: nv})
		}
	}
	return out
}
