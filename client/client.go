package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// DefaultUserAgent is the User-Agent of a Client made without
// WithUserAgent.
const DefaultUserAgent = "nexus-client-go/1"

// Client talks to one NexusTask server. It is safe for concurrent use; its
// configuration does not change after New.
type Client struct {
	base      string // scheme://host[:port][/prefix], without a trailing slash
	hc        *http.Client
	header    http.Header
	userAgent string
	// decode decodes response bodies: json.Unmarshal, or a strict decoder
	// that refuses unknown fields (see withStrictDecoding).
	decode func([]byte, any) error
}

// Option configures a Client in New.
type Option func(*Client)

// WithHTTPClient makes the Client send its requests through hc (its
// transport, timeouts, cookie jar). By default it uses a client of its own
// with no overall timeout: the contexts of the calls bound them, so a
// long-poll for a task's result is not cut short.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.hc = hc
		}
	}
}

// WithHeader adds a header to every request, e.g. an Authorization header
// for a proxy in front of the server. It may be given several times.
func WithHeader(key, value string) Option {
	return func(c *Client) { c.header.Add(key, value) }
}

// WithUserAgent sets the User-Agent of every request (DefaultUserAgent
// otherwise).
func WithUserAgent(ua string) Option {
	return func(c *Client) { c.userAgent = ua }
}

// New returns a Client of the server at baseURL, an http or https URL such
// as "http://127.0.0.1:8080" (a path prefix is kept: "https://example.com/nexus").
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("client: base URL %q: %w", baseURL, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("client: base URL %q must be http://host[:port] or https://host[:port]", baseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("client: base URL %q must not have a query or fragment", baseURL)
	}
	c := &Client{
		base:      strings.TrimRight(u.String(), "/"),
		hc:        &http.Client{},
		header:    http.Header{},
		userAgent: DefaultUserAgent,
		decode:    json.Unmarshal,
	}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// BaseURL returns the server's URL as the Client uses it, without a
// trailing slash.
func (c *Client) BaseURL() string { return c.base }

// CloseIdleConnections closes the idle keep-alive connections of the
// Client's HTTP client.
func (c *Client) CloseIdleConnections() { c.hc.CloseIdleConnections() }

// request is one API call.
type request struct {
	method      string
	path        string // escaped, starting with /
	query       string // encoded, without "?"
	contentType string
	body        []byte    // nil: no body
	stream      io.Reader // a body sent as it is read, if body is nil
}

// response is an answer with a status below 400, its body read.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends r and reads the answer. A status of 400 or more is an *Error;
// a failure to send or read is returned as net/http reports it.
func (c *Client) do(ctx context.Context, r request) (*response, error) {
	u := c.base + r.path
	if r.query != "" {
		u += "?" + r.query
	}
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	} else if r.stream != nil {
		body = r.stream
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, body)
	if err != nil {
		return nil, err
	}
	for k, vs := range c.header {
		req.Header[k] = append([]string(nil), vs...)
	}
	if c.userAgent != "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := readAll(resp)
	if err != nil {
		return nil, fmt.Errorf("client: %s %s: reading the response: %w", r.method, r.path, err)
	}
	if resp.StatusCode >= 400 {
		return nil, newError(resp, data, c.decode)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: data}, nil
}

// readAll reads resp's body, in one allocation when its length is known.
func readAll(resp *http.Response) ([]byte, error) {
	if n := resp.ContentLength; n >= 0 && n <= 64<<20 {
		b := make([]byte, n)
		_, err := io.ReadFull(resp.Body, b)
		return b, err
	}
	return io.ReadAll(resp.Body)
}

// call sends r and decodes a JSON answer into out (if not nil).
func (c *Client) call(ctx context.Context, r request, out any) (*response, error) {
	resp, err := c.do(ctx, r)
	if err != nil {
		return nil, err
	}
	if out != nil {
		if err := c.decode(resp.body, out); err != nil {
			return nil, fmt.Errorf("client: %s %s: decoding the response: %w", r.method, r.path, err)
		}
	}
	return resp, nil
}

// jsonRequest is r with v encoded as its JSON body.
func jsonRequest(method, path string, v any) (request, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return request{}, fmt.Errorf("client: encoding the request: %w", err)
	}
	return request{method: method, path: path, contentType: "application/json", body: b}, nil
}

// strictDecode decodes data into v refusing fields v lacks and trailing
// data: a response field the client does not know is an error.
func strictDecode(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data after the JSON value")
	}
	return nil
}

// withStrictDecoding makes a Client decode every response with
// strictDecode; the tests use it to find fields the server added.
func withStrictDecoding() Option {
	return func(c *Client) { c.decode = strictDecode }
}

// escape escapes one path segment.
func escape(s string) string { return url.PathEscape(s) }

// Ptr returns a pointer to v: for the optional fields of TaskSpec and
// InvokeOptions, as in Priority: client.Ptr(9).
func Ptr[T any](v T) *T { return &v }
