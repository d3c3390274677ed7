package modules

import (
	"fmt"
	"sort"
)

// CorruptObject is a stored object the registry refuses to serve: a
// version whose bytes are damaged (Version and Digest set), or a name whose
// record cannot be read (Version 0, Digest "").
type CorruptObject struct {
	Name    string `json:"name"`
	Version int    `json:"version,omitempty"`
	Digest  string `json:"digest,omitempty"`
	// Reason says in a short sentence what is wrong.
	Reason string `json:"reason"`
}

// Corrupt returns the objects found damaged so far, by name and version:
// by Load (every record, and the latest version of each module) and by
// Resolve (older versions, compiled on first use). Uploading a module's
// bytes again repairs its version; deleting the module removes it. A
// damaged artifact is not listed: it is made again from the module's
// verified bytes. It is safe for concurrent use; the slice is the caller's.
func (r *Registry) Corrupt() []CorruptObject {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []CorruptObject
	for name, reason := range r.badNames {
		out = append(out, CorruptObject{Name: name, Reason: reason})
	}
	if len(r.corrupt) > 0 {
		for name, vs := range r.versions {
			for _, v := range vs {
				if reason, ok := r.corrupt[v.Digest]; ok {
					out = append(out, CorruptObject{Name: name, Version: v.Version, Digest: v.Digest, Reason: reason})
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Version < out[j].Version
	})
	return out
}

// refuse records that the stored bytes of v's digest are damaged, unless a
// Put committed since they were read (when puts was Registry.puts): it may
// have stored them again. It returns the error Resolve answers.
func (r *Registry) refuse(v Version, puts uint64, reason string) error {
	r.mu.Lock()
	if r.puts == puts {
		r.corrupt[v.Digest] = reason
	}
	r.mu.Unlock()
	return corruptError(v, reason)
}

// corruptError is the ErrCorrupt of version v.
func corruptError(v Version, reason string) error {
	return fmt.Errorf("%w: %s version %d (%s): %s", ErrCorrupt, v.Name, v.Version, v.Digest, reason)
}
