package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/nexustask/nexus/client"
	"github.com/spf13/cobra"
)

func newTopCmd() *cobra.Command {
	var server string
	var interval time.Duration
	cmd := &cobra.Command{
		Use:   "top",
		Short: "A live view of a server: throughput, errors, queue, workers, running tasks, failures",
		Long: `A live view of a server, fed by its event stream (GET /v1/events, SSE) and
its metrics (GET /v1/metrics every --interval): throughput and errors per
second, queue depth by priority, worker tokens, running tasks with their
progress, preemptions, the result cache's hit ratio and recent failures.

Keys: q quits; p pauses; s changes the sort (age, progress, module,
priority); / filters by module (Enter applies, Esc clears); up and down
select a task; t opens its timeline (Esc closes it).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := newClient(server)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithCancel(cmd.Context())
			defer cancel()
			m := newTopModel(ctx, c.Client, interval)
			p := tea.NewProgram(m, tea.WithInput(cmd.InOrStdin()), tea.WithOutput(cmd.OutOrStdout()), tea.WithContext(ctx))
			go m.follow(ctx, p)
			_, err = p.Run()
			if err == tea.ErrProgramKilled && ctx.Err() != nil {
				return nil
			}
			return err
		},
	}
	addServerFlag(cmd, &server)
	cmd.Flags().DurationVar(&interval, "interval", time.Second, "how often to read the metrics")
	return cmd
}

// topTask is a task the view has seen start.
type topTask struct {
	id, module    string
	priority      int
	done, total   int64
	started, last time.Time
	fuel          float64 // fuel used of its last finished attempt
}

// topModel is nexus top's state: what the events and metrics said.
type topModel struct {
	ctx      context.Context
	c        *client.Client
	interval time.Duration

	width          int
	paused         bool
	sortBy         int // index in topSorts
	filter         string
	editing        bool // typing a filter
	selected       int
	timeline       string // the open timeline, "" if none
	connected, err string

	running  map[string]*topTask
	failures []string // newest last
	prev     map[string]float64
	prevAt   time.Time
	figures  topFigures
}

// topFigures are what the last two metric readings give.
type topFigures struct {
	perSec, errPerSec, hitRatio float64
	queue                       map[string]float64 // by priority
	tokens, utilization, busy   float64
	preemptions                 float64
}

var topSorts = []string{"age", "progress", "module", "priority"}

type (
	topEventMsg    struct{ e *client.Event }
	topMetricsMsg  struct{ fams []client.MetricFamily }
	topTickMsg     struct{}
	topErrMsg      struct{ err error }
	topTimelineMsg struct{ text string }
)

func newTopModel(ctx context.Context, c *client.Client, interval time.Duration) *topModel {
	return &topModel{ctx: ctx, c: c, interval: interval, running: map[string]*topTask{}, width: 100}
}

// follow feeds the program the server's task events until ctx ends,
// reconnecting after a lost stream.
func (m *topModel) follow(ctx context.Context, p *tea.Program) {
	after := ""
	for ctx.Err() == nil {
		s, err := m.c.FollowEvents(ctx, client.EventFilter{Types: []string{"task.*", "invoke.*"}, After: after, Since: time.Now().Add(-time.Minute)})
		if err != nil {
			p.Send(topErrMsg{err})
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
			continue
		}
		for {
			e, err := s.Next()
			if err != nil {
				break
			}
			after = e.ID
			p.Send(topEventMsg{e})
		}
		s.Close()
	}
}

func (m *topModel) Init() tea.Cmd { return tea.Batch(m.readMetrics(), tea.SetWindowTitle("nexus top")) }

func (m *topModel) readMetrics() tea.Cmd {
	return func() tea.Msg {
		fams, _, err := m.c.Metrics(m.ctx, "nexus_")
		if err != nil {
			return topErrMsg{err}
		}
		return topMetricsMsg{fams}
	}
}

func (m *topModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width = msg.Width
	case tea.KeyMsg:
		return m.key(msg)
	case topEventMsg:
		m.connected, m.err = "events: live", ""
		m.event(msg.e)
	case topMetricsMsg:
		if !m.paused {
			m.metrics(msg.fams, time.Now())
		}
		return m, tea.Tick(m.interval, func(time.Time) tea.Msg { return topTickMsg{} })
	case topTickMsg:
		return m, m.readMetrics()
	case topErrMsg:
		m.err = msg.err.Error()
		return m, tea.Tick(m.interval, func(time.Time) tea.Msg { return topTickMsg{} })
	case topTimelineMsg:
		m.timeline = msg.text
	}
	return m, nil
}

func (m *topModel) key(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	if m.editing {
		switch k.Type {
		case tea.KeyEnter:
			m.editing = false
		case tea.KeyEsc:
			m.editing, m.filter = false, ""
		case tea.KeyBackspace:
			if m.filter != "" {
				m.filter = m.filter[:len(m.filter)-1]
			}
		case tea.KeyRunes:
			m.filter += string(k.Runes)
		}
		return m, nil
	}
	switch k.String() {
	case "q", "ctrl+c":
		return m, tea.Quit
	case "p":
		m.paused = !m.paused
	case "s":
		m.sortBy = (m.sortBy + 1) % len(topSorts)
	case "/":
		m.editing, m.filter = true, ""
	case "up":
		m.selected = max(m.selected-1, 0)
	case "down":
		m.selected++
	case "esc":
		m.timeline = ""
	case "t":
		if rows := m.rows(); len(rows) > 0 {
			return m, m.openTimeline(rows[min(m.selected, len(rows)-1)].id)
		}
	}
	return m, nil
}

// openTimeline reads a task's timeline (GET /v1/tasks/{id}/timeline).
func (m *topModel) openTimeline(id string) tea.Cmd {
	return func() tea.Msg {
		tl, err := m.c.TaskTimeline(m.ctx, id)
		if err != nil {
			return topTimelineMsg{fmt.Sprintf("timeline of %s: %v", id, err)}
		}
		var b strings.Builder
		fmt.Fprintf(&b, "timeline of %s (%s, %s, %.1f ms):\n", tl.TaskID, tl.Module, tl.State, tl.DurationMs)
		for _, p := range tl.Phases {
			fmt.Fprintf(&b, "  %-12s %9.2f ms %s%s\n", p.Phase, p.DurationMs, p.ErrorCode, p.Reason)
		}
		return topTimelineMsg{b.String()}
	}
}

// event updates the running tasks and failures from one event.
func (m *topModel) event(e *client.Event) {
	num := func(k string) float64 { f, _ := e.Data[k].(float64); return f }
	switch e.Type {
	case "task.started":
		m.running[e.TaskID] = &topTask{id: e.TaskID, module: e.Module, priority: e.Priority, started: e.Time, last: e.Time}
	case "task.progress", "task.checkpointed":
		if t := m.running[e.TaskID]; t != nil {
			t.done, t.total, t.last = int64(num("done")), int64(num("total")), e.Time
		}
	case "task.succeeded", "task.canceled":
		delete(m.running, e.TaskID)
	case "task.failed", "task.dead", "task.retrying":
		delete(m.running, e.TaskID)
		code, _ := e.Data["error_code"].(string)
		msg, _ := e.Data["error_message"].(string)
		m.failures = append(m.failures, fmt.Sprintf("%s %s %s %s: %s", e.Time.Local().Format("15:04:05"), e.Type, e.Module, code, msg))
		if len(m.failures) > 6 {
			m.failures = m.failures[len(m.failures)-6:]
		}
	}
}

// metrics turns a reading of /v1/metrics into rates against the last.
func (m *topModel) metrics(fams []client.MetricFamily, now time.Time) {
	cur := map[string]float64{}
	f := topFigures{queue: map[string]float64{}}
	for _, fam := range fams {
		for _, s := range fam.Metrics {
			v := 0.0
			if s.Value != nil {
				v = *s.Value
			}
			switch fam.Name {
			case "nexus_invocations_total":
				cur["runs"] += v
				if s.Labels["outcome"] != "ok" {
					cur["errors"] += v
				}
			case "nexus_executor_queue_depth":
				f.queue[s.Labels["priority"]] += v
			case "nexus_executor_tokens":
				f.tokens += v
			case "nexus_executor_token_utilization":
				f.utilization = v
			case "nexus_executor_running":
				f.busy += v
			case "nexus_executor_preemptions_total":
				f.preemptions += v
			}
			if strings.Contains(fam.Name, "cache") && strings.HasSuffix(fam.Name, "_total") {
				switch {
				case strings.Contains(fam.Name, "hit"):
					cur["hits"] += v
				case strings.Contains(fam.Name, "miss"):
					cur["misses"] += v
				}
			}
		}
	}
	if m.prev != nil {
		if dt := now.Sub(m.prevAt).Seconds(); dt > 0 {
			f.perSec = (cur["runs"] - m.prev["runs"]) / dt
			f.errPerSec = (cur["errors"] - m.prev["errors"]) / dt
		}
	}
	if lookups := cur["hits"] + cur["misses"]; lookups > 0 {
		f.hitRatio = cur["hits"] / lookups
	}
	m.prev, m.prevAt, m.figures = cur, now, f
}

// rows are the running tasks that pass the filter, in the chosen order.
func (m *topModel) rows() []*topTask {
	var rows []*topTask
	for _, t := range m.running {
		if m.filter == "" || strings.Contains(t.module, m.filter) {
			rows = append(rows, t)
		}
	}
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		switch topSorts[m.sortBy] {
		case "progress":
			return frac(a) > frac(b)
		case "module":
			return a.module < b.module || a.module == b.module && a.id < b.id
		case "priority":
			return a.priority > b.priority || a.priority == b.priority && a.id < b.id
		}
		return a.started.Before(b.started) || a.started.Equal(b.started) && a.id < b.id
	})
	return rows
}

func frac(t *topTask) float64 {
	if t.total <= 0 {
		return 0
	}
	return float64(t.done) / float64(t.total)
}

// bar draws a progress bar of width w.
func bar(f float64, w int) string {
	n := int(f*float64(w) + 0.5)
	n = min(max(n, 0), w)
	return "[" + strings.Repeat("#", n) + strings.Repeat(".", w-n) + "]"
}

func (m *topModel) View() string {
	var b strings.Builder
	f := m.figures
	state := "live"
	if m.paused {
		state = "PAUSED"
	}
	fmt.Fprintf(&b, "NexusTask top — %s — %s  sort: %s  filter: %q\n", m.c.BaseURL(), state, topSorts[m.sortBy], m.filter)
	fmt.Fprintf(&b, "throughput %.1f/s  errors %.1f/s  cache hit ratio %.0f%%  preemptions %.0f\n", f.perSec, f.errPerSec, 100*f.hitRatio, f.preemptions)
	fmt.Fprintf(&b, "workers %.0f busy of %.0f tokens (utilization %.0f%%)  queue by priority:", f.busy, f.tokens, 100*f.utilization)
	prios := make([]string, 0, len(f.queue))
	for p := range f.queue {
		prios = append(prios, p)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(prios)))
	for _, p := range prios {
		fmt.Fprintf(&b, " %s:%.0f", p, f.queue[p])
	}
	b.WriteString("\n\n")
	rows := m.rows()
	fmt.Fprintf(&b, "RUNNING (%d)\n%-28s %-16s %3s %-22s %8s\n", len(rows), "TASK", "MODULE", "PRI", "PROGRESS", "AGE")
	for i, t := range rows {
		if i == 20 {
			fmt.Fprintf(&b, "… %d more\n", len(rows)-i)
			break
		}
		mark := " "
		if i == min(m.selected, len(rows)-1) {
			mark = ">"
		}
		fmt.Fprintf(&b, "%s%-27s %-16s %3d %s %8s\n", mark, t.id, t.module, t.priority, bar(frac(t), 20),
			time.Since(t.started).Truncate(100*time.Millisecond))
	}
	b.WriteString("\nRECENT FAILURES\n")
	for _, l := range m.failures {
		b.WriteString(l + "\n")
	}
	if m.timeline != "" {
		b.WriteString("\n" + m.timeline)
	}
	if m.err != "" {
		b.WriteString("\nerror: " + m.err + "\n")
	}
	if m.editing {
		b.WriteString("\nfilter by module: " + m.filter + "_\n")
	} else {
		b.WriteString("\nq quit  p pause  s sort  / filter  ↑↓ select  t timeline\n")
	}
	return b.String()
}
