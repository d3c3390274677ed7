package events

import (
	"encoding/json"
	"strconv"
	"time"
)

// appendJSON appends e as the API shows it, the same JSON as
// json.Marshal(e) gives, written without reflection: every SSE client and
// webhook delivery of an event starts from it.
func appendJSON(b []byte, e *Event) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendQuote(b, e.ID)
	b = append(b, `,"type":`...)
	b = strconv.AppendQuote(b, e.Type)
	b = append(b, `,"time":"`...)
	b = e.Time.AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"')
	b = appendField(b, "task_id", e.TaskID)
	b = appendField(b, "module", e.Module)
	if e.Version != 0 {
		b = append(b, `,"version":`...)
		b = strconv.AppendInt(b, int64(e.Version), 10)
	}
	b = appendField(b, "state", e.State)
	if e.Attempt != 0 {
		b = append(b, `,"attempt":`...)
		b = strconv.AppendInt(b, int64(e.Attempt), 10)
	}
	if e.Priority != 0 {
		b = append(b, `,"priority":`...)
		b = strconv.AppendInt(b, int64(e.Priority), 10)
	}
	b = appendField(b, "category", e.Category)
	if len(e.Tags) > 0 {
		b = append(b, `,"tags":[`...)
		for i, t := range e.Tags {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendQuoted(b, t)
		}
		b = append(b, ']')
	}
	b = appendField(b, "workflow_id", e.Workflow)
	b = appendField(b, "node", e.Node)
	b = appendField(b, "traceparent", e.TraceParent)
	b = append(b, `,"data":`...)
	if e.Data.isZero() {
		b = append(b, "{}"...)
	} else {
		data, _ := json.Marshal(&e.Data) // no field can fail to encode
		b = append(b, data...)
	}
	return append(b, '}')
}

// appendField appends ,"name":"value" unless value is empty (omitempty).
func appendField(b []byte, name, value string) []byte {
	if value == "" {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return appendQuoted(b, value)
}

// appendQuoted appends s as a JSON string. Event fields hold names, ids
// and codes; anything else goes through encoding/json's escaping.
func appendQuoted(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x7f || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
