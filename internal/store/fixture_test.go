package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/internal/schedule"
	"github.com/nexustask/nexus/internal/store"
	"github.com/nexustask/nexus/internal/tasks"
	"github.com/nexustask/nexus/modules"
	bolt "go.etcd.io/bbolt"
)

// fixture builds a data file with tasks in several states (with inputs,
// outputs, large ones in blobs, checkpoints, idempotency keys), schedules
// with runs, kv values and a real module, and returns its directory.
func fixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	db := open(t, dir)
	defer db.Close()
	at := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
	big := bytes.Repeat([]byte("in-"), store.InlineTaskBytes/2)
	var ws []tasks.Write
	for i, st := range []tasks.State{tasks.Queued, tasks.Running, tasks.Scheduled, tasks.Succeeded, tasks.Failed, tasks.Succeeded, tasks.Dead, tasks.Canceled} {
		r := tasks.Record{ID: fmt.Sprintf("task%02d", i), Module: "echo", Version: 1, State: st, Priority: i,
			Tags: []string{"t" + fmt.Sprint(i%2)}, IdempotencyKey: fmt.Sprintf("idem-%d", i), Fuel: 1e6,
			Input: []byte(fmt.Sprintf("input %d", i)), InputBytes: 7, SubmittedAt: at.Add(time.Duration(i) * time.Second)}
		switch st {
		case tasks.Succeeded:
			r.Output, r.FuelUsed, r.FinishedAt, r.ExpiresAt = []byte(fmt.Sprintf("output %d", i)), int64(100+i), at, at.Add(time.Hour)
			if i == 5 {
				r.Input, r.Output = big, bytes.Repeat([]byte("out"), store.InlineTaskBytes/2)
				r.InputBytes = len(big)
			}
		case tasks.Failed, tasks.Dead:
			r.ErrorCode, r.ErrorMessage, r.FinishedAt, r.ExpiresAt = "trap", "unreachable", at, at.Add(2*time.Hour)
		}
		w := tasks.Write{Rec: &r}
		if st == tasks.Running {
			w.Checkpoint = []byte("checkpoint of task01")
		}
		ws = append(ws, w)
	}
	commit(t, db, ws...)
	for i, name := range []string{"nightly", "hourly"} {
		s := schedule.Schedule{Spec: schedule.Spec{Name: name, Every: fmt.Sprintf("%dh0m0s", i+1),
			Task: json.RawMessage(`{"module":"echo"}`)}, CreatedAt: at, NextDue: at.Add(time.Hour)}
		if err := db.CreateSchedule(s); err != nil {
			t.Fatal(err)
		}
		fired := at.Add(time.Millisecond)
		if err := db.SaveSchedules([]schedule.Save{{Schedule: s, Runs: []schedule.Run{
			{Due: at, FiredAt: &fired, TaskID: "task03", Outcome: schedule.OutcomeSubmitted},
			{Due: at.Add(time.Hour), Outcome: schedule.OutcomeSkipped}}}}, 10); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 5 {
		if err := db.Set("echo", fmt.Sprintf("key%d", i), []byte(fmt.Sprintf("value number %d", i)), 1<<20); err != nil {
			t.Fatal(err)
		}
	}
	wasm, err := os.ReadFile("../../examples/wat/echo.wasm")
	if err != nil {
		t.Fatal(err)
	}
	rt, err := host.New(context.Background(), host.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(context.Background())
	reg := modules.New(db, rt, modules.DefaultConfig())
	if err := reg.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := reg.Put(context.Background(), "echo", wasm); err != nil {
		t.Fatal(err)
	}
	return dir
}

// result is what one read gave: a value (canonical text) or an error.
type result struct {
	val     string
	err     error
	missing bool // the read found nothing and said so without an error
}

// reads reads every object of the fixture through the store's API and
// returns what each read gave, by name.
func reads(db *store.DB, arts [][2]string) map[string]result {
	out := map[string]result{}
	put := func(name string, v any, err error) {
		if err != nil {
			out[name] = result{err: err}
			return
		}
		js, _ := json.Marshal(v)
		out[name] = result{val: string(js)}
	}
	for i := range 8 {
		id := fmt.Sprintf("task%02d", i)
		r, found, err := db.Task(id)
		if err == nil && !found {
			out["task/"+id] = result{missing: true}
		} else {
			put("task/"+id, r, err)
		}
		in, err := db.TaskInput(id)
		if err != nil && !errors.Is(err, store.ErrCorrupt) && strings.Contains(err.Error(), "no task") {
			out["input/"+id] = result{missing: true}
		} else {
			put("input/"+id, in, err)
		}
		cp, err := db.Checkpoint(id)
		put("checkpoint/"+id, cp, err)
	}
	scan := func(prefix string, recs []tasks.Record, err error) {
		if err != nil {
			out[prefix] = result{err: err}
			return
		}
		for _, r := range recs {
			put(prefix+"/"+r.ID, r, nil)
		}
	}
	var active []tasks.Record
	err := db.ActiveTasks(func(r tasks.Record) error { active = append(active, r); return nil })
	scan("active", active, err)
	all, err := db.ListTasks(tasks.Filter{}, 100)
	scan("list", all, err)
	done, err := db.ListTasks(tasks.Filter{State: tasks.Succeeded}, 100)
	scan("list-succeeded", done, err)
	expired, err := db.ExpiredTasks(time.Date(2026, 12, 6, 9, 30, 0, 0, time.UTC), 100)
	scan("expired", expired, err)
	err = db.IdempotencyKeys(func(key, id string) error { put("idem/"+key, id, nil); return nil })
	if err != nil {
		out["idem"] = result{err: err}
	}
	for _, name := range []string{"nightly", "hourly"} {
		s, err := db.Schedule(name)
		if errors.Is(err, schedule.ErrNotFound) {
			out["schedule/"+name] = result{missing: true}
		} else {
			put("schedule/"+name, s, err)
		}
		runs, err := db.Runs(name, 10)
		if errors.Is(err, schedule.ErrNotFound) {
			out["runs/"+name] = result{missing: true}
		} else {
			put("runs/"+name, runs, err)
		}
	}
	ss, err := db.Schedules()
	if err != nil {
		out["schedules"] = result{err: err}
	}
	for _, s := range ss {
		put("schedules/"+s.Name, s, nil)
	}
	for i := range 5 {
		v, found, err := db.Get("echo", fmt.Sprintf("key%d", i))
		if err == nil && !found {
			out[fmt.Sprintf("kv/key%d", i)] = result{missing: true}
		} else {
			put(fmt.Sprintf("kv/key%d", i), v, err)
		}
	}
	vs, err := db.AllVersions()
	put("modules", vs, err)
	for _, v := range vs {
		b, err := db.Bytes(v.Digest)
		put("module-bytes/"+v.Digest, b, err)
	}
	for _, a := range arts {
		b, err := db.Artifact(a[0], a[1])
		put("artifact/"+a[0]+"/"+a[1], b, err)
	}
	return out
}

// artifactKeys lists the module artifacts of the file, by digest/key.
func artifactKeys(t *testing.T, path string) [][2]string {
	t.Helper()
	b, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var keys [][2]string
	b.View(func(tx *bolt.Tx) error {
		arts := tx.Bucket([]byte("artifacts"))
		return arts.ForEachBucket(func(d []byte) error {
			return arts.Bucket(d).ForEach(func(k, _ []byte) error {
				keys = append(keys, [2]string{string(d), string(k)})
				return nil
			})
		})
	})
	sort.Slice(keys, func(i, j int) bool { return keys[i][0]+keys[i][1] < keys[j][0]+keys[j][1] })
	return keys
}

// moduleRead reports whether name's read may fail in ways other than
// ErrCorrupt: module records are the registry's to verify.
func moduleRead(name string) bool {
	return name == "modules" || len(name) > 13 && name[:13] == "module-bytes/" || len(name) > 9 && name[:9] == "artifact/"
}

// compare checks the reads of a damaged copy against the original's:
// each read gives the original value, or an error matching ErrCorrupt,
// or finds nothing — allowed only when damaged is true (Check or the
// scans reported damage). Never a different value.
//
// Module records, bytes and artifacts are read here through the store's
// raw API, which does not verify them: the registry does (against their
// sha256 digests, on load), and its own suite checks that. For them this
// suite asserts only that nothing crashes, and counts the reads that
// differ.
func compare(t *testing.T, want, got map[string]result, damaged bool) (moduleDiffs int) {
	t.Helper()
	for name, w := range want {
		if moduleRead(name) {
			if g := got[name]; g.err == nil && g.val != w.val {
				moduleDiffs++
			}
			continue
		}
		g, ok := got[name]
		if !ok {
			// A scan lost the object: only if it said so.
			prefix := name
			for i := range name {
				if name[i] == '/' {
					prefix = name[:i]
					break
				}
			}
			if e, ok := got[prefix]; ok && e.err != nil {
				if !errors.Is(e.err, store.ErrCorrupt) {
					t.Errorf("%s: scan failed with %v, want an error matching ErrCorrupt", name, e.err)
				}
				continue
			}
			if !damaged {
				t.Errorf("%s: missing from its scan, and nothing reports damage", name)
			}
			continue
		}
		switch {
		case g.err != nil:
			if !errors.Is(g.err, store.ErrCorrupt) {
				t.Errorf("%s: %v, want an error matching ErrCorrupt", name, g.err)
			}
		case g.missing && !w.missing:
			if !damaged {
				t.Errorf("%s: not found, and nothing reports damage", name)
			}
		case g.val != w.val:
			t.Errorf("%s: a different value\n got %s\nwant %s", name, short(g.val), short(w.val))
		}
	}
	for name, g := range got {
		if _, ok := want[name]; !ok && g.err == nil && !moduleRead(name) {
			t.Errorf("%s: appeared from nowhere: %s", name, short(g.val))
		}
	}
	return moduleDiffs
}

// short shortens a value for a message.
func short(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}
