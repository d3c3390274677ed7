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
// Out-of-range memory traps.
func configGet(ctx context.Context, mod api.Module, stack []uint64) {
	t := taskFrom(ctx)
	key := guestBytes(mod, abi.ImportConfigGet, api.DecodeU32(stack[0]), api.DecodeU32(stack[1]))
	v, ok := t.config[string(key)]
	if !ok {
		stack[0] = api.EncodeI32(abi.ErrNotFound)
		return
	}
	stack[0] = api.EncodeI32(copyOut(mod, abi.ImportConfigGet, []byte(v), stack[2], stack[3]))
}
