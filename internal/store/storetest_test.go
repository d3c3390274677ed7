package store_test

import (
	"testing"
	"time"

	"github.com/nexustask/nexus/internal/store"
	"github.com/nexustask/nexus/internal/store/storetest"
)

// TestContract runs every store contract suite against the bbolt store.
func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store {
		db, err := store.Open(t.TempDir(), time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}
