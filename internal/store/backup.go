package store

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Backup writes a consistent copy of the whole database file to w, as of
// one read transaction, and returns the bytes written. Writers go on
// meanwhile; the copy is a bbolt file that Restore (or OpenWith, once it
// is named nexus.db in a data directory) takes as it is. It is safe for
// concurrent use.
func (db *DB) Backup(w io.Writer) (int64, error) {
	var n int64
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("store: backup: %w", err)
	}
	return n, nil
}

// Restore makes the backup file src the database in dir. It copies src
// into dir, checks the copy (its structure read as OpenWith does, then
// Check, read-only) and refuses a damaged one with an error matching
// ErrDamaged. It refuses with ErrLocked while another process (a running
// server) holds the database, after waiting up to timeout. The current
// file, if any, is kept as nexus.db.before-restore-TIME, whose path it
// returns; the copy is synced and renamed into place, and the directory
// synced, so that a crash leaves either the old file or the new one.
func Restore(dir, src string, timeout time.Duration) (aside string, err error) {
	path := filepath.Join(dir, FileName)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("store: %w", err)
	}
	tmp, err := copyToTemp(dir, src)
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	if err := CheckFile(tmp, time.Second); err != nil {
		return "", fmt.Errorf("store: %s is not a usable backup: %w", src, err)
	}
	cur, err := os.OpenFile(path, os.O_RDWR, 0)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return "", fmt.Errorf("store: %w", err)
	default:
		defer cur.Close() // holds the lock until the new file is in place
		if err := lockFile(cur, true, timeout); err != nil {
			if errors.Is(err, errWouldBlock) {
				return "", fmt.Errorf("%w: %s: stop the server before restoring", ErrLocked, path)
			}
			return "", fmt.Errorf("store: lock %s: %w", path, err)
		}
		aside = fmt.Sprintf("%s.before-restore-%s", path, time.Now().UTC().Format("20060102T150405.000000000Z"))
		if err := os.Rename(path, aside); err != nil {
			return "", fmt.Errorf("store: keeping the current database aside: %w", err)
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		return aside, fmt.Errorf("store: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return aside, fmt.Errorf("store: %w", err)
	}
	return aside, nil
}

// copyToTemp copies src to a synced temporary file in dir.
func copyToTemp(dir, src string) (string, error) {
	in, err := os.Open(src)
	if err != nil {
		return "", fmt.Errorf("store: %w", err)
	}
	defer in.Close()
	out, err := os.CreateTemp(dir, "."+FileName+".restore-*")
	if err != nil {
		return "", fmt.Errorf("store: %w", err)
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(out.Name())
		return "", fmt.Errorf("store: copying %s: %w", src, err)
	}
	return out.Name(), nil
}

// CheckFile checks the database file at path, read-only, without
// creating or changing anything: its structure as OpenWith reads it, then
// Check. A damaged file is an error matching ErrDamaged that lists the
// problems. It never crashes on a damaged file. Another process may have
// the file open for writing only if it is not locked (a running server
// locks it: ErrLocked).
func CheckFile(path string, timeout time.Duration) error {
	db, err := openPath(path, Options{ReadOnly: true, Timeout: timeout})
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Check(); err != nil {
		return &damagedError{path: path, reason: err, hint: restoreHint}
	}
	return nil
}
