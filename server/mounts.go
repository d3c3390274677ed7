package server

import (
	"strings"

	"github.com/nexustask/nexus/internal/tasks"
)

// parseMounts reads the repeated mount query parameter of an invoke.
func parseMounts(q query, p *invokeParams) error {
	for _, s := range q.All("mount") {
		m, err := tasks.ParseMount(s)
		if err != nil {
			return err
		}
		p.mounts = append(p.mounts, m)
	}
	return tasks.ValidateMounts(p.mounts)
}

// writableMount reports whether the query mounts a bundle rw, whose copy
// scratch_bytes sizes.
func writableMount(q query) bool {
	for _, s := range q.All("mount") {
		if strings.HasSuffix(s, ":"+tasks.MountReadWrite) {
			return true
		}
	}
	return false
}
