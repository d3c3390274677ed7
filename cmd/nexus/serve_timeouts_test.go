package main

import (
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// TestSlowHeadersCutOff: a client that starts its headers and stops is
// disconnected once --read-header-timeout passes (short here only to keep
// the test quick: the client never finishes, so timing does not decide
// the outcome).
func TestSlowHeadersCutOff(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := newHTTPServer(serveOptions{readHeaderTimeout: 50 * time.Millisecond, idleTimeout: time.Minute},
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	go hs.Serve(ln)
	defer hs.Close()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "POST /v1/tasks HTTP/1.1\r\nHost: x\r\n"); err != nil {
		t.Fatal(err)
	}
	// The server closes the connection (after an error response, if any).
	if _, err := io.ReadAll(conn); err != nil {
		t.Fatalf("reading until the server closed: %v", err)
	}
	if hs.IdleTimeout != time.Minute {
		t.Fatalf("IdleTimeout %v", hs.IdleTimeout)
	}
}
