package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progressEvery is how often a long command writes a progress line when its
// output is not a terminal (CI, nohup, a pipe): at least this often, whether
// or not anything finished in between, so a log never falls silent.
var progressEvery = 10 * time.Second

// progress reports a long command's advance on stderr: a bar on a terminal;
// otherwise (CI=true, a pipe, a file) one line at least every progressEvery
// with units done, total, elapsed time and an estimate of the time left, and
// a last line when it is done.
type progress struct {
	bar *progressbar.ProgressBar

	// line mode
	mu      sync.Mutex
	w       io.Writer
	what    string
	total   int64
	n, n0   int64 // units done; done when the first count came (a resumed run)
	seen    bool  // a count came
	lines   int   // lines written
	start   time.Time
	format  func(n, total int64) string
	stop    chan struct{}
	stopped sync.WaitGroup
}

// newProgress reports a count of total units (cells, functions) on w.
func newProgress(w io.Writer, total int64, what string) *progress {
	return startProgress(w, total, what, func(n, total int64) string {
		return fmt.Sprintf("%d/%d done (%s)", n, total, percent(n, total))
	})
}

// newVirtualProgress reports a run over a span of virtual time, counted in
// microseconds of virtual time.
func newVirtualProgress(w io.Writer, span time.Duration, what string) *progress {
	return startProgress(w, span.Microseconds(), what, func(n, total int64) string {
		return fmt.Sprintf("virtual time %s of %s (%s)", roundDur(time.Duration(n)*time.Microsecond), roundDur(time.Duration(total)*time.Microsecond), percent(n, total))
	})
}

// newHeartbeat reports a step whose size is unknown: off a terminal, a line
// with the elapsed time at least every progressEvery; nothing on a terminal
// or for a step shorter than that.
func newHeartbeat(w io.Writer, what string) *progress {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) && os.Getenv("CI") == "" {
		return &progress{}
	}
	return startProgress(w, -1, what, func(n, total int64) string { return "working" })
}

func startProgress(w io.Writer, total int64, what string, format func(n, total int64) string) *progress {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) && os.Getenv("CI") == "" {
		return &progress{bar: progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(what),
			progressbar.OptionShowElapsedTimeOnFinish(),
			progressbar.OptionThrottle(100_000_000),
			progressbar.OptionClearOnFinish(),
		)}
	}
	p := &progress{w: w, what: what, total: total, start: time.Now(), format: format, stop: make(chan struct{})}
	p.stopped.Add(1)
	go func() {
		defer p.stopped.Done()
		t := time.NewTicker(progressEvery)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.mu.Lock()
				p.line(false)
				p.mu.Unlock()
			}
		}
	}()
	return p
}

// set records that n units are done.
func (p *progress) set(n int64) {
	if p.bar != nil {
		p.bar.Set64(n)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.seen {
		// Units done before the first count (cells a resumed run finds on
		// disk) do not speed up the estimate of the time left.
		p.n0, p.seen = n, true
	}
	p.n = n
}

// done ends the report (a bar is cleared; line mode writes a last line
// when it wrote any: a command shorter than progressEvery stays quiet).
func (p *progress) done() {
	if p.bar != nil {
		p.bar.Finish()
		return
	}
	if p.stop == nil {
		return
	}
	close(p.stop)
	p.stopped.Wait()
	p.stop = nil
	p.mu.Lock()
	if p.lines > 0 {
		p.line(true)
	}
	p.mu.Unlock()
}

// line writes one progress line; the caller holds p.mu.
func (p *progress) line(final bool) {
	elapsed := time.Since(p.start)
	eta := "unknown"
	switch {
	case p.total < 0: // a heartbeat: no total
	case p.n >= p.total:
		eta = "0s"
	case p.n > p.n0:
		left := float64(p.total-p.n) * float64(elapsed) / float64(p.n-p.n0)
		eta = roundDur(time.Duration(left)).String()
	}
	state := "ETA " + eta
	if final {
		state = "ended"
	}
	fmt.Fprintf(p.w, "%s: %s, elapsed %s, %s\n", p.what, p.format(p.n, p.total), roundDur(elapsed), state)
	p.lines++
}

func percent(n, total int64) string {
	if total <= 0 {
		return "– %"
	}
	return fmt.Sprintf("%.0f %%", 100*float64(n)/float64(total))
}

// roundDur rounds a duration for reading: whole seconds, tenths below 10 s.
func roundDur(d time.Duration) time.Duration {
	if d < 10*time.Second {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Second)
}
