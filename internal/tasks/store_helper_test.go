package tasks_test

import (
	"testing"
	"time"

	"github.com/nexustask/nexus/internal/store"
)

func reopenStore(t *testing.T, dir string) *store.DB {
	t.Helper()
	db, err := store.Open(dir, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return db
}
