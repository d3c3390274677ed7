package jetstream

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
)

// The table stream holds one message per subject. A deleted entry is a
// delete marker: a message with header opHeader = opDelete and no body,
// kept so that its sequence is the entry's revision.
const (
	opHeader = "Nx-Op"
	opDelete = "DEL"
	// maxBatch is JetStream's default limit of messages in one atomic
	// batch.
	maxBatch = 1000
	// maxTries bounds how often a transaction is read and tried again
	// after losing races to other writers.
	maxTries = 1000
)

// errConflict is a batch refused because a subject it expected at one
// sequence had moved on: another writer came first.
var errConflict = errors.New("jetstream: concurrent write")

// token encodes a user string as one subject token.
func token(s string) string {
	if s == "" {
		return "_"
	}
	return "~" + base64.RawURLEncoding.EncodeToString([]byte(s))
}

// untoken decodes a token.
func untoken(t string) (string, error) {
	if t == "_" {
		return "", nil
	}
	if len(t) == 0 || t[0] != '~' {
		return "", fmt.Errorf("jetstream: bad subject token %q", t)
	}
	b, err := base64.RawURLEncoding.DecodeString(t[1:])
	return string(b), err
}

// subj returns the subject of the table entry kind.parts...
func (s *Store) subj(kind string, parts ...string) string {
	out := s.root + "." + kind
	for _, p := range parts {
		out += "." + p
	}
	return out
}

// entry is one subject as a transaction sees it.
type entry struct {
	seq    uint64 // the subject's last sequence when read (0: never written)
	data   []byte
	exists bool
	dirty  bool
}

// txn is a read-check-write transaction over the table: reads are cached,
// writes are buffered, and commit publishes them as one atomic batch.
type txn struct {
	s     *Store
	ents  map[string]*entry
	order []string // dirty subjects, in the order first written
}

// load reads the last message of subj.
func (s *Store) load(subj string) (*entry, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	m, err := s.table.GetLastMsgForSubject(ctx, subj)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return &entry{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("jetstream: read %s: %w", subj, err)
	}
	if m.Header.Get(opHeader) == opDelete {
		return &entry{seq: m.Sequence}, nil
	}
	return &entry{seq: m.Sequence, data: m.Data, exists: true}, nil
}

// subjects returns the subjects under prefix (a subject without the
// trailing ".>") that hold a message, delete markers included, sorted.
func (s *Store) subjects(prefix string) ([]string, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	info, err := s.table.Info(ctx, jetstream.WithSubjectFilter(prefix+".>"))
	if err != nil {
		return nil, fmt.Errorf("jetstream: list %s: %w", prefix, err)
	}
	out := make([]string, 0, len(info.State.Subjects))
	for subj := range info.State.Subjects {
		out = append(out, subj)
	}
	slices.Sort(out)
	return out, nil
}

// scan calls fn with every live entry under prefix, in subject order.
func (s *Store) scan(prefix string, fn func(subj string, data []byte) error) error {
	subjs, err := s.subjects(prefix)
	if err != nil {
		return err
	}
	for _, subj := range subjs {
		e, err := s.load(subj)
		if err != nil {
			return err
		}
		if !e.exists {
			continue
		}
		if err := fn(subj, e.data); err != nil {
			return err
		}
	}
	return nil
}

// update runs fn in a transaction and commits what it wrote, running it
// again on a fresh read whenever another writer came first. An error of
// fn ends it without a commit.
func (s *Store) update(fn func(x *txn) error) error {
	for try := 0; ; try++ {
		x := &txn{s: s, ents: map[string]*entry{}}
		if err := fn(x); err != nil {
			return err
		}
		err := x.commit()
		if !errors.Is(err, errConflict) {
			return err
		}
		if try == maxTries {
			return fmt.Errorf("jetstream: gave up after %d concurrent writes: %w", try, err)
		}
		if try > 2 {
			time.Sleep(time.Duration(min(try, 50)) * time.Millisecond)
		}
	}
}

// get returns the entry of subj as the transaction sees it.
func (x *txn) get(subj string) (*entry, error) {
	if e, ok := x.ents[subj]; ok {
		return e, nil
	}
	e, err := x.s.load(subj)
	if err != nil {
		return nil, err
	}
	x.ents[subj] = e
	return e, nil
}

// getJSON decodes the entry of subj into v and reports whether it exists.
func (x *txn) getJSON(subj string, v any) (bool, error) {
	e, err := x.get(subj)
	if err != nil || !e.exists {
		return false, err
	}
	if err := json.Unmarshal(e.data, v); err != nil {
		return true, fmt.Errorf("jetstream: decode %s: %w", subj, err)
	}
	return true, nil
}

// put sets subj to data.
func (x *txn) put(subj string, data []byte) error {
	e, err := x.get(subj)
	if err != nil {
		return err
	}
	e.data, e.exists = data, true
	x.mark(subj, e)
	return nil
}

// putJSON sets subj to v encoded as JSON.
func (x *txn) putJSON(subj string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return x.put(subj, b)
}

// del deletes subj; deleting what is not there writes nothing.
func (x *txn) del(subj string) error {
	e, err := x.get(subj)
	if err != nil {
		return err
	}
	if !e.exists && !e.dirty {
		return nil
	}
	e.data, e.exists = nil, false
	x.mark(subj, e)
	return nil
}

func (x *txn) mark(subj string, e *entry) {
	if !e.dirty {
		e.dirty = true
		x.order = append(x.order, subj)
	}
}

// pubAck is JetStream's answer to a publish.
type pubAck struct {
	Seq   uint64 `json:"seq"`
	Error *struct {
		Code        int    `json:"code"`
		ErrCode     int    `json:"err_code"`
		Description string `json:"description"`
	} `json:"error"`
}

// commit publishes the transaction's writes, each expecting its subject
// at the sequence the transaction read: as one message if there is one,
// as one atomic batch otherwise. It returns errConflict if a subject had
// moved.
func (x *txn) commit() error {
	var msgs []*nats.Msg
	for _, subj := range x.order {
		e := x.ents[subj]
		m := nats.NewMsg(subj)
		m.Header.Set(jetstream.ExpectedLastSubjSeqHeader, strconv.FormatUint(e.seq, 10))
		if e.exists {
			m.Data = e.data
		} else {
			m.Header.Set(opHeader, opDelete)
		}
		msgs = append(msgs, m)
	}
	switch {
	case len(msgs) == 0:
		return nil
	case len(msgs) > maxBatch:
		return fmt.Errorf("jetstream: a transaction of %d writes is over the batch limit of %d", len(msgs), maxBatch)
	case len(msgs) > 1:
		id := nuid.Next()
		for i, m := range msgs {
			m.Header.Set("Nats-Batch-Id", id)
			m.Header.Set("Nats-Batch-Sequence", strconv.Itoa(i+1))
		}
		msgs[len(msgs)-1].Header.Set("Nats-Batch-Commit", "1")
		for _, m := range msgs[:len(msgs)-1] {
			if err := x.s.nc.PublishMsg(m); err != nil {
				return fmt.Errorf("jetstream: publish: %w", err)
			}
		}
	}
	resp, err := x.s.nc.RequestMsg(msgs[len(msgs)-1], x.s.timeout)
	if err != nil {
		return fmt.Errorf("jetstream: commit: %w", err)
	}
	var ack pubAck
	if err := json.Unmarshal(resp.Data, &ack); err != nil {
		return fmt.Errorf("jetstream: commit: bad answer %q: %w", resp.Data, err)
	}
	if ack.Error != nil {
		switch jetstream.ErrorCode(ack.Error.ErrCode) {
		case jetstream.JSErrCodeStreamWrongLastSequence, jetstream.JSErrCodeStreamWrongLastSequenceConstant:
			return errConflict
		}
		return fmt.Errorf("jetstream: commit refused: %s (%d)", ack.Error.Description, ack.Error.ErrCode)
	}
	return nil
}
