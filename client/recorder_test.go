package client_test

import (
	"net/http"
	"net/http/httptest"
)

// newRecorder serves GET /healthz, sending each request's headers to seen.
func newRecorder(seen chan<- http.Header) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- r.Header.Clone()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"ok"}`))
	}))
}

// newStatus answers every request with status and body, as a proxy might.
func newStatus(status int, body string) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, body[:len(body)-1], status)
	}))
}

// newBody answers every request with 200 and the JSON body.
func newBody(body string) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(body))
	}))
}
