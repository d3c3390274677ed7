package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nexustask/nexus/internal/store"
	"github.com/spf13/cobra"
)

// backupPath is the server's endpoint that streams a consistent copy of
// its database: GET, 200 with Content-Type application/octet-stream and
// the bbolt file as the body.
const backupPath = "/v1/admin/backup"

// storeLockWait is how long the store commands wait for a data
// directory's lock before deciding a server holds it.
const storeLockWait = 500 * time.Millisecond

func newStoreCmd() *cobra.Command {
	var dataDir string
	cmd := &cobra.Command{
		Use:   "store",
		Short: "Check, back up and restore the database",
		Long: `Check, back up and restore the bbolt database (nexus.db) in --data-dir.

check and restore work on a stopped server's data directory. backup works on
one too, or asks a running server (--server, or when the database is locked)
for a consistent copy.`,
	}
	cmd.PersistentFlags().StringVar(&dataDir, "data-dir", envOr("NEXUS_DATA_DIR", "./nexus-data"), "data directory (env NEXUS_DATA_DIR)")
	cmd.AddCommand(newStoreCheckCmd(&dataDir), newStoreBackupCmd(&dataDir), newStoreRestoreCmd(&dataDir))
	return cmd
}

func newStoreCheckCmd(dataDir *string) *cobra.Command {
	return &cobra.Command{
		Use:   "check",
		Short: "Check the database: its structure, then every record's checksum",
		Long: `Check the database read-only: its pages as bbolt would map them, bbolt's
consistency check, then every task record, blob, checkpoint, schedule, run and
kv value against its checksum, then every stored bundle version's tree of
files against its manifest (each file's size and SHA-256). Prints every
problem found and exits 1 if there is any. A server running on the directory locks the database: stop it first.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path := filepath.Join(*dataDir, store.FileName)
			err := store.CheckFile(path, storeLockWait)
			if err == nil {
				err = checkBundles(cmd.OutOrStdout(), *dataDir)
			}
			out := cmd.OutOrStdout()
			switch {
			case err == nil:
				fmt.Fprintf(out, "ok: %s\n", path)
				return nil
			case errors.Is(err, store.ErrLocked):
				return fmt.Errorf("%w: a server is running on %s; stop it to check the database", err, *dataDir)
			case errors.Is(err, store.ErrDamaged):
				fmt.Fprintf(out, "damaged: %s\n%s\n", path, err)
				return fmt.Errorf("%s is damaged", path)
			}
			return err
		},
	}
}

func newStoreBackupCmd(dataDir *string) *cobra.Command {
	var server string
	cmd := &cobra.Command{
		Use:   "backup FILE",
		Short: "Write a consistent copy of the database to FILE",
		Long: `Write a consistent copy of the database to FILE, then check the copy.

With the server stopped it reads nexus.db in --data-dir. With --server, or when
a running server holds the database, it asks the server (GET ` + backupPath + `).
FILE is written beside itself and renamed into place once complete.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			from, err := backup(cmd, *dataDir, server, args[0])
			if err != nil {
				return err
			}
			st, err := os.Stat(args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "backed up %s to %s (%d bytes, checked)\n", from, args[0], st.Size())
			return nil
		},
	}
	addServerFlag(cmd, &server)
	return cmd
}

// backup writes the copy to file, from the data directory or, if asked or
// if it is locked, from the server; it returns where the copy came from.
func backup(cmd *cobra.Command, dataDir, server, file string) (string, error) {
	if !cmd.Flags().Changed("server") {
		db, err := store.OpenWith(dataDir, store.Options{ReadOnly: true, Timeout: storeLockWait})
		if err == nil {
			defer db.Close()
			return db.Path(), writeChecked(file, func(w io.Writer) error {
				_, err := db.Backup(w)
				return err
			})
		}
		if !errors.Is(err, store.ErrLocked) {
			return "", err
		}
	}
	c, err := newClient(server)
	if err != nil {
		return "", err
	}
	u := c.base + backupPath
	return u, writeChecked(file, func(w io.Writer) error { return download(c.http, u, w) })
}

// download copies the body of GET u to w.
func download(hc *http.Client, u string, w io.Writer) error {
	resp, err := hc.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		return fmt.Errorf("GET %s: %s: %s", u, resp.Status, strings.TrimSpace(string(msg)))
	}
	_, err = io.Copy(w, resp.Body)
	return err
}

// writeChecked writes file through a synced temporary beside it, checks
// the copy is a sound database, then renames it into place.
func writeChecked(file string, write func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	err = write(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = store.CheckFile(tmp, storeLockWait)
	}
	if err == nil {
		err = os.Rename(tmp, file)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

func newStoreRestoreCmd(dataDir *string) *cobra.Command {
	return &cobra.Command{
		Use:   "restore FILE",
		Short: "Make the backup FILE the database of --data-dir (server stopped)",
		Long: `Make the backup FILE the database of --data-dir. FILE is checked first; a
damaged one is refused. The server must be stopped: a locked database is
refused. The current nexus.db is kept as nexus.db.before-restore-TIME.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			aside, err := store.Restore(*dataDir, args[0], storeLockWait)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "restored %s into %s\n", args[0], *dataDir)
			if aside != "" {
				fmt.Fprintf(cmd.OutOrStdout(), "the previous database is kept as %s\n", aside)
			}
			return nil
		},
	}
}
