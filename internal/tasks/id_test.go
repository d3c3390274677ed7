package tasks_test

import (
	"sort"
	"testing"
	"time"

	"github.com/nexustask/nexus/internal/tasks"
)

func TestNewIDUniqueAndTimeOrdered(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	var ids []string
	now := time.Now()
	for i := range 10000 {
		if i%2500 == 0 {
			now = now.Add(2 * time.Millisecond)
		}
		id := tasks.NewIDAt(now)
		if len(id) != 32 || seen[id] {
			t.Fatalf("id %d: %q (len %d, seen %v)", i, id, len(id), seen[id])
		}
		seen[id] = true
		ids = append(ids, id)
	}
	// Ids made in different milliseconds sort by creation time.
	first, last := ids[0], ids[len(ids)-1]
	if first[:12] >= last[:12] {
		t.Fatalf("time prefix not increasing: %s .. %s", first, last)
	}
	sorted := append([]string(nil), ids...)
	sort.Strings(sorted)
	if sorted[0][:12] != first[:12] {
		t.Fatalf("smallest id %s is not from the first millisecond %s", sorted[0], first)
	}
}
