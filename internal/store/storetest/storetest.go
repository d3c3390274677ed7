// Package storetest holds the contract suites of NexusTask's stores: one
// test suite per store interface (tasks.Store, schedule.Store,
// modules.Store, host.KV), written from the interfaces' documented
// contracts, that every implementation must pass. The bbolt store runs
// them in internal/store; another backend runs the same suites against
// itself.
//
// The suites use nothing but the interfaces: each test opens a fresh,
// empty store with the function it is given, so a backend needs no reset
// method.
package storetest

import (
	"testing"

	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/internal/schedule"
	"github.com/nexustask/nexus/internal/tasks"
	"github.com/nexustask/nexus/modules"
)

// Store is a store that implements every store interface, as the bbolt
// database does.
type Store interface {
	tasks.Store
	schedule.Store
	modules.Store
	host.KV
}

// Run runs every suite against stores made by open, and the checks that
// cross interfaces: kv writes committed with a task record, and a deleted
// module's kv namespace.
func Run(t *testing.T, open func(t *testing.T) Store) {
	t.Run("Tasks", func(t *testing.T) { RunTasks(t, func(t *testing.T) tasks.Store { return open(t) }) })
	t.Run("Schedules", func(t *testing.T) { RunSchedules(t, func(t *testing.T) schedule.Store { return open(t) }) })
	t.Run("Modules", func(t *testing.T) { RunModules(t, func(t *testing.T) modules.Store { return open(t) }) })
	t.Run("KV", func(t *testing.T) { RunKV(t, func(t *testing.T) host.KV { return open(t) }) })
	t.Run("Across", func(t *testing.T) { runAcross(t, open) })
}

// must fails the test if err is not nil.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
