package host

import (
	"context"

	"github.com/nexustask/nexus/abi"
	"github.com/tetratelabs/wazero/api"
)

// configGet is nexus_v1.config_get(kptr, klen, vptr, vcap i32) -> i32. It
// returns the length of the task's configuration value for the key
// [kptr, kptr+klen), copying it to [vptr, vptr+vcap) if it fits, or
// ERR_NOT_FOUND. Configuration comes with the request (Request.Config).
// Both ranges are bounds-checked first: either out of range traps, even
// when nothing would be copied.
func configGet(ctx context.Context, mod api.Module, stack []uint64) {
	t := taskFrom(ctx)
	key := guestBytes(mod, abi.ImportConfigGet, api.DecodeU32(stack[0]), api.DecodeU32(stack[1]))
	dst := guestBytes(mod, abi.ImportConfigGet, api.DecodeU32(stack[2]), api.DecodeU32(stack[3]))
	v, ok := t.config[string(key)]
	if !ok {
		stack[0] = api.EncodeI32(abi.ErrNotFound)
		return
	}
	stack[0] = api.EncodeI32(copyOut(dst, []byte(v)))
}
