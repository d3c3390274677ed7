package host

import (
	"context"

	"github.com/tetratelabs/wazero/api"
)

// progress is nexus_v1.progress(done, total i64): the latest progress of
// the task, reported in its record, events and the X-Nexus-Progress header.
// Only the last report is kept, so a chatty guest costs nothing more.
func progress(ctx context.Context, _ api.Module, stack []uint64) {
	t := taskFrom(ctx)
	t.progress = [2]int64{int64(stack[0]), int64(stack[1])}
	if t.onProgress != nil {
		t.onProgress(t.progress[0], t.progress[1])
	}
}
