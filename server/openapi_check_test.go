package server

// The OpenAPI document cannot drift from the code: every server built by
// this package's tests (through New, so also every node) serves through
// checkOpenAPI, which checks each request and response against the
// document, and TestMain fails the run if any did not match (except in
// a run with -bench, whose figures must be the server's own). A request
// the server refused (4xx) is not held against the document: tests send
// bad requests on purpose. Its response still is.

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// captureLimit bounds the bytes of a body the check keeps; a longer body
// is checked for its status and headers only.
const captureLimit = 4 << 20

var apiCheck struct {
	once    sync.Once
	doc     *openapi3.T
	router  routers.Router
	err     error
	mu      sync.Mutex
	checked int
	errs    []string
}

// loadOpenAPI parses and validates the embedded document.
func loadOpenAPI() (*openapi3.T, routers.Router, error) {
	apiCheck.once.Do(func() {
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(openAPI)
		if err == nil {
			err = doc.Validate(loader.Context)
		}
		if err != nil {
			apiCheck.err = fmt.Errorf("server/openapi.json: %w", err)
			return
		}
		doc.Servers = nil // match the tests' servers on any address
		apiCheck.doc = doc
		apiCheck.router, apiCheck.err = legacy.NewRouter(doc)
	})
	return apiCheck.doc, apiCheck.router, apiCheck.err
}

func TestMain(m *testing.M) {
	if _, _, err := loadOpenAPI(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// Benchmarks measure the server, not the check: a run with -bench
	// serves unwrapped (the check allocates a thousand times per request).
	flag.Parse()
	if f := flag.Lookup("test.bench"); f == nil || f.Value.String() == "" {
		wrapHandler = checkOpenAPI
	}
	code := m.Run()
	apiCheck.mu.Lock()
	defer apiCheck.mu.Unlock()
	if len(apiCheck.errs) > 0 {
		fmt.Fprintf(os.Stderr, "%d requests or responses of the tests do not match server/openapi.json:\n", len(apiCheck.errs))
		for i, e := range apiCheck.errs {
			if i == 300 {
				fmt.Fprintf(os.Stderr, "… and %d more\n", len(apiCheck.errs)-i)
				break
			}
			fmt.Fprintln(os.Stderr, e)
		}
		code = 1
	}
	if testing.Verbose() {
		fmt.Printf("openapi: %d exchanges checked against server/openapi.json\n", apiCheck.checked)
	}
	os.Exit(code)
}

// checkOpenAPI serves through next and checks the exchange against the
// document, without changing what the client sees or when.
func checkOpenAPI(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, router, _ := loadOpenAPI()
		route, params, err := router.FindRoute(r)
		if err != nil {
			next.ServeHTTP(w, r) // no such route: the server answers 404 or 405
			return
		}
		var reqBody capture
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = &teeBody{ReadCloser: r.Body, c: &reqBody}
		}
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		fail := func(what string, err error) {
			apiCheck.mu.Lock()
			apiCheck.errs = append(apiCheck.errs, fmt.Sprintf("%s %s → %d: %s: %s", r.Method, r.URL.RequestURI(), rec.status, what, brief(err)))
			apiCheck.mu.Unlock()
		}
		opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}
		in := &openapi3filter.RequestValidationInput{Request: r.Clone(context.Background()), PathParams: params, Route: route, Options: opts}
		if rec.status < 400 {
			reqOpts := *opts
			if !reqBody.eof || reqBody.over || !isJSON(r.Header.Get("Content-Type")) {
				reqOpts.ExcludeRequestBody = true
			}
			in.Options = &reqOpts
			in.Request.Body = io.NopCloser(bytes.NewReader(reqBody.buf.Bytes()))
			if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
				fail("request", err)
			}
		}
		resOpts := *opts
		if rec.body.over || !isJSON(rec.Header().Get("Content-Type")) {
			resOpts.ExcludeResponseBody = true
		}
		out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: rec.status, Header: rec.Header(), Options: &resOpts}
		out.SetBodyBytes(rec.body.buf.Bytes())
		if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
			fail("response", err)
		}
		apiCheck.mu.Lock()
		apiCheck.checked++
		apiCheck.mu.Unlock()
	})
}

// brief is a validation error on one line: each failure's first line.
func brief(err error) string {
	var lines []string
	for _, part := range strings.Split(err.Error(), " | ") {
		first, _, _ := strings.Cut(strings.TrimSpace(part), "\n")
		lines = append(lines, first)
	}
	return strings.Join(lines, "; ")
}

func isJSON(ct string) bool {
	mt, _, _ := mime.ParseMediaType(ct)
	return mt == "application/json"
}

// capture keeps up to captureLimit bytes of a body.
type capture struct {
	buf  bytes.Buffer
	over bool // more than captureLimit bytes
	eof  bool // the body was read to its end
}

func (c *capture) write(p []byte) {
	if c.buf.Len()+len(p) > captureLimit {
		c.over = true
		return
	}
	c.buf.Write(p)
}

// teeBody is a request body whose bytes are captured as the handler
// reads them.
type teeBody struct {
	io.ReadCloser
	c *capture
}

func (t *teeBody) Read(p []byte) (int, error) {
	n, err := t.ReadCloser.Read(p)
	t.c.write(p[:n])
	if err == io.EOF {
		t.c.eof = true
	}
	return n, err
}

// recorder passes a response through, keeping its status and body.
type recorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
	body        capture
}

func (r *recorder) WriteHeader(status int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = status, true
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(p []byte) (int, error) {
	r.wroteHeader = true
	r.body.write(p)
	return r.ResponseWriter.Write(p)
}

func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
