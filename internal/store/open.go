package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Errors returned by OpenWith for a file it will not use.
var (
	// ErrDamaged means the database file is damaged: its structure does
	// not hold together, or it is empty. The error names the file and
	// what to do.
	ErrDamaged = errors.New("store: database file is damaged")
	// ErrNoDatabase means the data directory holds data but no database
	// file: creating an empty one there could hide the loss of every
	// task and module. Options.Init allows it.
	ErrNoDatabase = errors.New("store: no database in a data directory that holds data")
)

// errWouldBlock is a lock another process holds past the timeout.
var errWouldBlock = errors.New("lock held")

// Options configure OpenWith. The zero value opens the database read-write,
// creating it in an empty or new directory, and waits for the lock as long
// as it takes.
type Options struct {
	// Timeout is how long to wait for another process's lock before
	// failing with ErrLocked; 0 waits as long as it takes.
	Timeout time.Duration
	// Init allows a fresh, empty database where one would otherwise be
	// refused: where the directory holds other data but no nexus.db
	// (ErrNoDatabase), or where nexus.db is empty, 0 bytes (ErrDamaged).
	// An empty file is kept aside as nexus.db.empty-TIME, never deleted.
	// A file with content is never replaced, Init or not. It is the
	// server's --init flag.
	Init bool
	// ReadOnly opens an existing database for reading only, beside other
	// readers; a writer holds it exclusively. Nothing is created, the
	// schema is not upgraded, and writes fail.
	ReadOnly bool
}

// damagedError is ErrDamaged with the file, the reason and the way out.
type damagedError struct {
	path   string
	reason error
	hint   string
}

func (e *damagedError) Error() string {
	return fmt.Sprintf("store: %s is damaged (%v): %s", e.path, e.reason, e.hint)
}

func (e *damagedError) Is(target error) bool { return target == ErrDamaged }
func (e *damagedError) Unwrap() error        { return e.reason }

const restoreHint = "restore a backup with 'nexus store restore', or inspect it with 'nexus store check'"

func damaged(path string, reason error) error {
	return &damagedError{path: path, reason: reason, hint: restoreHint}
}

// Open opens (creating if needed) the database in dir with the default
// Options and the given lock timeout. See OpenWith.
func Open(dir string, timeout time.Duration) (*DB, error) {
	return OpenWith(dir, Options{Timeout: timeout})
}

// OpenWith opens the database in dir. It creates one only in an empty or
// new directory (or with o.Init), and fails with ErrLocked if another
// process holds it past o.Timeout.
//
// Before bbolt maps the file, OpenWith reads it and checks its structure:
// a file cut short, a damaged page or a page number out of range fails
// with an error matching ErrDamaged that names the file and what to do,
// where bbolt would crash the process or panic. The check reads every
// page in use once. A panic from bbolt while opening is turned into the
// same error.
func OpenWith(dir string, o Options) (*DB, error) {
	path := filepath.Join(dir, FileName)
	if err := prepare(dir, path, o); err != nil {
		return nil, err
	}
	return openPath(path, o)
}

// openPath opens the database file path: locked, verified, then mapped.
func openPath(path string, o Options) (*DB, error) {
	flag := os.O_RDWR | os.O_CREATE
	if o.ReadOnly {
		flag = os.O_RDONLY
	}
	f, err := os.OpenFile(path, flag, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if err := lockFile(f, !o.ReadOnly, o.Timeout); err != nil {
		f.Close()
		if errors.Is(err, errWouldBlock) {
			return nil, fmt.Errorf("%w: %s", ErrLocked, path)
		}
		return nil, fmt.Errorf("store: lock %s: %w", path, err)
	}
	if st, err := f.Stat(); err != nil {
		f.Close()
		return nil, fmt.Errorf("store: %w", err)
	} else if st.Size() > 0 || o.ReadOnly {
		if err := verifyReader(f, st.Size()); err != nil {
			f.Close()
			return nil, damaged(path, err)
		}
	}
	db := &DB{path: path, readOnly: o.ReadOnly}
	err = guard(func() error {
		b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: o.Timeout, ReadOnly: o.ReadOnly,
			OpenFile: func(string, int, os.FileMode) (*os.File, error) { return f, nil }})
		if err != nil {
			return err
		}
		db.bolt = b
		return db.init()
	})
	if err != nil {
		if db.bolt != nil {
			db.bolt.Close()
		}
		f.Close()
		if errors.Is(err, ErrSchemaTooNew) {
			return nil, err
		}
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("%w: %s", ErrLocked, path)
		}
		return nil, damaged(path, err)
	}
	return db, nil
}

// prepare refuses to let a fresh database replace data: a missing file in
// a directory with other content, or an empty file. With o.Init an empty
// file is moved aside.
func prepare(dir, path string, o Options) error {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if o.ReadOnly {
			return fmt.Errorf("store: %w", err)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("store: %w", err)
		}
		others, err := otherContent(dir)
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		if len(others) > 0 && !o.Init {
			return fmt.Errorf("%w: %s is missing but %s holds %v: restore a backup with 'nexus store restore', or start with --init to create an empty database",
				ErrNoDatabase, path, dir, others)
		}
		return nil
	case err != nil:
		return fmt.Errorf("store: %w", err)
	case st.Size() > 0:
		return nil
	case !o.Init || o.ReadOnly:
		return &damagedError{path: path, reason: errors.New("the file is empty (0 bytes)"),
			hint: "restore a backup with 'nexus store restore', or start with --init to create an empty database (the empty file is kept aside)"}
	}
	aside := fmt.Sprintf("%s.empty-%s", path, time.Now().UTC().Format("20060102T150405.000000000Z"))
	if err := os.Rename(path, aside); err != nil {
		return fmt.Errorf("store: keeping the empty database aside: %w", err)
	}
	return syncDir(dir)
}

// otherContent lists the directory's entries other than the database
// file, sorted, at most five.
func otherContent(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range ents {
		if e.Name() != FileName {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	return names[:min(len(names), 5)], nil
}

// guard runs fn, turning a panic into an error, and a memory fault into a
// panic first (debug.SetPanicOnFault): a damaged file must not take the
// process down with it. It covers only the calling goroutine.
func guard(fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("bbolt: %v", r)
		}
	}()
	return fn()
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
