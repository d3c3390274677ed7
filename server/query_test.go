package server

import (
	"net/url"
	"slices"
	"testing"
)

// TestParseQuery checks that the query scanner reads what url.ParseQuery
// (and so echo.Context.QueryParams) reads, pairs dropped included.
func TestParseQuery(t *testing.T) {
	for _, raw := range queryCorpus {
		checkQuery(t, raw)
	}
}

func FuzzParseQuery(f *testing.F) {
	for _, raw := range queryCorpus {
		f.Add(raw)
	}
	f.Fuzz(checkQuery)
}

var queryCorpus = []string{
	"", "a", "a=", "=a", "a=1", "a=1&b=2", "a=1&a=2&b=3&a=4", "&&a=1&&",
	"cache_ttl=1h&tag=x&tag=y", "config=k%3Dv&config=a=b=c", "env=A%3D1+2",
	"a=%zz&b=2", "a;b=1&c=2", "a=1;2&b=3", "a%20b=c+d", "a=%", "+=+", "a==b",
	"k%26=v%26&k&=x",
}

func checkQuery(t *testing.T, raw string) {
	want, _ := url.ParseQuery(raw)
	q := parseQuery(nil, raw)
	got := url.Values{}
	for _, p := range q {
		got[p.key] = append(got[p.key], p.value)
	}
	if len(got) != len(want) {
		t.Fatalf("%q: got %v, want %v", raw, got, want)
	}
	for k, vs := range want {
		if !slices.Equal(q.All(k), vs) || q.Get(k) != vs[0] {
			t.Fatalf("%q: %q: got %q (Get %q), want %q", raw, k, q.All(k), q.Get(k), vs)
		}
	}
	if q.Get("\x00absent") != "" || q.All("\x00absent") != nil {
		t.Fatalf("%q: an absent key has values", raw)
	}
}
