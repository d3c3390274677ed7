package node

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/nexustask/nexus/internal/events"
	"github.com/nexustask/nexus/internal/metrics"
	"github.com/nexustask/nexus/internal/store"
	"github.com/nexustask/nexus/modules"
)

// Defaults of the event log.
const (
	DefaultEventRetention = 24 * time.Hour
	DefaultEventMax       = 1_000_000
	// trimEvery is how often the event log is trimmed.
	trimEvery = time.Minute
	// trimBatch bounds the events one trimming transaction deletes.
	trimBatch = 10_000
)

// eventSystem is a node's event log, bus, webhook deliverer and trimmer.
type eventSystem struct {
	db        *store.DB
	bus       *events.Bus
	deliverer *events.Deliverer
	appender  *events.Appender // invoke.finished; nil unless EventsInvokes
	log       *slog.Logger
	retention time.Duration
	max       int

	stop chan struct{}
	wg   sync.WaitGroup
}

// newEventSystem wires the bus to db's event log, counts events on m and
// builds the webhook deliverer (not started).
func newEventSystem(cfg Config, db *store.DB, m *metrics.Metrics, log *slog.Logger) (*eventSystem, error) {
	allow, err := events.ParseAllowlist(cfg.WebhookAllow)
	if err != nil {
		return nil, err
	}
	es := &eventSystem{db: db, log: log, retention: cfg.EventRetention, max: cfg.EventMax, stop: make(chan struct{})}
	es.bus = events.NewBus(db)
	var em *metrics.EventMetrics
	es.deliverer = events.NewDeliverer(events.DelivererConfig{
		Store: db, Log: db, Bus: es.bus, Allow: allow, MaxAge: cfg.WebhookMaxAge, Node: cfg.NodeName, Logger: log,
		OnDelivery: func(outcome string, d time.Duration) { em.Delivered(outcome, d) },
	})
	if em, err = m.RegisterEvents(es.bus.Subscribers, es.deliverer.Pending); err != nil {
		return nil, err
	}
	es.bus.OnPublish = func(e *events.Event) { em.Published(e.Type) }
	db.SetEventSink(es.bus.Publish)
	db.SetEventNode(cfg.nodeName())
	return es, nil
}

// watchModules publishes module.uploaded and module.deleted.
func (es *eventSystem) watchModules(reg *modules.Registry, node string) {
	reg.OnChange(func(ev modules.Event) {
		e := &events.Event{Time: time.Now().UTC(), Module: ev.Name, Version: ev.Version, Node: node}
		switch ev.Kind {
		case modules.EventPut:
			e.Type = events.ModuleUploaded
		case modules.EventDelete:
			e.Type = events.ModuleDeleted
		default:
			return
		}
		if err := es.db.AppendEvents(e); err != nil {
			es.log.Error("events: publishing", "type", e.Type, "module", ev.Name, "err", err)
		}
	})
}

// invokes returns the function the InvokeEvents middleware publishes
// through: a batching appender to the log.
func (es *eventSystem) invokes() func(*events.Event) {
	es.appender = events.NewAppender(es.db, 0, es.log)
	return es.appender.Append
}

// start starts the deliverer and the trimmer.
func (es *eventSystem) start() error {
	if err := es.deliverer.Start(); err != nil {
		return err
	}
	es.wg.Add(1)
	go es.trimLoop()
	return nil
}

// trimLoop trims the log at start and every trimEvery.
func (es *eventSystem) trimLoop() {
	defer es.wg.Done()
	t := time.NewTicker(trimEvery)
	defer t.Stop()
	for {
		es.trim()
		select {
		case <-es.stop:
			return
		case <-t.C:
		}
	}
}

// trim drops events older than the retention, and the oldest past the
// count bound that no webhook still needs.
func (es *eventSystem) trim() {
	for {
		select {
		case <-es.stop:
			return
		default:
		}
		n, err := es.db.TrimEvents(time.Now().Add(-es.retention), es.max, es.deliverer.KeepFrom(), trimBatch)
		if err != nil {
			es.log.Error("events: trimming the log", "err", err)
			return
		}
		if n < trimBatch {
			return
		}
	}
}

// close stops the trimmer and the deliverer (which stores its cursors).
func (es *eventSystem) close(context.Context) {
	close(es.stop)
	es.wg.Wait()
	if es.appender != nil {
		es.appender.Close()
	}
	es.deliverer.Close()
}
