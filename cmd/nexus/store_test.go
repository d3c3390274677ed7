package main_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nexustask/nexus/internal/store"
	"github.com/nexustask/nexus/internal/tasks"
)

// storeCLI runs nexus with args and env, and returns its output and exit
// code.
func storeCLI(t *testing.T, env []string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(nexusBin, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return string(out), ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return string(out), 0
}

// TestStoreCLI drives nexus store check, backup and restore on a data
// directory, damaged and whole, and backup through a server's backup
// endpoint while the database is locked.
func TestStoreCLI(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(dir, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	rec := tasks.Record{ID: "t1", Module: "m", State: tasks.Succeeded, Output: []byte("kept")}
	if err := db.CommitTasks([]tasks.Write{{Rec: &rec}}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	path := filepath.Join(dir, store.FileName)

	if out, code := storeCLI(t, nil, "store", "check", "--data-dir", dir); code != 0 || !strings.Contains(out, "ok: "+path) {
		t.Fatalf("check: %d %s", code, out)
	}
	backup := filepath.Join(t.TempDir(), "backup.db")
	if out, code := storeCLI(t, nil, "store", "backup", backup, "--data-dir", dir); code != 0 || !strings.Contains(out, "checked") {
		t.Fatalf("backup: %d %s", code, out)
	}

	st, _ := os.Stat(path)
	if err := os.Truncate(path, st.Size()/2); err != nil {
		t.Fatal(err)
	}
	out, code := storeCLI(t, nil, "store", "check", "--data-dir", dir)
	if code == 0 || !strings.Contains(out, "damaged: "+path) || !strings.Contains(out, "cut short") || strings.Contains(out, "goroutine") {
		t.Fatalf("check of a truncated file: %d %s", code, out)
	}
	if out, code := storeCLI(t, nil, "store", "check", "--data-dir", t.TempDir()); code == 0 {
		t.Fatalf("check of a directory without a database: %s", out)
	}

	if out, code := storeCLI(t, nil, "store", "restore", backup, "--data-dir", dir); code != 0 || !strings.Contains(out, "before-restore-") {
		t.Fatalf("restore: %d %s", code, out)
	}
	if out, code := storeCLI(t, nil, "store", "check", "--data-dir", dir); code != 0 {
		t.Fatalf("check after restore: %d %s", code, out)
	}

	// With the database held (as a running server holds it), restore is
	// refused and backup asks the server.
	db, err = store.Open(dir, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if r, _, err := db.Task("t1"); err != nil || string(r.Output) != "kept" {
		t.Fatalf("restored task: %+v %v", r, err)
	}
	if out, code := storeCLI(t, nil, "store", "restore", backup, "--data-dir", dir); code == 0 || !strings.Contains(out, "stop the server") {
		t.Fatalf("restore over a held database: %d %s", code, out)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/v1/admin/backup" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		db.Backup(w)
	}))
	defer srv.Close()
	online := filepath.Join(t.TempDir(), "online.db")
	if out, code := storeCLI(t, []string{"NEXUS_SERVER=" + srv.URL}, "store", "backup", online, "--data-dir", dir); code != 0 || !strings.Contains(out, srv.URL+"/v1/admin/backup") {
		t.Fatalf("backup through the server: %d %s", code, out)
	}
	if err := store.CheckFile(online, time.Second); err != nil {
		t.Fatal(err)
	}
}
