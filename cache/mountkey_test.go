package cache_test

import (
	"testing"

	"github.com/nexustask/nexus/cache"
)

// TestKeyMounts: a mounted bundle enters the key by its digest, guest
// path and mode; a task without mounts keeps the key it had.
func TestKeyMounts(t *testing.T) {
	base := cache.Spec{Module: "m", Digest: "sha256:aa", Profile: "wasi-command", Input: []byte("walk /data")}
	withMount := func(path string, rw bool, digest string) cache.Key {
		s := base
		s.Mounts = []string{cache.MountKey(path, rw, digest)}
		return s.Key()
	}
	keys := map[cache.Key]string{base.Key(): "none"}
	for name, k := range map[string]cache.Key{
		"ro /data d1": withMount("/data", false, "sha256:d1"),
		"ro /data d2": withMount("/data", false, "sha256:d2"),
		"rw /data d1": withMount("/data", true, "sha256:d1"),
		"ro /d d1":    withMount("/d", false, "sha256:d1"),
	} {
		if other, ok := keys[k]; ok {
			t.Errorf("%s and %s share key %s", name, other, k)
		}
		keys[k] = name
	}
	if withMount("/data", false, "sha256:d1") != withMount("/data", false, "sha256:d1") {
		t.Error("the same mount gives two keys")
	}
	empty := base
	empty.Mounts = []string{}
	if empty.Key() != base.Key() {
		t.Error("an empty mount list changes the key")
	}
}
