package jetstream

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// NodeInfo is what a node of a cluster says of itself in its heartbeat.
type NodeInfo struct {
	ID      string            `json:"id"`
	Addr    string            `json:"addr"` // its HTTP address
	CPUs    int               `json:"cpus"`
	Workers int               `json:"workers"` // worker tokens
	Running int               `json:"running"`
	Queued  int               `json:"queued"`
	Version string            `json:"version"`
	Labels  map[string]string `json:"labels,omitempty"`
	Started time.Time         `json:"started"`
	// Seen is when the heartbeat was stored (set by Nodes.List).
	Seen time.Time `json:"seen,omitzero"`
}

// leaderKey is the key of the nodes bucket the leader holds.
const leaderKey = "leader"

// Nodes is the bucket of node heartbeats, Name_NODES: one key per node,
// which lapses TTL after the node's last heartbeat, and the key of the
// elected leader, which lapses as theirs do.
type Nodes struct {
	kv jetstream.KeyValue
	s  *Store
}

// Nodes opens the store's bucket of node heartbeats, creating it with
// the store's replicas and ttl if there is none. A bucket of another TTL
// is refused: every node must agree on when a node is gone.
func (s *Store) Nodes(ttl time.Duration) (*Nodes, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	name := s.table.CachedInfo().Config.Name + "_NODES"
	kv, err := s.js.KeyValue(ctx, name)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = s.js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket: name, TTL: ttl, Storage: jetstream.FileStorage,
			Replicas: s.table.CachedInfo().Config.Replicas,
		})
	}
	if err != nil {
		return nil, fmt.Errorf("jetstream: nodes bucket %s: %w", name, err)
	}
	status, err := kv.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("jetstream: nodes bucket %s: %w", name, err)
	}
	if status.TTL() != ttl {
		return nil, fmt.Errorf("jetstream: nodes bucket %s has a heartbeat TTL of %s, this node asks for %s", name, status.TTL(), ttl)
	}
	return &Nodes{kv: kv, s: s}, nil
}

// nodeKey returns the bucket key of node id: its base64url after a
// letter, as KV keys allow no other characters.
func nodeKey(id string) string { return "node.n" + base64.RawURLEncoding.EncodeToString([]byte(id)) }

// Beat stores info as its node's heartbeat.
func (n *Nodes) Beat(info NodeInfo) error {
	if info.ID == "" {
		return errors.New("jetstream: a heartbeat needs a node id")
	}
	info.Seen = time.Time{}
	b, err := json.Marshal(info)
	if err != nil {
		return err
	}
	ctx, cancel := n.s.ctx()
	defer cancel()
	if _, err := n.kv.Put(ctx, nodeKey(info.ID), b); err != nil {
		return fmt.Errorf("jetstream: heartbeat of %s: %w", info.ID, err)
	}
	return nil
}

// Leave removes a node's heartbeat at once, as a node that stops does.
func (n *Nodes) Leave(id string) error {
	ctx, cancel := n.s.ctx()
	defer cancel()
	if err := n.kv.Purge(ctx, nodeKey(id)); err != nil {
		return fmt.Errorf("jetstream: leave %s: %w", id, err)
	}
	return nil
}

// List returns the nodes whose heartbeat has not lapsed, by id.
func (n *Nodes) List() ([]NodeInfo, error) {
	ctx, cancel := n.s.ctx()
	defer cancel()
	lister, err := n.kv.ListKeysFiltered(ctx, "node.>")
	if err != nil {
		return nil, fmt.Errorf("jetstream: list nodes: %w", err)
	}
	var keys []string
	for k := range lister.Keys() {
		keys = append(keys, k)
	}
	var out []NodeInfo
	for _, k := range keys {
		e, err := n.kv.Get(ctx, k)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue // lapsed or left since the listing
		}
		if err != nil {
			return nil, fmt.Errorf("jetstream: read node %s: %w", k, err)
		}
		var info NodeInfo
		if err := json.Unmarshal(e.Value(), &info); err != nil {
			return nil, fmt.Errorf("jetstream: decode node %s: %w", k, err)
		}
		info.Seen = e.Created().UTC()
		out = append(out, info)
	}
	slices.SortFunc(out, func(a, b NodeInfo) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// Leader is one node's candidacy for the leader's jobs (lease reaper,
// retention collector, schedule timers): it holds the leader key of the
// nodes bucket while it renews it within the bucket's TTL.
type Leader struct {
	n   *Nodes
	id  string
	rev uint64 // the key's revision while held, 0 when not
}

// Candidate returns node id's candidacy, holding nothing yet.
func (n *Nodes) Candidate(id string) *Leader { return &Leader{n: n, id: id} }

// Campaign takes the leader key if nobody holds it (create-if-absent) or
// renews it if this node holds it (compare-and-set on its revision), and
// reports whether this node leads. A node that finds its key taken by
// another, because it renewed too late, no longer leads, and must stop
// its leader's jobs.
func (l *Leader) Campaign() (bool, error) {
	ctx, cancel := l.n.s.ctx()
	defer cancel()
	var rev uint64
	var err error
	if l.rev != 0 {
		rev, err = l.n.kv.Update(ctx, leaderKey, []byte(l.id), l.rev)
	} else {
		rev, err = l.n.kv.Create(ctx, leaderKey, []byte(l.id))
	}
	switch {
	case err == nil:
		l.rev = rev
		return true, nil
	case isWrongSequence(err):
		l.rev = 0
		return false, nil
	}
	l.rev = 0
	return false, fmt.Errorf("jetstream: campaign of %s: %w", l.id, err)
}

// isWrongSequence reports whether err is JetStream's refusal of a write
// that expected another revision of the key.
func isWrongSequence(err error) bool {
	return errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyExists)
}

// Resign gives the leader key up at once if this node holds it.
func (l *Leader) Resign() error {
	if l.rev == 0 {
		return nil
	}
	ctx, cancel := l.n.s.ctx()
	defer cancel()
	err := l.n.kv.Delete(ctx, leaderKey, jetstream.LastRevision(l.rev))
	l.rev = 0
	if err != nil && !isWrongSequence(err) {
		return fmt.Errorf("jetstream: resign of %s: %w", l.id, err)
	}
	return nil
}

// Holder returns the id of the node holding the leader key, "" if none.
func (n *Nodes) Holder() (string, error) {
	ctx, cancel := n.s.ctx()
	defer cancel()
	e, err := n.kv.Get(ctx, leaderKey)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("jetstream: leader: %w", err)
	}
	return string(e.Value()), nil
}
