// Package c_test runs the committed C example tasks through the real
// host, with a real store behind the kv imports. It needs only Go and the
// committed .wasm files; build.sh rebuilds them from source.
package c_test

import (
	"testing"

	"github.com/nexustask/nexus/examples/internal/exampletest"
)

func TestExamples(t *testing.T) {
	l := exampletest.Standard("c")
	l.Initialize = true // WASI reactors built with -mexec-model=reactor
	exampletest.Run(t, l)
}
