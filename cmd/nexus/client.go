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

// taskError is an API error as the CLI prints it: with the task's logs.
type taskError struct{ err *client.Error }

func (e taskError) Error() string {
	s := e.err.Error()
	if e.err.Logs != "" {
		s += "\nlogs:\n" + strings.TrimRight(e.err.Logs, "\n")
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
			if errors.As(err, &ae) {
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

// exitCode maps an error to the CLI's exit status: 1 for request and
// server errors, 2 for a failed task, 3 when the server is unreachable.
func exitCode(err error) int {
	var ae *client.Error
	if errors.As(err, &ae) {
		if ae.Status == http.StatusUnprocessableEntity {
			return 2
		}
		return 1
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return 3
	}
	return 1
}

// printRaw prints the server's JSON, ending it with a newline.
func printRaw(w io.Writer, data []byte) error {
	_, err := w.Write(data)
	if len(data) > 0 && data[len(data)-1] != '\n' {
		fmt.Fprintln(w)
	}
	return err
}

// readInput reads path, or stdin when path is "-".
func readInput(path string, stdin io.Reader) ([]byte, error) {
	if path == "-" {
		return io.ReadAll(stdin)
	}
	return os.ReadFile(path)
}
