package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/nexustask/nexus/client"
	"github.com/spf13/cobra"
)

// ganttWidth is the width of a timeline's bars, in cells.
const ganttWidth = 50

// newTaskTimelineCmd is nexus task timeline ID.
func newTaskTimelineCmd(newClient func() (*apiClient, error), asJSON *bool) *cobra.Command {
	return &cobra.Command{
		Use:   "timeline ID",
		Short: "Draw a task's phases as a Gantt chart: queued, waiting, running slices, checkpoints, retries",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newClient()
			if err != nil {
				return err
			}
			t, err := c.TaskTimeline(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if *asJSON {
				return printRaw(cmd.OutOrStdout(), t.Raw)
			}
			drawTimeline(cmd.OutOrStdout(), t, ganttWidth)
			return nil
		},
	}
}

// drawTimeline writes t as a text Gantt chart: a line per phase with its
// offset from the start, its duration and a bar of width cells at most
// placed on the task's whole span; an instant is a '|'.
func drawTimeline(w io.Writer, t *client.Timeline, width int) {
	fmt.Fprintf(w, "task %s (%s) %s, %s\n", t.TaskID, t.Module, t.State, fmtMs(t.DurationMs))
	if t.Partial {
		fmt.Fprintln(w, "(the oldest events were trimmed: the timeline starts late)")
	}
	total := t.DurationMs
	for _, p := range t.Phases {
		off := float64(p.Start.Sub(t.Start).Microseconds()) / 1000
		from, to := cell(off, total, width), cell(off+p.DurationMs, total, width)
		bar := []byte(strings.Repeat(" ", width))
		if p.DurationMs == 0 || to <= from {
			bar[min(from, width-1)] = '|'
		} else {
			for i := from; i < to && i < width; i++ {
				bar[i] = '='
			}
		}
		name := p.Phase
		if p.Attempt > 0 && p.Phase != "submitted" {
			name = fmt.Sprintf("%s #%d", p.Phase, p.Attempt)
		}
		fmt.Fprintf(w, "%-14s %10s %10s [%s]%s\n", name, "+"+fmtMs(off), fmtMs(p.DurationMs), bar, phaseNote(p))
	}
}

// cell is the cell of a chart width wide where ms falls on total.
func cell(ms, total float64, width int) int {
	if total <= 0 {
		return 0
	}
	return min(width, max(0, int(ms/total*float64(width)+0.5)))
}

// phaseNote is what a line adds after its bar: an error, a size.
func phaseNote(p client.Phase) string {
	switch {
	case p.ErrorCode != "":
		return " " + p.ErrorCode + ": " + firstLine(p.ErrorMessage)
	case p.Reason != "":
		return " " + p.Reason
	case p.CheckpointBytes > 0:
		return fmt.Sprintf(" %d bytes", p.CheckpointBytes)
	}
	return ""
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// fmtMs prints milliseconds as a rounded duration.
func fmtMs(ms float64) string {
	d := time.Duration(ms * float64(time.Millisecond))
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	}
	return d.Round(time.Microsecond).String()
}
