package modules_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/internal/store"
	"github.com/nexustask/nexus/modules"
)

// The hammer's shape: workers goroutines each doing ops random operations
// per round over names, with a restart (store, runtime and Registry closed
// and opened again) between rounds.
const (
	hammerWorkers = 8
	hammerOps     = 63
	hammerRounds  = 4
)

var (
	hammerNames    = []string{"alpha", "beta", "gamma"}
	hammerFixtures = []string{
		"../examples/wat/echo.wasm",
		"../examples/wat/counter.wasm",
		"../examples/wat/wordcount/wordcount.wasm",
		"../examples/wat/sha256/sha256.wasm",
	}
)

type hammerKind int

const (
	opPut hammerKind = iota
	opDelete
	opResolve
)

func (k hammerKind) String() string { return [...]string{"put", "delete", "resolve"}[k] }

// hammerOp is one answered operation. start and end are ticks of one
// counter shared by every worker and round, so that a.end < b.start means
// a was answered before b was asked.
type hammerOp struct {
	kind       hammerKind
	name       string
	start, end int64
	digest     string // put: the bytes sent; resolve: the version answered
	version    int    // the version answered (resolve: asked, 0 for latest)
	asked      int
	created    bool
	err        error
	runErr     error // resolve: running what it answered
}

func (o hammerOp) String() string {
	return fmt.Sprintf("%s %s [%d,%d] v%d/asked %d %.20s created=%v err=%v run=%v",
		o.kind, o.name, o.start, o.end, o.version, o.asked, o.digest, o.created, o.err, o.runErr)
}

// hammerEnv is one start of the registry over the data directory.
type hammerEnv struct {
	db  *store.DB
	rt  *host.Runtime
	reg *modules.Registry
}

func openHammer(t *testing.T, dir string) *hammerEnv {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := host.New(ctx, host.Config{})
	if err != nil {
		t.Fatal(err)
	}
	reg := modules.New(db, rt, modules.DefaultConfig())
	if err := reg.Load(ctx); err != nil {
		t.Fatalf("load: %v", err)
	}
	return &hammerEnv{db: db, rt: rt, reg: reg}
}

func (e *hammerEnv) close() {
	e.rt.Close(context.Background())
	e.db.Close()
}

// hammerState is what a registry shows of every name: its versions
// without the fields filled in from compiled code.
type hammerState map[string][]string

func stateOf(t *testing.T, reg *modules.Registry) hammerState {
	t.Helper()
	st := hammerState{}
	for _, m := range reg.List() {
		vs, err := reg.Versions(m.Name)
		if err != nil {
			t.Fatalf("versions of listed %s: %v", m.Name, err)
		}
		for _, v := range vs {
			st[m.Name] = append(st[m.Name], fmt.Sprintf("v%d %s %d %s %s %s", v.Version, v.Digest, v.Size, v.Profile, v.Isolation, v.CreatedAt.UTC().Format("2006-01-02T15:04:05.999999999")))
		}
		if len(vs) != m.Versions {
			t.Fatalf("%s: list says %d versions, Versions %d", m.Name, m.Versions, len(vs))
		}
	}
	return st
}

// TestRegistryHammer uploads, deletes and resolves (and runs) modules
// from many goroutines over a few names against a real store, restarting
// between rounds. After each round the state reloaded from the store must
// equal the state the registry showed before it closed, and every name's
// versions must agree with what the operations were answered.
func TestRegistryHammer(t *testing.T) {
	var wasm [][]byte
	for _, p := range hammerFixtures {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		wasm = append(wasm, b)
	}
	dir := t.TempDir()
	var clock atomic.Int64
	var history []hammerOp
	var before hammerState
	for round := range hammerRounds {
		env := openHammer(t, dir)
		if round > 0 {
			if got := stateOf(t, env.reg); !equalStates(got, before) {
				env.close()
				t.Fatalf("round %d: state after restart differs\n got %v\nwant %v", round, got, before)
			}
		}
		ops := runHammerRound(env, wasm, uint64(round), &clock)
		history = append(history, ops...)
		before = stateOf(t, env.reg)
		env.close()
		checkHammer(t, history, before)
		if t.Failed() {
			t.Fatalf("round %d failed", round)
		}
	}
	env := openHammer(t, dir)
	defer env.close()
	if got := stateOf(t, env.reg); !equalStates(got, before) {
		t.Fatalf("state after the last restart differs\n got %v\nwant %v", got, before)
	}
}

func sha256Digest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func equalStates(a, b hammerState) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

// runHammerRound runs the workers of one round and returns what they were
// answered.
func runHammerRound(env *hammerEnv, wasm [][]byte, round uint64, clock *atomic.Int64) []hammerOp {
	ctx := context.Background()
	out := make([][]hammerOp, hammerWorkers)
	var wg sync.WaitGroup
	for w := range hammerWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(round, uint64(w)))
			for range hammerOps {
				op := hammerOp{name: hammerNames[rng.IntN(len(hammerNames))]}
				switch n := rng.IntN(10); {
				case n < 5:
					op.kind = opPut
					b := wasm[rng.IntN(len(wasm))]
					op.digest = sha256Digest(b)
					op.start = clock.Add(1)
					v, created, err := env.reg.Put(ctx, op.name, b)
					op.end = clock.Add(1)
					op.version, op.created, op.err = v.Version, created, err
					if err == nil && v.Digest != op.digest {
						op.err = fmt.Errorf("answered digest %s", v.Digest)
					}
				case n < 7:
					op.kind = opDelete
					op.start = clock.Add(1)
					op.err = env.reg.Delete(ctx, op.name)
					op.end = clock.Add(1)
				default:
					op.kind = opResolve
					if rng.IntN(3) == 0 {
						op.asked = 1 + rng.IntN(3)
					}
					op.start = clock.Add(1)
					v, mod, err := env.reg.Resolve(ctx, op.name, op.asked)
					if err == nil {
						_, op.runErr = env.rt.Run(ctx, mod, host.Request{Input: []byte("hammer")})
					}
					op.end = clock.Add(1)
					op.version, op.digest, op.err = v.Version, v.Digest, err
				}
				out[w] = append(out[w], op)
			}
		}()
	}
	wg.Wait()
	return slices.Concat(out...)
}

// checkHammer checks the answers of history against each other and against
// final, the state after the last of them.
func checkHammer(t *testing.T, history []hammerOp, final hammerState) {
	t.Helper()
	uploaded := map[string]bool{} // "name vN digest" answered to some put
	for _, op := range history {
		if op.kind == opPut && op.err == nil {
			uploaded[fmt.Sprintf("%s v%d %s", op.name, op.version, op.digest)] = true
		}
	}
	for _, op := range history {
		checkAnswer(t, op, history, uploaded)
	}
	for _, name := range hammerNames {
		checkFinal(t, name, history, final[name], uploaded)
	}
}

// deletedDuring reports whether a delete of name that succeeded may have
// taken effect after tick from and before tick to.
func deletedDuring(history []hammerOp, name string, from, to int64) bool {
	for _, d := range history {
		if d.kind == opDelete && d.err == nil && d.name == name && d.end > from && d.start < to {
			return true
		}
	}
	return false
}

// mustExist reports whether name must have existed for all of [at, to]: a
// put of it was answered before at and no delete succeeded since.
func mustExist(history []hammerOp, name string, at, to int64) bool {
	for _, u := range history {
		if u.kind == opPut && u.err == nil && u.name == name && u.end < at && !deletedDuring(history, name, u.start, to) {
			return true
		}
	}
	return false
}

func checkAnswer(t *testing.T, op hammerOp, history []hammerOp, uploaded map[string]bool) {
	t.Helper()
	notFound := errors.Is(op.err, modules.ErrNotFound)
	switch {
	case op.kind == opPut && op.err != nil:
		t.Errorf("upload failed: %v", op)
	case op.kind != opPut && op.err != nil && !notFound:
		t.Errorf("unexpected error: %v", op)
	case notFound && op.asked == 0 && mustExist(history, op.name, op.start, op.end):
		t.Errorf("not found while it existed: %v", op)
	case op.kind == opResolve && op.err == nil && !uploaded[fmt.Sprintf("%s v%d %s", op.name, op.version, op.digest)]:
		t.Errorf("resolved a version no upload was answered: %v", op)
	case op.kind == opResolve && op.asked != 0 && op.err == nil && op.version != op.asked:
		t.Errorf("resolved another version: %v", op)
	case op.runErr != nil && errors.Is(op.runErr, host.ErrClosed) && !deletedDuring(history, op.name, op.start, op.end):
		t.Errorf("ran closed code without a delete: %v", op)
	case op.runErr != nil && !guestFailure(op.runErr) && !errors.Is(op.runErr, host.ErrClosed):
		t.Errorf("run failed: %v", op)
	}
}

// guestFailure reports whether err is the guest's own failure (some
// fixtures fail without a kv grant or a well-formed input).
func guestFailure(err error) bool {
	var te *host.TaskError
	var ee *host.ExitError
	return errors.As(err, &te) || errors.As(err, &ee)
}

// checkFinal checks the versions name ended with: numbered 1..n with
// distinct digests, each answered to some upload, and holding every upload
// no successful delete may have followed.
func checkFinal(t *testing.T, name string, history []hammerOp, final []string, uploaded map[string]bool) {
	t.Helper()
	seen := map[string]bool{}
	for i, line := range final {
		var n int
		var digest string
		fmt.Sscanf(line, "v%d %s", &n, &digest)
		if n != i+1 || seen[digest] || !uploaded[fmt.Sprintf("%s v%d %s", name, n, digest)] {
			t.Errorf("%s: version %d is %q: not numbered in order, a repeated digest, or never answered to an upload", name, i+1, line)
		}
		seen[digest] = true
	}
	last := int64(1 << 62)
	for _, u := range history {
		if u.kind != opPut || u.err != nil || u.name != name || deletedDuring(history, name, u.start, last) {
			continue
		}
		want := fmt.Sprintf("v%d %s ", u.version, u.digest)
		if !slices.ContainsFunc(final, func(l string) bool { return len(l) > len(want) && l[:len(want)] == want }) {
			t.Errorf("%s: upload answered %v is gone though no delete followed it", name, u)
		}
	}
}
