package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// With -nexus-bin the servers run in processes of their own, as they are
// deployed, and this process only generates the load: NexusTask is the
// nexus binary (`nexus serve`, with its own GC target and GOMAXPROCS), the
// references (plain Echo and Extism) a child of this program started with
// -serve-refs, with Go's defaults.

// startNexusProc starts `cfg.nexusBin serve` on a new 127.0.0.1 port with
// its data in a temporary directory and the request log and ready pool of
// cfg (with --no-snapshots and --no-reset as o says), waits until it is ready and
// returns its base URL: startNexus's counterpart in a process of its own.
func (s *servers) startNexusProc(ctx context.Context, o nexusOpts, cfg config) (string, error) {
	bin := cfg.nexusBin
	dir, err := os.MkdirTemp("", "nexus-loadgen-")
	if err != nil {
		return "", err
	}
	s.closers = append(s.closers, func() error { return os.RemoveAll(dir) })
	args := []string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dir, "--log-format", "json",
		"--request-log", cfg.requestLog, "--ready-instances", fmt.Sprint(cfg.ready)}
	if !o.snapshots {
		args = append(args, "--no-snapshots")
	}
	if !o.reset {
		args = append(args, "--no-reset")
	}
	cmd := exec.Command(bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return "", err
	}
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("start %s: %w", bin, err)
	}
	s.closers = append(s.closers, func() error { return stopChild(cmd, syscall.SIGTERM) })
	addr, err := listeningAddr(stderr)
	if err != nil {
		return "", fmt.Errorf("%s serve: %w", bin, err)
	}
	go io.Copy(io.Discard, stderr) // the rest of its log
	url := "http://" + addr
	return url, waitReady(ctx, url+"/readyz")
}

// listeningAddr reads nexus serve's JSON log up to its "listening" line
// and returns the address there.
func listeningAddr(r io.Reader) (string, error) {
	sc := bufio.NewScanner(r)
	var lines []string
	for sc.Scan() {
		var rec struct{ Msg, Addr string }
		if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "listening" && rec.Addr != "" {
			return rec.Addr, nil
		}
		lines = append(lines, sc.Text())
	}
	return "", fmt.Errorf("exited before listening: %s", strings.Join(lines, "\n"))
}

// waitReady polls url until it answers 200.
func waitReady(ctx context.Context, url string) error {
	for deadline := time.Now().Add(30 * time.Second); ; {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after 30s", url)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// startRefsProc starts this program with -serve-refs and returns the base
// URLs of the plain Echo server and the Extism server it runs.
func (s *servers) startRefsProc(cfg config) (baseline, extism string, err error) {
	self, err := os.Executable()
	if err != nil {
		return "", "", err
	}
	cmd := exec.Command(self, "-serve-refs", "-extism-wasm", cfg.extismWasm, "-conns", fmt.Sprint(cfg.conns))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return "", "", err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", "", err
	}
	if err := cmd.Start(); err != nil {
		return "", "", err
	}
	s.closers = append(s.closers, func() error {
		stdin.Close() // -serve-refs returns when its stdin ends
		return stopChild(cmd, 0)
	})
	sc := bufio.NewScanner(stdout)
	for (baseline == "" || extism == "") && sc.Scan() {
		name, url, _ := strings.Cut(sc.Text(), " ")
		switch name {
		case targetBaseline:
			baseline = url
		case targetExtism:
			extism = url
		}
	}
	if baseline == "" || extism == "" {
		return "", "", errors.New("-serve-refs child exited without serving")
	}
	return baseline, extism, nil
}

// stopChild sends sig (none if 0) and waits up to 10 s for cmd to exit,
// then kills it.
func stopChild(cmd *exec.Cmd, sig syscall.Signal) error {
	if sig != 0 {
		cmd.Process.Signal(sig)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		return <-done
	}
}

// serveRefs is -serve-refs: it serves the plain Echo and the Extism
// references, prints "NAME URL" for each, and serves until stdin ends.
func serveRefs(ctx context.Context, cfg config, w io.Writer) error {
	s := &servers{}
	defer s.close()
	if err := s.startRefs(ctx, cfg); err != nil {
		return err
	}
	fmt.Fprintf(w, "%s %s\n%s %s\n", targetBaseline, s.baselineURL, targetExtism, s.extismURL)
	io.Copy(io.Discard, os.Stdin)
	return nil
}
