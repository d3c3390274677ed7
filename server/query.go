package server

import (
	"net/url"
	"strings"
)

// query is a request's query string read as url.ParseQuery reads it, in
// order, without building a map: an invocation reads a handful of names
// once each, and the map and its slices cost more than the scan. Pairs
// that url.ParseQuery drops (a bad escape, a semicolon) are dropped here
// too, as echo.Context.QueryParams drops them.
type query []queryParam

type queryParam struct{ key, value string }

// parseQuery appends the parameters of raw to q (so that a caller's array
// can hold the usual few) and returns the result.
func parseQuery(q query, raw string) query {
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" || strings.Contains(pair, ";") {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k, ok1 := unescapeQuery(k)
		v, ok2 := unescapeQuery(v)
		if !ok1 || !ok2 {
			continue
		}
		q = append(q, queryParam{k, v})
	}
	return q
}

// unescapeQuery decodes s as a query component, without allocating when
// there is nothing to decode.
func unescapeQuery(s string) (string, bool) {
	if !strings.ContainsAny(s, "%+") {
		return s, true
	}
	u, err := url.QueryUnescape(s)
	return u, err == nil
}

// Get returns the first value of key, or "".
func (q query) Get(key string) string {
	for _, p := range q {
		if p.key == key {
			return p.value
		}
	}
	return ""
}

// All returns every value of key in order, or nil.
func (q query) All(key string) []string {
	var vs []string
	for _, p := range q {
		if p.key == key {
			vs = append(vs, p.value)
		}
	}
	return vs
}
