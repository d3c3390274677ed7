package bundle

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"testing"
)

// FuzzReadArchive: any bytes read as an archive either fail with a kind
// the API answers as a client error, or give a manifest that is sorted,
// clean, closed and keeps every link inside the tree.
func FuzzReadArchive(f *testing.F) {
	for _, files := range [][][3]string{
		{{"a.txt", "alpha", ""}, {"d/b", "beta", ""}},
		{{"l", "", "a"}, {"a", "x", ""}},
		{{"../x", "x", ""}},
		{{"d/", "", ""}, {"d/e/f", "", ""}},
	} {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		for _, e := range files {
			h := &tar.Header{Name: e[0], Mode: 0o644, Size: int64(len(e[1])), Typeflag: tar.TypeReg}
			if e[2] != "" {
				h.Typeflag, h.Size, h.Linkname = tar.TypeSymlink, 0, e[2]
			}
			tw.WriteHeader(h)
			tw.Write([]byte(e[1]))
		}
		tw.Close()
		f.Add(buf.Bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		put := func(r io.Reader, size int64) (string, error) {
			h := sha256.New()
			n, err := io.Copy(h, r)
			if err != nil { // as Store.putBlob reports a failed read
				return "", fmt.Errorf("%w: %w", ErrInvalid, err)
			}
			if n != size {
				return "", ErrInvalid
			}
			return hex.EncodeToString(h.Sum(nil)), nil
		}
		m, err := readArchive(bytes.NewReader(data), false, Limits{MaxBytes: 1 << 20, MaxFiles: 100}, put)
		if err != nil {
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("error of no client kind: %v", err)
			}
			return
		}
		if err := m.check(); err != nil {
			t.Fatalf("manifest %+v: %v", m, err)
		}
		if _, err := DecodeManifest(m.Encode()); err != nil {
			t.Fatal(err)
		}
	})
}
