//go:build wasip1

package nexus

import "unsafe"

// Config returns the task's configuration value for key, with ok false if
// it is not set. Configuration is a map of strings given with the task
// (config=key=value query parameters or X-Nexus-Config-<key> headers on
// invoke, a "config" object on POST /v1/tasks).
func Config(key string) (value string, ok bool) {
	v, r := fetch(func(ptr unsafe.Pointer, capacity uint32) int32 {
		return configGet(stringPtr(key), uint32(len(key)), ptr, capacity)
	})
	if r < 0 {
		return "", false
	}
	return string(v), true
}
