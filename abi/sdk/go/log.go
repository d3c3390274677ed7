//go:build wasip1

package nexus

import "fmt"

// Log writes one line to the task's logs at level. Logs are bounded and
// rate-limited by the host: lines past the limits are dropped, and logging
// never fails the task.
func Log(level Level, msg string) { logLine(int32(level), stringPtr(msg), uint32(len(msg))) }

// Logf formats like fmt.Sprintf and logs the result at level.
func Logf(level Level, format string, args ...any) { Log(level, fmt.Sprintf(format, args...)) }

// Debug logs msg at LevelDebug.
func Debug(msg string) { Log(LevelDebug, msg) }

// Info logs msg at LevelInfo.
func Info(msg string) { Log(LevelInfo, msg) }

// Warn logs msg at LevelWarn.
func Warn(msg string) { Log(LevelWarn, msg) }

// Error logs msg at LevelError. It does not fail the task: return an error
// from the task function for that.
func Error(msg string) { Log(LevelError, msg) }

// Progress reports that done of total units of work are complete. The host
// shows the last report in the task's record, its events, the CLI and the
// dashboard.
func Progress(done, total int64) { progress(done, total) }
