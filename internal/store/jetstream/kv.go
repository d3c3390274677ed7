package jetstream

import (
	"fmt"
	"strconv"

	"github.com/nexustask/nexus/host"
)

var _ host.KV = (*Store)(nil)

// Guest kv: each key is the entry kv.<ns>.<key>, holding its value; each
// namespace's key and value bytes are counted in kvt.<ns>, written in the
// same batch as every change of the namespace, so that the total is a
// compare-and-set that concurrent writers of one namespace serialise on.

// Get implements host.KV.
func (s *Store) Get(ns, key string) ([]byte, bool, error) {
	e, err := s.load(s.kvSubj(ns, key))
	if err != nil || !e.exists {
		return nil, false, err
	}
	return e.data, true, nil
}

// Set implements host.KV.
func (s *Store) Set(ns, key string, value []byte, maxTotal int64) error {
	value = append([]byte{}, value...)
	return s.update(func(x *txn) error { return x.applyKV(ns, key, value, false, maxTotal) })
}

// Delete implements host.KV.
func (s *Store) Delete(ns, key string) (bool, error) {
	found := false
	err := s.update(func(x *txn) error {
		e, err := x.get(x.s.kvSubj(ns, key))
		if err != nil {
			return err
		}
		found = e.exists
		return x.applyKV(ns, key, nil, true, -1)
	})
	return found, err
}

// applyKV applies one kv write and its change of the namespace's total,
// refusing with host.ErrKVFull one that would pass maxTotal (unless
// maxTotal is negative: an attempt's writes were checked when made).
func (x *txn) applyKV(ns, key string, value []byte, del bool, maxTotal int64) error {
	subj, totalSubj := x.s.kvSubj(ns, key), x.s.kvTotalSubj(ns)
	e, err := x.get(subj)
	if err != nil {
		return err
	}
	if del && !e.exists {
		return nil
	}
	t, err := x.get(totalSubj)
	if err != nil {
		return err
	}
	var total int64
	if t.exists {
		if total, err = strconv.ParseInt(string(t.data), 10, 64); err != nil {
			return fmt.Errorf("jetstream: kv total of %q: %w", ns, err)
		}
	}
	if e.exists {
		total -= int64(len(key) + len(e.data))
	}
	if del {
		if err := x.del(subj); err != nil {
			return err
		}
	} else {
		total += int64(len(key) + len(value))
		if maxTotal >= 0 && total > maxTotal {
			return fmt.Errorf("%w: namespace %q would hold %d bytes, over %d", host.ErrKVFull, ns, total, maxTotal)
		}
		if err := x.put(subj, value); err != nil {
			return err
		}
	}
	return x.put(totalSubj, []byte(strconv.FormatInt(total, 10)))
}

// deleteKVNamespace deletes every key of ns and its total.
func (x *txn) deleteKVNamespace(ns string) error {
	subjs, err := x.s.subjects(x.s.subj("kv", token(ns)))
	if err != nil {
		return err
	}
	for _, subj := range append(subjs, x.s.kvTotalSubj(ns)) {
		if err := x.del(subj); err != nil {
			return err
		}
	}
	return nil
}
