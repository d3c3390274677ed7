package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/nexustask/nexus/client"
	"github.com/spf13/cobra"
)

// apiClient is the API client of --server, with its base URL and HTTP
// client for requests outside the API (a backup download).
type apiClient struct {
	*client.Client
	base string
	http *http.Client
}

// newClient returns the API client of the server at --server; a bare
// host:port means http.
func newClient(server string) (*apiClient, error) {
	if !strings.Contains(server, "://") {
		server = "http://" + server
	}
	u, err := url.Parse(server)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("--server %q is not a URL", server)
	}
	base := strings.TrimRight(u.String(), "/")
	hc := &http.Client{}
	c, err := client.New(base, client.WithHTTPClient(hc))
	if err != nil {
		return nil, fmt.Errorf("--server %q is not a URL", server)
	}
	return &apiClient{Client: c, base: base, http: hc}, nil
}

// taskError is an API error as the CLI prints it: with the task's logs and
// the end of its output.
type taskError struct{ err *client.Error }

func (e taskError) Error() string {
	s := e.err.Error()
	if e.err.Logs != "" {
		s += "\nlogs:\n" + strings.TrimRight(e.err.Logs, "\n")
	}
	if e.err.Output != "" {
		head := "output:"
		if e.err.OutputTruncated {
			head = "output (its last 4 KiB):"
		}
		s += "\n" + head + "\n" + strings.TrimRight(e.err.Output, "\n")
	}
	return s
}

func (e taskError) Unwrap() error { return e.err }

// withLogs makes cmd and its subcommands report an API error with the
// task's logs.
func withLogs(cmd *cobra.Command) *cobra.Command {
	if run := cmd.RunE; run != nil {
		cmd.RunE = func(cmd *cobra.Command, args []string) error {
			err := run(cmd, args)
			var ae *client.Error
			var pe printedError
			if errors.As(err, &ae) && !errors.As(err, &pe) {
				return taskError{ae}
			}
			return err
		}
	}
	for _, sub := range cmd.Commands() {
		withLogs(sub)
	}
	return cmd
}

// Exit statuses of the CLI; README's "Exit status" table lists them.
const (
	exitRequest     = 1 // a request or server error, or bad usage
	exitTaskFailed  = 2 // the task failed (other than a guest's own exit code)
	exitUnreachable = 3 // the server could not be reached
)

// guestExit is a failed invocation whose wasi-command guest exited with a
// code the CLI passes on as its own exit status.
type guestExit struct {
	error
	code int
}

func (e guestExit) Unwrap() error { return e.error }

// withGuestExit wraps err in a guestExit when it is an exit_nonzero task
// failure with an exit code a process can report (1 to 255); a larger code
// would be truncated, to 0 at worst, so it stays a failed task.
func withGuestExit(err error) error {
	var ae *client.Error
	if !errors.As(err, &ae) || ae.Code != client.CodeExitNonzero || ae.ExitCode == nil {
		return err
	}
	if code := *ae.ExitCode; code >= 1 && code <= 255 {
		return guestExit{err, int(code)}
	}
	return err
}

// exitCode maps an error to the CLI's exit status: a guest's exit code for
// an invocation whose guest exited non-zero, 1 for request and server
// errors, 2 for another failed task, 3 when the server is unreachable.
func exitCode(err error) int {
	var ge guestExit
	if errors.As(err, &ge) {
		return ge.code
	}
	var ae *client.Error
	if errors.As(err, &ae) {
		if ae.Status == http.StatusUnprocessableEntity {
			return exitTaskFailed
		}
		return exitRequest
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return exitUnreachable
	}
	return exitRequest
}

// printRaw prints the server's JSON, ending it with a newline.

// readInput reads path, or stdin when path is "-".
func readInput(path string, stdin io.Reader) ([]byte, error) {
	if path == "-" {
		return io.ReadAll(stdin)
	}
	return os.ReadFile(path)
}
