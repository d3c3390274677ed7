package jetstream_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nexustask/nexus/internal/store/jetstream"
)

// waitFor polls cond until it holds, failing t after a deadline: a
// lapsed heartbeat has no event to wait on.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func ids(t *testing.T, n *jetstream.Nodes) []string {
	t.Helper()
	list, err := n.List()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, i := range list {
		out = append(out, i.ID)
	}
	return out
}

// TestNodes checks heartbeats: a node is listed with what it said until it
// leaves or its heartbeat lapses, and every node must agree on the TTL.
func TestNodes(t *testing.T) {
	const ttl = time.Second
	st := open(t)
	n, err := st.Nodes(ttl)
	if err != nil {
		t.Fatal(err)
	}
	started := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	for _, id := range []string{"b", "a", "c"} {
		err := n.Beat(jetstream.NodeInfo{ID: id, Addr: "127.0.0.1:80", CPUs: 2, Workers: 4, Version: "v1",
			Labels: map[string]string{"gpu": "true"}, Started: started})
		if err != nil {
			t.Fatal(err)
		}
	}
	list, err := n.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 || list[0].ID != "a" || list[0].Workers != 4 || list[0].Labels["gpu"] != "true" ||
		!list[0].Started.Equal(started) || list[0].Seen.IsZero() {
		t.Fatalf("List = %+v", list)
	}
	if err := n.Leave("b"); err != nil {
		t.Fatal(err)
	}
	if got := ids(t, n); !slices.Equal(got, []string{"a", "c"}) {
		t.Fatalf("after b left: %v", got)
	}
	// a keeps beating, c stops: c's heartbeat lapses.
	waitFor(t, "c's heartbeat to lapse", func() bool {
		if err := n.Beat(jetstream.NodeInfo{ID: "a"}); err != nil {
			t.Fatal(err)
		}
		return slices.Equal(ids(t, n), []string{"a"})
	})
	if _, err := st.Nodes(2 * ttl); err == nil || !strings.Contains(err.Error(), "heartbeat TTL of 1s, this node asks for 2s") {
		t.Fatalf("Nodes with another TTL: %v", err)
	}
}

// TestLeader checks the election: one leader at a time, renewed by
// compare-and-set; a leader that stops renewing loses the key when it
// lapses, and its late renewal is refused once another node holds it.
func TestLeader(t *testing.T) {
	st := open(t)
	n, err := st.Nodes(time.Second)
	if err != nil {
		t.Fatal(err)
	}
	a, b := n.Candidate("a"), n.Candidate("b")
	campaign := func(l *jetstream.Leader) bool {
		t.Helper()
		ok, err := l.Campaign()
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !campaign(a) || campaign(b) {
		t.Fatal("a, first, must lead and b not")
	}
	if !campaign(a) || campaign(b) {
		t.Fatal("a's renewal must keep it leading")
	}
	// a stops renewing: b leads once a's term lapses.
	waitFor(t, "b to lead", func() bool { return campaign(b) })
	if holder, err := n.Holder(); err != nil || holder != "b" {
		t.Fatalf("Holder = %q, %v", holder, err)
	}
	if campaign(a) {
		t.Fatal("a's late renewal was taken while b leads")
	}
	if err := b.Resign(); err != nil {
		t.Fatal(err)
	}
	if !campaign(a) {
		t.Fatal("a must lead after b resigned")
	}
}
