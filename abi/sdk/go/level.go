package nexus

import (
	"strconv"

	"github.com/nexustask/nexus/abi"
)

// Level is the severity of a log line.
type Level int32

// Log levels of the log import. The host logs other values as "level(N)".
const (
	LevelDebug Level = Level(abi.LogDebug)
	LevelInfo  Level = Level(abi.LogInfo)
	LevelWarn  Level = Level(abi.LogWarn)
	LevelError Level = Level(abi.LogError)
)

// String returns "debug", "info", "warn", "error" or "level(N)", as the
// host writes it.
func (l Level) String() string {
	switch l {
	case LevelDebug:
		return "debug"
	case LevelInfo:
		return "info"
	case LevelWarn:
		return "warn"
	case LevelError:
		return "error"
	}
	return "level(" + strconv.Itoa(int(l)) + ")"
}
