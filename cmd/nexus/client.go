package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// client talks to a NexusTask server's HTTP API.
type client struct {
	base string
	http *http.Client
}

func newClient(server string) (*client, error) {
	if !strings.Contains(server, "://") {
		server = "http://" + server
	}
	u, err := url.Parse(server)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("--server %q is not a URL", server)
	}
	return &client{base: strings.TrimRight(u.String(), "/"), http: &http.Client{Timeout: 0}}, nil
}

// apiError is an error response from the server.
type apiError struct {
	Status   int
	Code     string `json:"code"`
	Message  string `json:"message"`
	TaskID   string `json:"task_id"`
	ExitCode *int   `json:"exit_code"`
	Logs     string `json:"logs"`
}

func (e *apiError) Error() string {
	s := fmt.Sprintf("%s (%d): %s", e.Code, e.Status, e.Message)
	if e.TaskID != "" {
		s += " [task " + e.TaskID + "]"
	}
	if e.Logs != "" {
		s += "\nlogs:\n" + strings.TrimRight(e.Logs, "\n")
	}
	return s
}

// exitCode maps an error to the CLI's exit status: 1 for request and
// server errors, 2 for a failed task, 3 when the server is unreachable.
func exitCode(err error) int {
	var ae *apiError
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

// do sends a request and returns the response body, or an *apiError for a
// status of 400 or more.
func (c *client) do(method, path string, query url.Values, contentType string, body io.Reader) (*http.Response, []byte, error) {
	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		return nil, nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp, nil, err
	}
	if resp.StatusCode >= 400 {
		var eb struct {
			Error apiError `json:"error"`
		}
		if json.Unmarshal(data, &eb) != nil || eb.Error.Code == "" {
			eb.Error = apiError{Code: "http_error", Message: strings.TrimSpace(string(data))}
		}
		eb.Error.Status = resp.StatusCode
		return resp, nil, &eb.Error
	}
	return resp, data, nil
}

// getJSON decodes the JSON response of a GET into v.
func (c *client) getJSON(path string, v any) error {
	_, data, err := c.do(http.MethodGet, path, nil, "", nil)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

// moduleVersion mirrors the server's module version JSON.
type moduleVersion struct {
	Name      string    `json:"name"`
	Version   int       `json:"version"`
	Digest    string    `json:"digest"`
	Size      int64     `json:"size"`
	Profile   string    `json:"profile"`
	Exports   []string  `json:"exports"`
	CreatedAt time.Time `json:"created_at"`
}

// readInput reads path, or stdin when path is "-".
func readInput(path string, stdin io.Reader) ([]byte, error) {
	if path == "-" {
		return io.ReadAll(stdin)
	}
	return os.ReadFile(path)
}
