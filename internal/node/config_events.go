package node

import (
	"encoding/json"
	"time"

	"github.com/nexustask/nexus/internal/events"
)

// ConfigChange is one configuration key changed while the node runs.
type ConfigChange struct {
	Key    string `json:"-"`
	Old    string `json:"old"`
	New    string `json:"new"`
	Source string `json:"source"` // where the new value comes from: file, env, runtime…
	By     string `json:"by"`     // what changed it: SIGHUP, PATCH /v1/config
}

// PublishConfigChanged records a config.changed event for each change in
// the node's event log, which fans it out to SSE and webhooks.
func (n *Node) PublishConfigChanged(changes ...ConfigChange) error {
	evs := make([]*events.Event, 0, len(changes))
	now := time.Now().UTC()
	for _, c := range changes {
		summary, err := json.Marshal(c)
		if err != nil {
			return err
		}
		evs = append(evs, &events.Event{Type: events.ConfigChanged, Time: now, Node: n.cfg.nodeName(),
			Data: events.Data{Key: c.Key, Summary: summary}})
	}
	if len(evs) == 0 {
		return nil
	}
	return n.db.AppendEvents(evs...)
}
