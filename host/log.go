package host

import (
	"context"
	"strconv"

	"github.com/nexustask/nexus/abi"
	"github.com/tetratelabs/wazero/api"
)

var levelNames = [...]string{"debug", "info", "warn", "error"}

// logLine is nexus_v1.log(level, ptr, len i32). It appends one line
// "level: message" to the task's logs, which are bounded: past the log cap
// lines are dropped and the task goes on. An unknown level is logged as
// "level(N)". Out-of-range memory traps.
func logLine(ctx context.Context, mod api.Module, stack []uint64) {
	level := api.DecodeI32(stack[0])
	ptr, n := api.DecodeU32(stack[1]), api.DecodeU32(stack[2])
	msg := guestBytes(mod, abi.ImportLog, ptr, n)
	name := "level(" + strconv.Itoa(int(level)) + ")"
	if level >= 0 && int(level) < len(levelNames) {
		name = levelNames[level]
	}
	line := make([]byte, 0, len(name)+2+len(msg)+1)
	line = append(append(append(line, name...), ": "...), msg...)
	line = append(line, '\n')
	taskFrom(ctx).logs.Write(line)
}

// progress is nexus_v1.progress(done, total i64): the latest progress of
// the task, reported in its record and events.
func progress(ctx context.Context, _ api.Module, stack []uint64) {
	taskFrom(ctx).progress = [2]int64{int64(stack[0]), int64(stack[1])}
}
