package jetstream

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Options configures Open.
type Options struct {
	// Name names the store: its table stream is Name, its object store
	// Name_OBJ, its subjects start with Name in lower case. Default
	// "NEXUS". Stores of different names on one NATS are independent.
	Name string
	// Replicas is the replica count of the stream and object store
	// (default 1). A store that exists with another count is refused.
	Replicas int
	// Timeout bounds each request to JetStream (default 5 s).
	Timeout time.Duration
}

// Store is the JetStream store. It is safe for concurrent use.
type Store struct {
	nc      *nats.Conn
	js      jetstream.JetStream
	table   jetstream.Stream
	objects jetstream.ObjectStore
	root    string // subject prefix, without the trailing dot
	timeout time.Duration
}

// Open connects to the NATS server at url and opens the store, creating
// its stream and object store if they do not exist.
func Open(url string, o Options) (*Store, error) {
	if o.Name == "" {
		o.Name = "NEXUS"
	}
	if o.Replicas == 0 {
		o.Replicas = 1
	}
	if o.Timeout == 0 {
		o.Timeout = 5 * time.Second
	}
	nc, err := nats.Connect(url, nats.Name("nexus"), nats.Timeout(o.Timeout))
	if err != nil {
		return nil, fmt.Errorf("jetstream: connect to %s: %w", url, err)
	}
	s, err := open(nc, o)
	if err != nil {
		nc.Close()
		return nil, err
	}
	return s, nil
}

func open(nc *nats.Conn, o Options) (*Store, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	s := &Store{nc: nc, js: js, root: strings.ToLower(o.Name), timeout: o.Timeout}
	ctx, cancel := s.ctx()
	defer cancel()
	cfg := jetstream.StreamConfig{
		Name:               o.Name,
		Subjects:           []string{s.root + ".>"},
		MaxMsgsPerSubject:  1,
		Storage:            jetstream.FileStorage,
		Replicas:           o.Replicas,
		AllowAtomicPublish: true,
		Discard:            jetstream.DiscardOld,
	}
	s.table, err = js.Stream(ctx, o.Name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		s.table, err = js.CreateStream(ctx, cfg)
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) { // another node came first
			s.table, err = js.Stream(ctx, o.Name)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("jetstream: stream %s: %w", o.Name, err)
	}
	if got := s.table.CachedInfo().Config.Replicas; got != o.Replicas {
		return nil, fmt.Errorf("jetstream: stream %s has %d replicas, this node asks for %d", o.Name, got, o.Replicas)
	}
	obj := o.Name + "_OBJ"
	s.objects, err = js.ObjectStore(ctx, obj)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		s.objects, err = js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{
			Bucket: obj, Storage: jetstream.FileStorage, Replicas: o.Replicas,
		})
	}
	if err != nil {
		return nil, fmt.Errorf("jetstream: object store %s: %w", obj, err)
	}
	status, err := s.objects.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("jetstream: object store %s: %w", obj, err)
	}
	if got := status.Replicas(); got != o.Replicas {
		return nil, fmt.Errorf("jetstream: object store %s has %d replicas, this node asks for %d", obj, got, o.Replicas)
	}
	return s, nil
}

// Close closes the store's connection.
func (s *Store) Close() error {
	s.nc.Close()
	return nil
}

// ctx returns a context bounded by the store's request timeout.
func (s *Store) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), s.timeout)
}
