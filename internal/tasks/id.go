package tasks

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"time"
)

// NewID returns a new task id: 32 hex digits, the first 12 the creation
// time in milliseconds, so ids sort by creation time; the rest random.
// It is safe for concurrent use.
func NewID() string { return newID(time.Now()) }

// newID is NewID made at now.
func newID(now time.Time) string {
	var b [16]byte
	ms := uint64(now.UnixMilli())
	binary.BigEndian.PutUint64(b[:8], ms<<16)
	rand.Read(b[6:])
	return hex.EncodeToString(b[:])
}
