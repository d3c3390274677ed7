package jetstream

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nexustask/nexus/proto"
)

// QueueOptions configures a Queue.
type QueueOptions struct {
	// Bands is the number of priority bands (band 0 the lowest).
	Bands int
	// Lease is how long a pulled job is its puller's before JetStream
	// delivers it again (the consumer's AckWait), unless the puller says
	// it is in progress.
	Lease time.Duration
	// Poll bounds how long a Pull that found nothing waits before it
	// looks again without being woken (redeliveries wake nobody).
	Poll time.Duration
}

// Queue is the cluster's work queue: one work-queue stream per priority
// band, Name_Q<band>, each with one pull consumer that every node shares.
// A job is a task id; it leaves its stream when acknowledged. A job's
// lease is its AckWait, renewed by InProgress while its attempt runs, so
// that a node that dies or is cut off loses its jobs to the others.
type Queue struct {
	s       *Store
	o       QueueOptions
	bands   []jetstream.Consumer
	streams []jetstream.Stream // band's stream, whose messages are its jobs
	bell    string             // subject a push rings to wake idle pullers
}

// Queue opens the store's work queue, creating its streams and consumers
// if there are none.
func (s *Store) Queue(o QueueOptions) (*Queue, error) {
	if o.Bands < 1 || o.Lease <= 0 {
		return nil, fmt.Errorf("jetstream: a queue needs bands and a lease, not %d and %s", o.Bands, o.Lease)
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	ctx, cancel := s.ctx()
	defer cancel()
	name := s.table.CachedInfo().Config.Name
	q := &Queue{s: s, o: o, bell: s.root + "_bell"}
	for band := range o.Bands {
		stream := fmt.Sprintf("%s_Q%d", name, band)
		cfg := jetstream.StreamConfig{
			Name:       stream,
			Subjects:   []string{q.subject(band)},
			Retention:  jetstream.WorkQueuePolicy,
			Storage:    jetstream.FileStorage,
			Replicas:   s.table.CachedInfo().Config.Replicas,
			Duplicates: 2 * time.Minute,
		}
		st, err := s.js.CreateOrUpdateStream(ctx, cfg)
		if err != nil {
			return nil, fmt.Errorf("jetstream: queue stream %s: %w", stream, err)
		}
		q.streams = append(q.streams, st)
		c, err := s.js.CreateOrUpdateConsumer(ctx, stream, jetstream.ConsumerConfig{
			Durable:       "workers",
			AckPolicy:     jetstream.AckExplicitPolicy,
			AckWait:       o.Lease,
			MaxDeliver:    -1,
			MaxAckPending: -1,
		})
		if err != nil {
			return nil, fmt.Errorf("jetstream: queue consumer of %s: %w", stream, err)
		}
		q.bands = append(q.bands, c)
	}
	return q, nil
}

// subject returns the subject of band's stream.
func (q *Queue) subject(band int) string { return q.s.root + "_q." + strconv.Itoa(band) }

// Push queues e in its band, in its wire format. Pushes with the same
// dedup key within two minutes queue one job (a retried push after a lost
// ack).
func (q *Queue) Push(e *proto.TaskEnvelope, dedup string) error {
	band := int(e.Band)
	if band < 0 || band >= len(q.bands) {
		return fmt.Errorf("jetstream: band %d of %d", band, len(q.bands))
	}
	b, err := e.Encode()
	if err != nil {
		return err
	}
	ctx, cancel := q.s.ctx()
	defer cancel()
	var opts []jetstream.PublishOpt
	if dedup != "" {
		opts = append(opts, jetstream.WithMsgID(dedup))
	}
	if _, err := q.s.js.Publish(ctx, q.subject(band), b, opts...); err != nil {
		return fmt.Errorf("jetstream: queue %s: %w", e.TaskId, err)
	}
	return q.s.nc.Publish(q.bell, nil)
}

// Job is a pulled job: its envelope and delivery count, held under the
// lease until acknowledged.
type Job struct {
	*proto.TaskEnvelope
	Delivered uint64 // 1 for the first delivery
	msg       jetstream.Msg
}

// Pull returns the next job, from the highest band that has one, waiting
// until there is one or ctx ends.
func (q *Queue) Pull(ctx context.Context) (*Job, error) {
	bell := make(chan *nats.Msg, 1)
	sub, err := q.s.nc.ChanSubscribe(q.bell, bell)
	if err != nil {
		return nil, fmt.Errorf("jetstream: pull: %w", err)
	}
	defer sub.Unsubscribe()
	if err := q.s.nc.Flush(); err != nil { // the bell rings for us from now on
		return nil, fmt.Errorf("jetstream: pull: %w", err)
	}
	for {
		for band := len(q.bands) - 1; band >= 0; band-- {
			batch, err := q.bands[band].FetchNoWait(1)
			if err != nil {
				return nil, fmt.Errorf("jetstream: pull band %d: %w", band, err)
			}
			for m := range batch.Messages() {
				md, err := m.Metadata()
				if err != nil {
					return nil, fmt.Errorf("jetstream: pull band %d: %w", band, err)
				}
				e, err := proto.DecodeTaskEnvelope(m.Data())
				if err != nil {
					// Not ours to run: a message no node can read would
					// otherwise come back after every lease.
					_ = m.Term()
					return nil, fmt.Errorf("jetstream: pull band %d: %w", band, err)
				}
				return &Job{TaskEnvelope: e, Delivered: md.NumDelivered, msg: m}, nil
			}
			if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
				return nil, fmt.Errorf("jetstream: pull band %d: %w", band, err)
			}
		}
		t := time.NewTimer(q.o.Poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-bell:
		case <-t.C:
		}
		t.Stop()
	}
}

// InProgress renews the job's lease for another Lease.
func (j *Job) InProgress() error { return j.msg.InProgress() }

// Ack removes the job from its stream, once its outcome is committed, and
// waits until JetStream has taken the acknowledgement.
func (j *Job) Ack(ctx context.Context) error { return j.msg.DoubleAck(ctx) }

// Len returns the number of jobs in the queue, pulled or not.
func (q *Queue) Len() (int, error) {
	ctx, cancel := q.s.ctx()
	defer cancel()
	n := 0
	for band, st := range q.streams {
		// A work-queue stream keeps a message until it is acknowledged,
		// so its message count is the band's waiting and leased jobs.
		// The stream's state is current once a publish is acknowledged;
		// a consumer's pending counts are not (they follow the stream
		// asynchronously).
		info, err := st.Info(ctx)
		if err != nil {
			return 0, fmt.Errorf("jetstream: queue band %d: %w", band, err)
		}
		n += int(info.State.Msgs)
	}
	return n, nil
}
