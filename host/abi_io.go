package host

import (
	"context"

	"github.com/nexustask/nexus/abi"
	"github.com/tetratelabs/wazero/api"
)

// maxErrorMessage bounds what error_set keeps.
const maxErrorMessage = 4 << 10

// inputLen is nexus_v1.input_len() -> i32: the input size in bytes.
func inputLen(ctx context.Context, _ api.Module, stack []uint64) {
	stack[0] = api.EncodeI32(int32(len(taskFrom(ctx).input)))
}

// inputRead is nexus_v1.input_read(ptr, len i32) -> i32. It copies up to len
// bytes of input into guest memory at ptr, continuing where the previous
// call stopped, and returns the count copied (0 once all input was read).
// An out-of-range [ptr, ptr+len) traps.
func inputRead(ctx context.Context, mod api.Module, stack []uint64) {
	t := taskFrom(ctx)
	ptr, n := api.DecodeU32(stack[0]), api.DecodeU32(stack[1])
	buf := guestBytes(mod, abi.ImportInputRead, ptr, n)
	c := copy(buf, t.input[t.inputOff:])
	t.inputOff += c
	stack[0] = api.EncodeI32(int32(c))
}

// outputWrite is nexus_v1.output_write(ptr, len i32) -> i32. It appends
// [ptr, ptr+len) to the output and returns len, or ERR_LIMIT (writing
// nothing) if that would pass the output cap; the task then fails with
// output_limit when it ends. An out-of-range range traps.
func outputWrite(ctx context.Context, mod api.Module, stack []uint64) {
	t := taskFrom(ctx)
	ptr, n := api.DecodeU32(stack[0]), api.DecodeU32(stack[1])
	buf := guestBytes(mod, abi.ImportOutputWrite, ptr, n)
	t.out.mu.Lock()
	fits := int64(len(t.out.buf))+int64(n) <= t.out.limit
	if fits {
		t.out.buf = append(t.out.buf, buf...)
	} else {
		t.out.exceeded = true
	}
	t.out.mu.Unlock()
	if !fits {
		stack[0] = api.EncodeI32(abi.ErrLimit)
		return
	}
	stack[0] = api.EncodeI32(int32(n))
}

// errorSet is nexus_v1.error_set(ptr, len i32). It sets the message reported
// when nexus_run returns non-zero; it keeps at most 4 KiB. Out of range traps.
func errorSet(ctx context.Context, mod api.Module, stack []uint64) {
	ptr, n := api.DecodeU32(stack[0]), api.DecodeU32(stack[1])
	buf := guestBytes(mod, abi.ImportErrorSet, ptr, n)
	taskFrom(ctx).errMsg = string(buf[:min(len(buf), maxErrorMessage)])
}

// guestBytes returns the guest memory [ptr, ptr+n), or traps the guest with
// a message naming the import if the range is outside its memory.
func guestBytes(mod api.Module, fn string, ptr, n uint32) []byte {
	mem := mod.Memory()
	if mem == nil {
		panic(&TrapError{Message: abi.ModuleNexus + "." + fn + ": module has no memory"})
	}
	b, ok := mem.Read(ptr, n)
	if !ok {
		panic(&TrapError{Message: outOfRange(fn, ptr, n, mem.Size())})
	}
	return b
}
