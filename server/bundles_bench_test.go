package server_test

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"testing"

	"github.com/nexustask/nexus/internal/node"
)

// BenchmarkBundleUpload uploads a 100 MiB tar archive of 100 random 1 MiB
// files to a node over loopback HTTP (POST /v1/bundles/{name}): reading,
// hashing, writing and syncing the blobs, building and syncing the tree,
// committing the index. Each iteration's content is new, so nothing is
// deduplicated; the bundle is deleted between iterations, untimed.
func BenchmarkBundleUpload(b *testing.B) {
	nc := node.DefaultConfig()
	nc.Addr, nc.DataDir, nc.Logger = "127.0.0.1:0", b.TempDir(), slog.New(slog.DiscardHandler)
	n, err := node.New(context.Background(), nc)
	if err != nil {
		b.Fatal(err)
	}
	defer n.Close(context.Background())
	if err := n.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	url := n.URL()
	const files, size = 100, 1 << 20
	archive := func() []byte {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		chunk := make([]byte, size)
		for i := range files {
			rand.Read(chunk)
			tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("dir/f%03d", i), Mode: 0o644, Size: size, Typeflag: tar.TypeReg})
			tw.Write(chunk)
		}
		tw.Close()
		return buf.Bytes()
	}
	b.SetBytes(files * size)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		body := archive()
		b.StartTimer()
		resp, err := http.Post(url+"/v1/bundles/bench", "application/x-tar", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			b.Fatalf("upload: %s", resp.Status)
		}
		b.StopTimer()
		req, _ := http.NewRequest(http.MethodDelete, url+"/v1/bundles/bench", nil)
		if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusNoContent {
			b.Fatalf("delete: %v %v", resp, err)
		}
		b.StartTimer()
	}
}
