package schedule_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/nexustask/nexus/internal/schedule"
)

// TestHammer creates, pauses, resumes and deletes schedules from many
// goroutines while they fire, then checks that the Manager and the store
// agree and that no due time fired twice.
func TestHammer(t *testing.T) {
	e := newEnv(t, testConfig())
	e.sub.allDone = true
	const workers, names = 8, 6
	var wg sync.WaitGroup
	stop := time.Now().Add(300 * time.Millisecond)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for time.Now().Before(stop) {
				name := fmt.Sprintf("h%d", rng.IntN(names))
				var err error
				switch rng.IntN(4) {
				case 0:
					_, err = e.m.Create(schedule.Spec{Name: name, Every: "10ms", Task: []byte(`{"module":"m"}`),
						Overlap: schedule.Overlap([]string{"skip", "buffer_one", "allow"}[rng.IntN(3)])})
				case 1:
					_, err = e.m.Pause(name)
				case 2:
					_, err = e.m.Resume(name)
				case 3:
					err = e.m.Delete(name)
				}
				if err != nil && !errors.Is(err, schedule.ErrNotFound) && !errors.Is(err, schedule.ErrExists) {
					t.Errorf("%s: %v", name, err)
				}
			}
		}()
	}
	wg.Wait()
	list, err := e.m.List()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range list {
		if _, err := e.m.Pause(s.Name); err != nil {
			t.Fatalf("listed schedule %s has no runner: %v", s.Name, err)
		}
	}
	seen := map[string]bool{}
	for _, c := range e.sub.created() {
		if seen[c.key] {
			t.Fatalf("%s fired twice", c.key)
		}
		seen[c.key] = true
	}
	if len(seen) == 0 {
		t.Fatal("nothing fired")
	}
}
