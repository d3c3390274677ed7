package otlptest

import (
	"context"
	"net"

	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
)

// NewGRPC starts a Receiver that takes OTLP over gRPC (the trace
// service's Export) on 127.0.0.1; Addr is its host:port. Close stops it.
func NewGRPC() (*Receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &Receiver{changed: make(chan struct{}), addr: ln.Addr().String()}
	r.grpc = grpc.NewServer()
	collectortrace.RegisterTraceServiceServer(r.grpc, traceService{r: r})
	go r.grpc.Serve(ln)
	return r, nil
}

// Addr is a gRPC receiver's host:port.
func (r *Receiver) Addr() string { return r.addr }

// traceService is the gRPC trace service of a Receiver.
type traceService struct {
	collectortrace.UnimplementedTraceServiceServer
	r *Receiver
}

// Export implements collectortrace.TraceServiceServer.
func (s traceService) Export(_ context.Context, req *collectortrace.ExportTraceServiceRequest) (*collectortrace.ExportTraceServiceResponse, error) {
	s.r.add(decode(req))
	return &collectortrace.ExportTraceServiceResponse{}, nil
}
