package jetstream_test

import (
	"fmt"
	"os"
	"sync/atomic"
	"testing"

	"github.com/nexustask/nexus/internal/store/jetstream"
	"github.com/nexustask/nexus/internal/store/storetest"
)

// srv is the one embedded server of the package's tests; each test opens
// a store of its own name on it, so stores start empty without a server
// each.
var srv *jetstream.Embedded

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "nexus-jetstream-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	srv, err = jetstream.StartEmbedded(jetstream.EmbeddedConfig{Dir: dir, Host: "127.0.0.1", Port: -1})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	srv.Shutdown()
	os.RemoveAll(dir)
	os.Exit(code)
}

var stores atomic.Int64

// open opens a fresh store on srv, closed when t ends.
func open(t *testing.T) *jetstream.Store {
	t.Helper()
	st, err := jetstream.Open(srv.URL(), jetstream.Options{Name: fmt.Sprintf("T%d", stores.Add(1))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestContract runs every store contract suite against the JetStream
// store.
func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store { return open(t) })
}
