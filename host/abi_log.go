package host

import (
	"context"
	"strconv"
	"time"

	"github.com/nexustask/nexus/abi"
	"github.com/tetratelabs/wazero/api"
)

var levelNames = [...]string{"debug", "info", "warn", "error"}

// Log rate limit: a task may log logBurst lines at once and logRate lines
// per second of run time after that.
const (
	logBurst = 1000
	logRate  = 1000
)

// logLimiter is a token bucket over a task's log lines.
type logLimiter struct {
	tokens  float64
	last    time.Time
	dropped int64
}

// allow takes a token if one is left at now.
func (l *logLimiter) allow(now time.Time) bool {
	if l.last.IsZero() {
		l.tokens = logBurst
	} else {
		l.tokens = min(logBurst, l.tokens+now.Sub(l.last).Seconds()*logRate)
	}
	l.last = now
	if l.tokens < 1 {
		l.dropped++
		return false
	}
	l.tokens--
	return true
}

// logLine is nexus_v1.log(level, ptr, len i32). It appends one line
// "level: message" to the task's logs, which are bounded (past the log cap
// lines are dropped) and rate-limited (lines over the rate are dropped and
// counted in a final marker); the task goes on either way. An unknown level
// is logged as "level(N)". Out-of-range memory traps.
func logLine(ctx context.Context, mod api.Module, stack []uint64) {
	level := api.DecodeI32(stack[0])
	ptr, n := api.DecodeU32(stack[1]), api.DecodeU32(stack[2])
	msg := guestBytes(mod, abi.ImportLog, ptr, n)
	t := taskFrom(ctx)
	if !t.logRate.allow(time.Now()) {
		return
	}
	name := "level(" + strconv.Itoa(int(level)) + ")"
	if level >= 0 && int(level) < len(levelNames) {
		name = levelNames[level]
	}
	line := make([]byte, 0, len(name)+2+len(msg)+1)
	line = append(append(append(line, name...), ": "...), msg...)
	line = append(line, '\n')
	t.logs.Write(line)
}

// finishLogs appends the dropped-lines marker, if any line was dropped.
func (t *task) finishLogs() {
	if d := t.logRate.dropped; d > 0 {
		t.logs.mu.Lock()
		t.logs.buf = append(t.logs.buf, "["+strconv.FormatInt(d, 10)+" log lines dropped]\n"...)
		t.logs.mu.Unlock()
	}
}
