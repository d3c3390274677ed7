package main

import (
	"io"
	"os"

	"github.com/nexustask/nexus/client"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// isTerminal reports whether w is a terminal, the only place a progress
// bar is drawn: redirected to a file or a pipe, w gets none of its
// carriage returns and escape codes.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progress shows a task's reported progress while `nexus task wait`
// waits for it: a bar on a terminal, nothing elsewhere. It is used by one
// goroutine at a time.
type progress struct {
	w        io.Writer
	terminal bool
	bar      *progressbar.ProgressBar
	total    int64 // the bar's total; -1 while unknown (a spinner)
}

// newProgress returns the progress display of w; terminal says whether w
// is a terminal (isTerminal), the only case in which anything is drawn.
func newProgress(w io.Writer, terminal bool) *progress {
	return &progress{w: w, terminal: terminal}
}

// draw shows r's progress and state: a bar of done/total once the task
// reports a total, a spinner before.
func (p *progress) draw(r *client.Task) {
	if !p.terminal {
		return
	}
	done, total := r.Progress[0], r.Progress[1]
	if total <= 0 {
		total, done = -1, 0
	}
	if p.bar == nil {
		p.bar = progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetWidth(30),
			progressbar.OptionShowCount(),
			// Redrawn at each poll, never from a goroutine of its own.
			progressbar.OptionSetSpinnerChangeInterval(0),
			progressbar.OptionSetElapsedTime(false),
			progressbar.OptionSetPredictTime(false),
		)
	}
	p.bar.Describe(string(r.State))
	if p.total != total {
		p.bar.ChangeMax64(total)
	}
	p.total = total
	if total > 0 {
		p.bar.Set64(min(max(done, 0), total))
	} else {
		p.bar.Add64(1) // turns the spinner
	}
}

// finish erases the bar, if one was drawn, before the output or error is
// printed.
func (p *progress) finish() {
	if p.bar != nil {
		p.bar.Clear()
		p.bar.Exit()
		p.bar = nil
	}
}
