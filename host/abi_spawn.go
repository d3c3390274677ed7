package host

import (
	"context"
	"encoding/binary"
	"errors"

	"github.com/nexustask/nexus/abi"
	"github.com/tetratelabs/wazero/api"
)

// Bounds of the spawn imports.
const (
	// MaxChildren bounds the child tasks one attempt of a task may spawn:
	// task_spawn answers ERR_LIMIT past it.
	MaxChildren = 1 << 16
	// MaxSpawnModuleBytes bounds task_spawn's module argument, a name
	// with an optional "@version"; MaxSpawnOptionsBytes its options.
	MaxSpawnModuleBytes  = 256
	MaxSpawnOptionsBytes = 64 << 10
)

// Spawner gives a task child tasks: it is what task_spawn, task_await and
// task_await_any reach (Request.Spawner). A task without one gets
// ERR_DENIED from task_spawn. Its methods are called on the task's
// goroutine, one at a time.
type Spawner interface {
	// Spawn starts the task's child number seq (0 for the first spawn of
	// the run, 1 for the next …) running module with input and options
	// (the JSON options of task_spawn, possibly empty), or finds it again
	// if an earlier attempt of the task spawned it already. It returns 0
	// or a result code: ERR_NOT_FOUND (no such module or version),
	// ERR_INVALID (a malformed name or options), ERR_LIMIT, ERR_DENIED or
	// ERR_INTERNAL. Spawn does not keep input or options.
	Spawn(ctx context.Context, seq int, module string, input, options []byte) int32
	// Await waits until one of the children seqs (each returned 0 by
	// Spawn) has finished, and returns its index in seqs (the lowest of
	// those finished) with its output, or with code ERR_FAILED if it did
	// not succeed. If none has finished yet, Await waits inside park,
	// which gives the task's worker token back meanwhile; code ERR_LIMIT
	// means the host holds as many waiting tasks as it allows and the
	// task did not wait. A non-nil error is ctx's cause (the task's
	// deadline or cancellation): the task stops with it.
	Await(ctx context.Context, seqs []int, park func(wait func(context.Context) error) error) (index int, output []byte, code int32, err error)
}

// InlineSpawner is a Spawner whose children have finished by the time
// Spawn returns (an in-process test host's), so that Await never waits:
// a task with one runs in whatever instance its module's isolation gives
// it, like any task. Inline is a marker and is never called.
type InlineSpawner interface {
	Spawner
	Inline()
}

// waitsForChildren reports whether a task of m with req may wait in
// task_await: m imports task_spawn and req gives it a Spawner that is not
// inline. Such a task runs in a new instance (runSpawning).
func waitsForChildren(m *Module, req *Request) bool {
	if !m.spawns || req.Spawner == nil {
		return false
	}
	_, inline := req.Spawner.(InlineSpawner)
	return !inline
}

// ImportsSpawn reports whether imports include task_spawn: the tasks of
// such a module run in a fresh instance every time (RATIONALE.md, "Tasks
// that spawn tasks").
func ImportsSpawn(imports []Import) bool {
	for _, imp := range imports {
		if imp.Module == abi.ModuleNexus && imp.Name == abi.ImportTaskSpawn {
			return true
		}
	}
	return false
}

// taskSpawn is nexus_v1.task_spawn(mptr, mlen, iptr, ilen, optr, olen i32)
// -> i32. [mptr, mptr+mlen) is the child's module, "NAME" or
// "NAME@VERSION"; [iptr, iptr+ilen) its input; [optr, optr+olen) its
// options, a JSON object (olen 0: none). It returns the child's handle,
// its sequence number among the task's spawns (0, 1, 2 …), or
// ERR_NOT_FOUND, ERR_INVALID, ERR_LIMIT (more than MaxChildren spawns, a
// module name or options too long), ERR_DENIED (the task cannot spawn: no
// durable task service) or ERR_INTERNAL. A failed call takes no handle.
// Every range is bounds-checked first: out of range traps.
func taskSpawn(ctx context.Context, mod api.Module, stack []uint64) {
	name := guestBytes(mod, abi.ImportTaskSpawn, api.DecodeU32(stack[0]), api.DecodeU32(stack[1]))
	input := guestBytes(mod, abi.ImportTaskSpawn, api.DecodeU32(stack[2]), api.DecodeU32(stack[3]))
	opts := guestBytes(mod, abi.ImportTaskSpawn, api.DecodeU32(stack[4]), api.DecodeU32(stack[5]))
	t := taskFrom(ctx)
	switch {
	case t.spawner == nil:
		stack[0] = api.EncodeI32(abi.ErrDenied)
		return
	case t.spawned >= MaxChildren || len(name) > MaxSpawnModuleBytes || len(opts) > MaxSpawnOptionsBytes:
		stack[0] = api.EncodeI32(abi.ErrLimit)
		return
	}
	if code := t.spawner.Spawn(ctx, t.spawned, string(name), input, opts); code != 0 {
		stack[0] = api.EncodeI32(code)
		return
	}
	stack[0] = api.EncodeI32(int32(t.spawned))
	t.spawned++
}

// taskAwait is nexus_v1.task_await(handle, ptr, cap i32) -> i32. It waits
// until the child of handle has finished, giving the task's worker token
// back meanwhile, and returns its output's length, copying the output to
// [ptr, ptr+cap) only if it fits; a child awaited again answers at once
// with the same result. It returns ERR_NOT_FOUND for a handle task_spawn
// did not return in this run, ERR_FAILED if the child failed, died or was
// canceled, ERR_LIMIT if the host holds as many waiting tasks as it allows
// (--max-awaiting) and the child has not finished, ERR_DENIED without a
// spawner. A task whose deadline passes while it waits fails with timeout.
// The range is bounds-checked first: out of range traps.
func taskAwait(ctx context.Context, mod api.Module, stack []uint64) {
	h := int32(api.DecodeI32(stack[0]))
	dst := guestBytes(mod, abi.ImportTaskAwait, api.DecodeU32(stack[1]), api.DecodeU32(stack[2]))
	t := taskFrom(ctx)
	if code := t.checkHandle(h); code != 0 {
		stack[0] = api.EncodeI32(code)
		return
	}
	_, out, code := t.await(ctx, []int{int(h)})
	if code != 0 {
		stack[0] = api.EncodeI32(code)
		return
	}
	stack[0] = api.EncodeI32(copyOut(dst, out))
}

// taskAwaitAny is nexus_v1.task_await_any(hptr, n i32) -> i32. [hptr,
// hptr+4n) holds n handles as little-endian i32. It waits until one of
// their children has finished, giving the task's worker token back
// meanwhile, and returns the index (0 to n-1) of a finished one, the
// lowest of those finished; task_await on its handle then answers at
// once. It returns ERR_INVALID if n is 0 or more than MaxChildren,
// ERR_NOT_FOUND if a handle is not one task_spawn returned in this run,
// ERR_LIMIT as task_await does, ERR_DENIED without a spawner. The range is
// bounds-checked first: out of range traps.
func taskAwaitAny(ctx context.Context, mod api.Module, stack []uint64) {
	n := api.DecodeU32(stack[1])
	if n > MaxChildren {
		guestBytes(mod, abi.ImportTaskAwaitAny, api.DecodeU32(stack[0]), n)
		stack[0] = api.EncodeI32(abi.ErrInvalid)
		return
	}
	raw := guestBytes(mod, abi.ImportTaskAwaitAny, api.DecodeU32(stack[0]), 4*n)
	t := taskFrom(ctx)
	if n == 0 {
		stack[0] = api.EncodeI32(abi.ErrInvalid)
		return
	}
	seqs := make([]int, n)
	for i := range seqs {
		h := int32(binary.LittleEndian.Uint32(raw[4*i:]))
		if code := t.checkHandle(h); code != 0 {
			stack[0] = api.EncodeI32(code)
			return
		}
		seqs[i] = int(h)
	}
	i, _, code := t.await(ctx, seqs)
	if code != 0 && code != abi.ErrFailed {
		stack[0] = api.EncodeI32(code)
		return
	}
	stack[0] = api.EncodeI32(int32(i))
}

// checkHandle returns 0 if h is a handle of t's run, else its code.
func (t *task) checkHandle(h int32) int32 {
	switch {
	case t.spawner == nil:
		return abi.ErrDenied
	case h < 0 || int(h) >= t.spawned:
		return abi.ErrNotFound
	}
	return 0
}

// await waits for one of seqs through the spawner, under the task's
// deadline, parking the task if its yielder can (executor.Parker). A
// deadline or cancellation stops the task.
func (t *task) await(ctx context.Context, seqs []int) (int, []byte, int32) {
	wctx := t.yieldContext(ctx)
	park := func(wait func(context.Context) error) error {
		if p, ok := t.meter.yielder.(Parker); ok {
			return p.Park(wctx, wait)
		}
		return wait(wctx)
	}
	i, out, code, err := t.spawner.Await(wctx, seqs, park)
	if err != nil {
		if errors.Is(err, ErrTimeout) || errors.Is(context.Cause(wctx), ErrTimeout) {
			panic(ErrTimeout)
		}
		panic(err)
	}
	return i, out, code
}

// Parker is a Yielder that can give the task's worker token back while
// the task waits for something other than a CPU (its child tasks): Park
// runs wait without the token and returns once the task holds one again.
// The executor's Yielder implements it.
type Parker interface {
	Park(ctx context.Context, wait func(ctx context.Context) error) error
}
