package schedule

// saver writes schedule states with group commit: a save waits for the
// transaction in progress, then goes into the next one together with every
// save that arrived meanwhile. Idle, a save costs one transaction; under
// load, many schedules due at once share one.
type saver struct {
	st   Store
	keep int
	reqs chan saveReq
}

type saveReq struct {
	save Save
	done chan error
}

// maxBatch bounds the saves of one transaction.
const maxBatch = 512

func newSaver(st Store, keep int) *saver {
	s := &saver{st: st, keep: keep, reqs: make(chan saveReq, maxBatch)}
	go s.run()
	return s
}

// save stores sv, returning when it is durable. It must not be called
// after close.
func (s *saver) save(sv Save) error {
	done := make(chan error, 1)
	s.reqs <- saveReq{save: sv, done: done}
	return <-done
}

// close stops the saver once the pending saves are written.
func (s *saver) close() { close(s.reqs) }

func (s *saver) run() {
	batch := make([]saveReq, 0, maxBatch)
	saves := make([]Save, 0, maxBatch)
	for req := range s.reqs {
		batch, saves = append(batch[:0], req), append(saves[:0], req.save)
	drain:
		for len(batch) < maxBatch {
			select {
			case r, ok := <-s.reqs:
				if !ok {
					break drain
				}
				batch, saves = append(batch, r), append(saves, r.save)
			default:
				break drain
			}
		}
		err := s.st.SaveSchedules(saves, s.keep)
		for _, r := range batch {
			r.done <- err
		}
	}
}
