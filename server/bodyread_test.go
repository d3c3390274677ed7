package server_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nexustask/nexus/server"
)

// TestSlowBodyCutOff: a client that sends its headers and a few bytes of
// a body, then nothing, is answered 408 request_timeout once the body
// deadline passes, and its connection is closed. (The short deadline only
// makes the test quick; the client never sends the rest, so the outcome
// does not depend on timing.)
func TestSlowBodyCutOff(t *testing.T) {
	for _, rate := range []int64{-1, 1 << 10} { // flat, and with a minimum rate
		in := start(t, t.TempDir(), server.Config{BodyTimeout: 50 * time.Millisecond, MinBodyRate: rate})
		upload(t, in.URL, "echo", readFile(t, "../examples/wat/echo.wasm"))
		for _, path := range []string{"/v1/modules/echo/invoke", "/v1/modules/big", "/v1/tasks"} {
			conn, err := net.Dial("tcp", strings.TrimPrefix(in.URL, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := io.WriteString(conn, "POST "+path+" HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\nabc"); err != nil {
				t.Fatal(err)
			}
			br := bufio.NewReader(conn)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			var eb server.ErrorBody
			if err := json.NewDecoder(resp.Body).Decode(&eb); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			resp.Body.Close()
			if path == "/v1/tasks" && resp.StatusCode == http.StatusServiceUnavailable {
				continue // no task service here: refused before the body is read
			}
			if resp.StatusCode != http.StatusRequestTimeout || eb.Error.Code != "request_timeout" {
				t.Fatalf("%s: %d %+v", path, resp.StatusCode, eb)
			}
			if n, err := br.ReadByte(); err != io.EOF {
				t.Fatalf("%s: connection still open after the timeout: %v %v", path, n, err)
			}
		}
	}
}
