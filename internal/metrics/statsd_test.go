package metrics_test

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nexustask/nexus/internal/metrics"
)

// listen returns a UDP listener on 127.0.0.1 and a function that reads
// the lines of the next datagrams until they hold every line of want and
// a line starting with each of prefixes (or fails the test after a bound,
// the listener's read deadline).
func listen(t *testing.T) (*net.UDPConn, func(want []string, prefixes ...string) []string) {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	var lines []string
	return conn, func(want []string, prefixes ...string) []string {
		t.Helper()
		buf := make([]byte, 65536)
		for {
			done := true
			for _, w := range want {
				done = done && contains(lines, w)
			}
			for _, p := range prefixes {
				done = done && hasPrefix(lines, p)
			}
			if done {
				got := lines
				lines = nil
				return got
			}
			conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			n, err := conn.Read(buf)
			if err != nil {
				t.Fatalf("waiting for %q: %v; got:\n%s", want, err, strings.Join(lines, "\n"))
			}
			lines = append(lines, strings.Split(strings.TrimSpace(string(buf[:n])), "\n")...)
		}
	}
}

// TestStatsDDogStatsD: a push sends counters as the increase since the
// last push, gauges and histograms, with labels as DogStatsD tags and the
// prefix before every name, to a real UDP listener.
func TestStatsDDogStatsD(t *testing.T) {
	conn, read := listen(t)
	m := metrics.New(func() int { return 2 })
	m.Invocation("echo", "ok", 3*time.Millisecond, 1000)
	m.Invocation("echo", "ok", 5*time.Millisecond, 1000)
	s, err := m.StartStatsD(metrics.StatsDConfig{Addr: conn.LocalAddr().String(), Prefix: "nexus", Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Push(); err != nil {
		t.Fatal(err)
	}
	read([]string{"nexus.nexus_invocations_total:2|c|#module:echo,outcome:ok", "nexus.nexus_modules:2|g",
		"nexus.nexus_invocation_duration_seconds.count:2|c|#module:echo"},
		"nexus.nexus_invocation_duration_seconds.p99:", "nexus.nexus_invocation_duration_seconds.sum:")
	// Only the increase: one more invocation is a count of 1.
	m.Invocation("echo", "ok", time.Millisecond, 1000)
	if err := s.Push(); err != nil {
		t.Fatal(err)
	}
	read([]string{"nexus.nexus_invocations_total:1|c|#module:echo,outcome:ok"})
}

// TestStatsDNoTags: with TagsNone, label values are folded into the name
// for plain StatsD, and nothing carries a tag.
func TestStatsDNoTags(t *testing.T) {
	conn, read := listen(t)
	m := metrics.New(func() int { return 0 })
	m.Invocation("echo", "trap", time.Millisecond, 10)
	s, err := m.StartStatsD(metrics.StatsDConfig{Addr: conn.LocalAddr().String(), Tags: metrics.TagsNone, Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Push(); err != nil {
		t.Fatal(err)
	}
	lines := read([]string{"nexus_invocations_total.echo.trap:1|c"})
	for _, l := range lines {
		if strings.Contains(l, "|#") {
			t.Errorf("a tag in %q", l)
		}
	}
}

func TestParseTagFormat(t *testing.T) {
	for in, want := range map[string]metrics.TagFormat{"": metrics.TagsDogStatsD, "dogstatsd": metrics.TagsDogStatsD, "none": metrics.TagsNone} {
		if got, err := metrics.ParseTagFormat(in); err != nil || got != want {
			t.Errorf("%q: %v %v", in, got, err)
		}
	}
	if _, err := metrics.ParseTagFormat("influx"); err == nil {
		t.Error("influx accepted")
	}
}

func contains(lines []string, want string) bool {
	for _, l := range lines {
		if l == want {
			return true
		}
	}
	return false
}

func hasPrefix(lines []string, p string) bool {
	for _, l := range lines {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	return false
}
