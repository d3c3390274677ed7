package events

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

func TestCodecRoundTrip(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	for _, e := range []*Event{
		{Type: TaskSubmitted, Time: at, TaskID: "0123", Module: "m", Version: 3, State: "queued", Priority: 9, Category: "c", Tags: []string{"a", "b"}, Node: "n"},
		{Type: TaskFailed, Time: at, Attempt: 2, Data: Data{ErrorCode: "trap", ErrorMessage: "x", FuelUsed: 7, DurationMs: 1, RunAt: &at}},
		{Type: WebhookFailing, Time: time.Unix(0, 0).UTC(), Version: -1},
		{Type: WorkflowStepFinished, Time: at, Workflow: "wf1", Data: Data{Step: "s", Summary: []byte(`{"a":1}`)}},
		{Type: TaskSucceeded, Time: at, TaskID: "0123", TraceParent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
	} {
		got, err := Decode(5, e.Encode())
		if err != nil {
			t.Fatal(err)
		}
		want := e
		if !reflect.DeepEqual(got.Type, want.Type) || !reflect.DeepEqual(got.Data, want.Data) || got.TaskID != want.TaskID ||
			!got.Time.Equal(want.Time) || !reflect.DeepEqual(got.Tags, want.Tags) || got.Version != want.Version ||
			got.Attempt != want.Attempt || got.Priority != want.Priority || got.Node != want.Node || got.ID != FormatID(5) ||
			got.Module != want.Module || got.State != want.State || got.Category != want.Category || got.Workflow != want.Workflow ||
			got.TraceParent != want.TraceParent {
			t.Fatalf("decoded %+v, want %+v", got, want)
		}
	}
}

// FuzzDecode: no input makes Decode panic, and what it accepts encodes
// back to the same bytes.
func FuzzDecode(f *testing.F) {
	f.Add((&Event{Type: TaskSucceeded, TaskID: "x", Tags: []string{"t"}, Data: Data{FuelUsed: 3}}).Encode())
	f.Add([]byte{codecV1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{codecV2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{codecV3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := Decode(1, b)
		if err != nil {
			return
		}
		e.enc = nil
		if _, err := Decode(1, e.Encode()); err != nil {
			t.Fatalf("re-encoding %x: %v", b, err)
		}
	})
}

// TestJSON: Event.JSON is what encoding/json makes of the event.
func TestJSON(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 60, time.UTC)
	for _, e := range []*Event{
		{Type: TaskSubmitted, Time: at, TaskID: "0123", Module: "m", Version: 3, State: "queued", Priority: 9, Category: "c", Tags: []string{"a", "b\"<"}, Node: "n"},
		{Type: TaskFailed, Time: at, Attempt: 2, Data: Data{ErrorCode: "trap", ErrorMessage: "x \u2028 é", FuelUsed: 7, DurationMs: 1, RunAt: &at}},
		{Type: WebhookFailing, Time: time.Unix(0, 0).UTC(), Version: -1},
		{Type: WorkflowStepFinished, Time: at, Workflow: "wf1", Node: "n", Data: Data{Step: "s", Summary: []byte(`{"a":1}`)}},
		{Type: TaskSucceeded, Time: at, TaskID: "0123", Node: "n", TraceParent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
	} {
		e.Committed(42)
		want, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		if got := e.JSON(); string(got) != string(want) {
			t.Fatalf("JSON\n%s\nwant\n%s", got, want)
		}
	}
}
