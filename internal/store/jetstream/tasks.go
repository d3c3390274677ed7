package jetstream

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nexustask/nexus/internal/tasks"
)

var _ tasks.Store = (*Store)(nil)

// inlineInput is the largest input kept inside its task's record; a
// larger one is its own entry, written once at the task's creation, so
// that the record's many small updates do not rewrite it.
const inlineInput = tasks.MaxInputInMemory

// storedTask is a task record as the table holds it.
type storedTask struct {
	tasks.Record
	// InEntry says the input is the task's input entry, not Input.
	InEntry bool `json:"in_entry,omitempty"`
}

// Subjects of a task: its record, large input, checkpoint, and the
// idempotency key it holds.
func (s *Store) taskSubj(id string) string    { return s.subj("task", token(id)) }
func (s *Store) inputSubj(id string) string   { return s.subj("in", token(id)) }
func (s *Store) ckptSubj(id string) string    { return s.subj("cp", token(id)) }
func (s *Store) idemSubj(key string) string   { return s.subj("idem", token(key)) }
func (s *Store) kvSubj(ns, key string) string { return s.subj("kv", token(ns), token(key)) }
func (s *Store) kvTotalSubj(ns string) string { return s.subj("kvt", token(ns)) }

// CommitTasks implements tasks.Store: every write of ws in one atomic
// batch, each condition checked against the table as the writes before
// it left it. Writes that carry events are refused: the cluster's event
// stream is not part of this store yet (RATIONALE.md, "Cluster mode").
func (s *Store) CommitTasks(ws []tasks.Write) error {
	for i := range ws {
		if len(ws[i].Events) > 0 {
			return errors.New("jetstream: commit tasks: writes with events are not supported by the JetStream store")
		}
	}
	err := s.update(func(x *txn) error {
		for i := range ws {
			if err := x.applyTaskWrite(&ws[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("jetstream: commit tasks: %w", err)
	}
	return nil
}

// task returns the stored record of id as x sees it, or nil.
func (x *txn) task(id string) (*storedTask, error) {
	var st storedTask
	found, err := x.getJSON(x.s.taskSubj(id), &st)
	if err != nil || !found {
		return nil, err
	}
	return &st, nil
}

func (x *txn) applyTaskWrite(w *tasks.Write) error {
	r := w.Rec
	if r == nil {
		return nil
	}
	got, err := x.task(r.ID)
	if err != nil {
		return err
	}
	if err := x.checkTaskWrite(w, got); err != nil {
		return err
	}
	if w.Delete {
		if got == nil {
			return nil
		}
		return x.deleteTask(&got.Record)
	}
	st := storedTask{Record: *r}
	st.OutputBytes = 0
	switch {
	case w.Prev == nil && len(r.Input) > inlineInput:
		if err := x.put(x.s.inputSubj(r.ID), r.Input); err != nil {
			return err
		}
		st.Input, st.InEntry = nil, true
	case w.Prev != nil && got.InEntry:
		st.Input, st.InEntry = nil, true
	case w.Prev != nil && r.Input == nil && r.InputBytes > 0:
		st.Input = got.Input // the service left out an input it did not keep
	}
	if err := x.putJSON(x.s.taskSubj(r.ID), st); err != nil {
		return err
	}
	if w.Prev == nil && r.IdempotencyKey != "" {
		if err := x.put(x.s.idemSubj(r.IdempotencyKey), []byte(r.ID)); err != nil {
			return err
		}
	}
	if w.Checkpoint != nil {
		if err := x.put(x.s.ckptSubj(r.ID), w.Checkpoint); err != nil {
			return err
		}
	}
	for _, op := range w.KV {
		if err := x.applyKV(op.Namespace, op.Key, op.Value, op.Delete, -1); err != nil {
			return err
		}
	}
	return nil
}

// checkTaskWrite checks w's condition (tasks.Store.CommitTasks) against
// got, the stored record (nil: none).
func (x *txn) checkTaskWrite(w *tasks.Write, got *storedTask) error {
	r := w.Rec
	if w.Prev == nil && !w.Delete {
		if got != nil {
			return fmt.Errorf("%w: task %s exists", tasks.ErrStale, r.ID)
		}
		if !tasks.State("").CanReach(r.State) {
			return fmt.Errorf("%w: task %s created %s", tasks.ErrTransition, r.ID, r.State)
		}
		return x.checkKeyFree(r)
	}
	if got == nil {
		if w.Delete {
			return nil
		}
		return fmt.Errorf("%w: task %s is not there", tasks.ErrStale, r.ID)
	}
	have, want := got.Revision(), r.Revision()
	if !w.Delete {
		want = w.Prev.Revision()
	}
	if have != want {
		return fmt.Errorf("%w: task %s is %s (attempt %d, owner %q), not %s (attempt %d, owner %q)",
			tasks.ErrStale, r.ID, have.State, have.Attempts, have.Owner, want.State, want.Attempts, want.Owner)
	}
	if !w.Delete && !have.State.CanReach(r.State) {
		return fmt.Errorf("%w: task %s from %s to %s", tasks.ErrTransition, r.ID, have.State, r.State)
	}
	return nil
}

// checkKeyFree refuses a new record whose idempotency key another task
// holds. A key naming a task that is not there holds nothing.
func (x *txn) checkKeyFree(r *tasks.Record) error {
	if r.IdempotencyKey == "" {
		return nil
	}
	e, err := x.get(x.s.idemSubj(r.IdempotencyKey))
	if err != nil || !e.exists {
		return err
	}
	holder := string(e.data)
	if h, err := x.task(holder); err != nil || h == nil {
		return err
	}
	return &tasks.KeyHeldError{Key: r.IdempotencyKey, Task: r.ID, HeldBy: holder}
}

// deleteTask removes r's record, input, checkpoint and idempotency key.
func (x *txn) deleteTask(r *tasks.Record) error {
	for _, subj := range []string{x.s.taskSubj(r.ID), x.s.inputSubj(r.ID), x.s.ckptSubj(r.ID)} {
		if err := x.del(subj); err != nil {
			return err
		}
	}
	if r.IdempotencyKey == "" {
		return nil
	}
	subj := x.s.idemSubj(r.IdempotencyKey)
	e, err := x.get(subj)
	if err != nil || !e.exists || string(e.data) != r.ID {
		return err
	}
	return x.del(subj)
}

// Task implements tasks.Store.
func (s *Store) Task(id string) (tasks.Record, bool, error) {
	x := &txn{s: s, ents: map[string]*entry{}}
	st, err := x.task(id)
	if err != nil || st == nil {
		return tasks.Record{}, false, err
	}
	if st.InEntry {
		e, err := s.load(s.inputSubj(id))
		if err != nil {
			return tasks.Record{}, false, err
		}
		st.Input = e.data
	}
	return st.Record, true, nil
}

// TaskInput implements tasks.Store.
func (s *Store) TaskInput(id string) ([]byte, error) {
	r, found, err := s.Task(id)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("jetstream: task %s is not there", id)
	}
	return r.Input, nil
}

// Checkpoint implements tasks.Store.
func (s *Store) Checkpoint(id string) ([]byte, error) {
	e, err := s.load(s.ckptSubj(id))
	if err != nil || !e.exists {
		return nil, err
	}
	return e.data, nil
}

// EncodeTask implements tasks.Store. The JSON it returns is only a check
// that r encodes: CommitTasks encodes each record as it stores it, with
// its input placed, and does not use Write.Encoded.
func (s *Store) EncodeTask(r *tasks.Record) ([]byte, error) { return json.Marshal(r) }

// tasks calls fn with every stored record, by id, without large inputs.
func (s *Store) tasks(fn func(st *storedTask) error) error {
	var all []*storedTask
	err := s.scan(s.subj("task"), func(subj string, data []byte) error {
		var st storedTask
		if err := json.Unmarshal(data, &st); err != nil {
			return fmt.Errorf("jetstream: decode %s: %w", subj, err)
		}
		all = append(all, &st)
		return nil
	})
	if err != nil {
		return err
	}
	slices.SortFunc(all, func(a, b *storedTask) int { return strings.Compare(a.ID, b.ID) })
	for _, st := range all {
		if err := fn(st); err != nil {
			return err
		}
	}
	return nil
}

// ActiveTasks implements tasks.Store.
func (s *Store) ActiveTasks(fn func(tasks.Record) error) error {
	return s.tasks(func(st *storedTask) error {
		switch st.State {
		case tasks.Scheduled, tasks.Queued, tasks.Running:
			return fn(st.Record)
		}
		return nil
	})
}

// IdempotencyKeys implements tasks.Store.
func (s *Store) IdempotencyKeys(fn func(key, id string) error) error {
	type pair struct{ key, id string }
	var keys []pair
	prefix := s.subj("idem") + "."
	err := s.scan(s.subj("idem"), func(subj string, data []byte) error {
		key, err := untoken(strings.TrimPrefix(subj, prefix))
		if err != nil {
			return err
		}
		keys = append(keys, pair{key, string(data)})
		return nil
	})
	if err != nil {
		return err
	}
	slices.SortFunc(keys, func(a, b pair) int { return strings.Compare(a.key, b.key) })
	for _, k := range keys {
		if err := fn(k.key, k.id); err != nil {
			return err
		}
	}
	return nil
}

// ListTasks implements tasks.Store.
func (s *Store) ListTasks(f tasks.Filter, limit int) ([]tasks.Record, error) {
	var out []tasks.Record
	err := s.tasks(func(st *storedTask) error {
		r := st.Record
		if (f.Cursor != "" && r.ID >= f.Cursor) || (f.State != "" && r.State != f.State) ||
			(f.Module != "" && r.Module != f.Module) || (f.Tag != "" && !slices.Contains(r.Tags, f.Tag)) {
			return nil
		}
		r.OutputBytes = len(r.Output)
		r.Input, r.Output = nil, nil
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Reverse(out)
	return out[:min(len(out), max(limit, 0))], nil
}

// ExpiredTasks implements tasks.Store.
func (s *Store) ExpiredTasks(now time.Time, limit int) ([]tasks.Record, error) {
	var out []tasks.Record
	err := s.tasks(func(st *storedTask) error {
		if !st.ExpiresAt.IsZero() && st.ExpiresAt.Before(now) {
			out = append(out, st.Record)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b tasks.Record) int { return a.ExpiresAt.Compare(b.ExpiresAt) })
	return out[:min(len(out), max(limit, 0))], nil
}
