package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Server runs cases on a live NexusTask server over its HTTP API.
type Server struct {
	base   string
	client *http.Client
}

// NewServer returns a target for the server at base (e.g.
// http://127.0.0.1:8080). Loading uploads modules to it.
func NewServer(base string, client *http.Client) *Server {
	if client == nil {
		client = http.DefaultClient
	}
	return &Server{base: strings.TrimRight(base, "/"), client: client}
}

// Name implements Target.
func (s *Server) Name() string { return "a live server" }

// Load implements Target: it uploads wasm as module name.
func (s *Server) Load(ctx context.Context, name string, wasm []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.base+"/v1/modules/"+url.PathEscape(name), bytes.NewReader(wasm))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/wasm")
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		return fmt.Errorf("conformance: upload %s: %d %s", name, resp.StatusCode, body)
	}
	return nil
}

// Run implements Target.
func (s *Server) Run(ctx context.Context, name string, input []byte, c *Case) (Outcome, error) {
	q := url.Values{}
	if c.Limits.Fuel > 0 {
		q.Set("fuel", strconv.FormatInt(c.Limits.Fuel, 10))
	}
	if c.Limits.MemoryBytes > 0 {
		q.Set("memory", strconv.FormatInt(c.Limits.MemoryBytes, 10))
	}
	if c.Limits.TimeoutMS > 0 {
		q.Set("timeout", strconv.FormatInt(c.Limits.TimeoutMS, 10))
	}
	for k, v := range c.Config {
		q.Add("config", k+"="+v)
	}
	u := s.base + "/v1/modules/" + url.PathEscape(name) + "/invoke?" + q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(input))
	if err != nil {
		return Outcome{}, err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return Outcome{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return Outcome{}, err
	}
	o := Outcome{}
	if p := resp.Header.Get("X-Nexus-Progress"); p != "" {
		if _, err := fmt.Sscanf(p, "%d/%d", &o.Progress[0], &o.Progress[1]); err == nil {
			o.HasProgress = true
		}
	}
	if resp.StatusCode == http.StatusOK {
		o.Output = body
		return o, nil
	}
	var eb struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Logs    string `json:"logs"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &eb); err != nil || eb.Error.Code == "" {
		return Outcome{}, fmt.Errorf("conformance: %s: %d %q", name, resp.StatusCode, body)
	}
	o.Code, o.Message, o.Logs, o.HasLogs = eb.Error.Code, eb.Error.Message, eb.Error.Logs, true
	return o, nil
}

// Close implements Target.
func (s *Server) Close() error {
	s.client.CloseIdleConnections()
	return nil
}
