//go:build unix

package store

import (
	"errors"
	"os"
	"syscall"
	"time"
)

// lockPoll is how often lockFile tries again while another process holds
// the lock, as bbolt does.
const lockPoll = 50 * time.Millisecond

// lockFile takes the lock bbolt takes (flock: exclusive for a writer,
// shared for a reader) on f, waiting up to timeout (0: as long as it
// takes). It fails with errWouldBlock when the time is up. bbolt takes the
// same lock on the same file description again, which succeeds.
func lockFile(f *os.File, exclusive bool, timeout time.Duration) error {
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	if timeout == 0 {
		return syscall.Flock(int(f.Fd()), how)
	}
	deadline := time.Now().Add(timeout)
	for {
		err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return err
		}
		if time.Now().After(deadline) {
			return errWouldBlock
		}
		time.Sleep(lockPoll)
	}
}
