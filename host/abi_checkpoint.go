package host

import (
	"context"

	"github.com/nexustask/nexus/abi"
	"github.com/tetratelabs/wazero/api"
)

// MaxCheckpointBytes bounds one checkpoint.
const MaxCheckpointBytes = 1 << 20

// checkpointSave is nexus_v1.checkpoint_save(ptr, len i32) -> i32. It keeps
// a copy of [ptr, ptr+len) as the task's checkpoint, replacing the previous
// one, and returns 0, or ERR_LIMIT if len exceeds MaxCheckpointBytes, or
// ERR_INTERNAL if Request.OnCheckpoint could not keep it (the previous
// checkpoint stays). The range is bounds-checked first: out of range traps,
// whatever its length.
func checkpointSave(ctx context.Context, mod api.Module, stack []uint64) {
	ptr, n := api.DecodeU32(stack[0]), api.DecodeU32(stack[1])
	buf := guestBytes(mod, abi.ImportCheckpointSave, ptr, n)
	if n > MaxCheckpointBytes {
		stack[0] = api.EncodeI32(abi.ErrLimit)
		return
	}
	t := taskFrom(ctx)
	t.checkpoints++
	cp := append([]byte{}, buf...)
	if t.onCheckpoint != nil {
		if err := t.onCheckpoint(cp); err != nil {
			stack[0] = api.EncodeI32(abi.ErrInternal)
			return
		}
	}
	t.checkpoint = cp
	stack[0] = 0
}

// checkpointLoad is nexus_v1.checkpoint_load(ptr, cap i32) -> i32. It returns
// ERR_NOT_FOUND if the task has no checkpoint; otherwise the checkpoint's
// length, copying it to [ptr, ptr+cap) only if it fits (a result larger than
// cap means "call again with a buffer this large"). The range is
// bounds-checked first: out of range traps, even with no checkpoint.
func checkpointLoad(ctx context.Context, mod api.Module, stack []uint64) {
	t := taskFrom(ctx)
	dst := guestBytes(mod, abi.ImportCheckpointLoad, api.DecodeU32(stack[0]), api.DecodeU32(stack[1]))
	if t.checkpoint == nil {
		stack[0] = api.EncodeI32(abi.ErrNotFound)
		return
	}
	stack[0] = api.EncodeI32(copyOut(dst, t.checkpoint))
}
