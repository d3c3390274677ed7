// Package rust_test runs the committed Rust example tasks through the real
// host, with a real store behind the kv imports. It needs only Go and the
// committed .wasm files; build.sh rebuilds them from source.
package rust_test

import (
	"testing"

	"github.com/nexustask/nexus/examples/internal/exampletest"
)

func TestExamples(t *testing.T) {
	l := exampletest.Standard("rust")
	// Rust's nexus::Error describes the code itself.
	l.Messages.NoStore = "nexus: capability denied (ERR_DENIED)"
	exampletest.Run(t, l)
}
