package logline_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/nexustask/nexus/internal/logline"
)

// both formats r with logline's handler and with the standard one of the
// same format and options.
func both(t testing.TB, json bool, opts *slog.HandlerOptions, r slog.Record) (got, want string) {
	t.Helper()
	var g, w bytes.Buffer
	if err := logline.New(&g, json, opts).Handle(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	var std slog.Handler = slog.NewTextHandler(&w, opts)
	if json {
		std = slog.NewJSONHandler(&w, opts)
	}
	if err := std.Handle(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return g.String(), w.String()
}

func record(tm time.Time, level slog.Level, msg string, attrs ...slog.Attr) slog.Record {
	r := slog.NewRecord(tm, level, msg, 0)
	r.AddAttrs(attrs...)
	return r
}

func TestSameAsSlog(t *testing.T) {
	berlin := time.FixedZone("CET", 3600)
	times := []time.Time{
		time.Date(2026, 12, 6, 12, 30, 5, 123456789, time.UTC),
		time.Date(2026, 12, 6, 12, 30, 5, 0, time.UTC),        // RFC3339Nano drops the fraction
		time.Date(2026, 12, 6, 12, 30, 5, 120000000, berlin),  // and trailing zeros
		time.Date(2026, 1, 2, 3, 4, 5, 999999999, time.Local), // rounds in the text format's millis
		time.Now(), // with a monotonic reading
		{},         // no time: the key is left out
		time.Date(12026, 1, 1, 0, 0, 0, 0, time.UTC), // a five-digit year: the standard path
		time.Date(1999, 12, 31, 23, 59, 59, 1000000, berlin),
	}
	request := []slog.Attr{
		slog.String("method", "POST"), slog.String("path", "/v1/modules/echo/invoke"),
		slog.Int("status", 200), slog.Int64("bytes", 64), slog.Duration("duration", 5123*time.Nanosecond),
		slog.String("task_id", "01a24b2f9ffd38cecf66a0897df3faa3"),
	}
	attrSets := [][]slog.Attr{
		nil,
		request,
		{slog.Bool("ok", true), slog.Bool("no", false), slog.Uint64("u", 1<<63), slog.Int("neg", -42)},
		{slog.Duration("d0", 0), slog.Duration("d1", 90*time.Minute), slog.Duration("d2", -3*time.Millisecond)},
		// The standard path: strings that need quoting or escaping, other kinds.
		{slog.String("path", "/v1/a b")},
		{slog.String("q", `say "hi"`)},
		{slog.String("back", `C:\x`)},
		{slog.String("eq", "a=b")},
		{slog.String("empty", "")},
		{slog.String("uni", "héllo")},
		{slog.String("html", "<a>&")},
		{slog.String("ctl", "a\nb")},
		{slog.String("", "keyless")},
		{slog.Any("err", io.EOF)},
		{slog.Float64("f", 1.5)},
		{slog.Time("at", time.Unix(0, 0).UTC())},
		{slog.Group("g", slog.Int("a", 1))},
		{{}}, // an empty attribute, which the handlers leave out
	}
	messages := []string{"request", "listening", "pprof listening", "", "a=b"}
	levels := []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError, slog.LevelInfo + 2, slog.LevelDebug - 1}
	n := 0
	for _, json := range []bool{false, true} {
		for _, tm := range times {
			for _, attrs := range attrSets {
				for _, msg := range messages {
					for _, lv := range levels {
						r := record(tm, lv, msg, attrs...)
						got, want := both(t, json, &slog.HandlerOptions{Level: slog.LevelDebug - 10}, r)
						if got != want {
							t.Fatalf("json=%v:\n got %q\nwant %q", json, got, want)
						}
						n++
					}
				}
			}
		}
	}
	t.Logf("%d records formatted alike", n)
}

func TestLevelAndOptions(t *testing.T) {
	var b bytes.Buffer
	h := logline.New(&b, false, &slog.HandlerOptions{Level: slog.LevelWarn})
	if h.Enabled(context.Background(), slog.LevelInfo) || !h.Enabled(context.Background(), slog.LevelWarn) {
		t.Fatal("Enabled does not follow the options' level")
	}
	if h := logline.New(&b, true, nil); h.Enabled(context.Background(), slog.LevelDebug) || !h.Enabled(context.Background(), slog.LevelInfo) {
		t.Fatal("without options the level is Info")
	}
	// ReplaceAttr and AddSource are the standard handler's business.
	opts := &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == "status" {
			a.Value = slog.StringValue("changed")
		}
		return a
	}}
	got, want := both(t, true, opts, record(time.Now(), slog.LevelInfo, "request", slog.Int("status", 200)))
	if got != want || !bytes.Contains([]byte(got), []byte(`"status":"changed"`)) {
		t.Fatalf("ReplaceAttr: got %q, want %q", got, want)
	}
	got, want = both(t, false, &slog.HandlerOptions{AddSource: true}, record(time.Now(), slog.LevelInfo, "request"))
	if got != want {
		t.Fatalf("AddSource: got %q, want %q", got, want)
	}
}

func TestWithAttrsAndGroups(t *testing.T) {
	for _, json := range []bool{false, true} {
		var g, w bytes.Buffer
		mine := slog.New(logline.New(&g, json, nil)).With("svc", "nexus").WithGroup("req")
		var std slog.Handler = slog.NewTextHandler(&w, nil)
		if json {
			std = slog.NewJSONHandler(&w, nil)
		}
		theirs := slog.New(std).With("svc", "nexus").WithGroup("req")
		tm := time.Date(2026, 12, 6, 1, 2, 3, 4, time.UTC)
		r := record(tm, slog.LevelInfo, "request", slog.Int("status", 200))
		mine.Handler().Handle(context.Background(), r)
		theirs.Handler().Handle(context.Background(), r)
		if g.String() != w.String() {
			t.Fatalf("json=%v: got %q, want %q", json, g.String(), w.String())
		}
	}
}

func FuzzSameAsSlog(f *testing.F) {
	f.Add(false, "request", "path", "/v1/modules/echo/invoke", int64(200), int64(5123), int64(1733486400123456789), int8(0))
	f.Add(true, "a b", "k=v", "x\"y", int64(-1), int64(-90), int64(0), int8(4))
	f.Fuzz(func(t *testing.T, json bool, msg, key, s string, i, d, ns int64, lv int8) {
		tm := time.Unix(0, ns).UTC()
		r := record(tm, slog.Level(lv), msg, slog.String(key, s), slog.Int64("i", i), slog.Duration("d", time.Duration(d)))
		got, want := both(t, json, &slog.HandlerOptions{Level: slog.Level(-128)}, r)
		if got != want {
			t.Fatalf("json=%v:\n got %q\nwant %q", json, got, want)
		}
	})
}

// BenchmarkRequestLine formats a request log line with logline's handler
// and the standard ones.
func BenchmarkRequestLine(b *testing.B) {
	for _, c := range []struct {
		name string
		h    slog.Handler
	}{
		{"logline-text", logline.New(io.Discard, false, nil)},
		{"slog-text", slog.NewTextHandler(io.Discard, nil)},
		{"logline-json", logline.New(io.Discard, true, nil)},
		{"slog-json", slog.NewJSONHandler(io.Discard, nil)},
	} {
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				r := slog.NewRecord(time.Now(), slog.LevelInfo, "request", 0)
				r.AddAttrs(slog.String("method", "POST"), slog.String("path", "/v1/modules/echo/invoke"),
					slog.Int("status", 200), slog.Int64("bytes", 64), slog.Duration("duration", 5123*time.Nanosecond))
				r.AddAttrs(slog.String("task_id", "01a24b2f9ffd38cecf66a0897df3faa3"))
				c.h.Handle(ctx, r)
			}
		})
	}
}
