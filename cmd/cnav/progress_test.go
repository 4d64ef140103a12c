package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestProgressLines: off a terminal (a buffer here, CI or a pipe in use),
// progress is a line at least every progressEvery with units done, total,
// elapsed time and the time left, even while no unit finishes, and a last
// line at the end.
func TestProgressLines(t *testing.T) {
	defer func(d time.Duration) { progressEvery = d }(progressEvery)
	progressEvery = 20 * time.Millisecond
	var buf bytes.Buffer
	p := newProgress(&buf, 10, "cells")
	p.set(2) // a resumed run: 2 cells were on disk
	time.Sleep(70 * time.Millisecond)
	p.set(6)
	time.Sleep(70 * time.Millisecond) // nothing finishes: lines go on
	p.done()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) < 4 {
		t.Fatalf("%d lines, want a line every 20 ms over 140 ms and a last one:\n%s", len(lines), buf.String())
	}
	re := regexp.MustCompile(`^cells: \d+/10 done \(\d+ %\), elapsed [0-9.]+m?s, (ETA (unknown|[0-9.hms]+)|ended)$`)
	for _, l := range lines {
		if !re.MatchString(l) {
			t.Errorf("line %q does not match %s", l, re)
		}
	}
	if !strings.Contains(buf.String(), "cells: 2/10 done (20 %)") || !strings.Contains(buf.String(), "cells: 6/10 done (60 %)") {
		t.Errorf("counts missing:\n%s", buf.String())
	}
	if last := lines[len(lines)-1]; !strings.HasSuffix(last, "ended") || !strings.HasPrefix(last, "cells: 6/10") {
		t.Errorf("last line %q", last)
	}
	// The estimate counts only the cells of this run (4 in ~70 ms: 4 left
	// take about as long), not the 2 found on disk.
	m := regexp.MustCompile(`6/10 done \(60 %\), elapsed [0-9.]+m?s, ETA [0-9.]+m?s`).FindStringSubmatch(buf.String())
	if m == nil {
		t.Fatalf("no ETA after 6/10:\n%s", buf.String())
	}
}

func TestVirtualProgressLine(t *testing.T) {
	defer func(d time.Duration) { progressEvery = d }(progressEvery)
	progressEvery = 20 * time.Millisecond
	var buf bytes.Buffer
	p := newVirtualProgress(&buf, 10*time.Minute, "simulating face-detection")
	p.set((3*time.Minute + 30*time.Second).Microseconds())
	time.Sleep(30 * time.Millisecond)
	p.done()
	if want := "simulating face-detection: virtual time 3m30s of 10m0s (35 %), elapsed "; !strings.HasPrefix(buf.String(), want) {
		t.Errorf("got %q, want the prefix %q", buf.String(), want)
	}
}

// A command shorter than progressEvery writes no progress at all.
func TestProgressQuietWhenShort(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, 3, "cells")
	p.set(3)
	p.done()
	if buf.Len() != 0 {
		t.Errorf("a short command wrote %q", buf.String())
	}
}

// A step of unknown size (model training) writes a heartbeat line.
func TestHeartbeat(t *testing.T) {
	defer func(d time.Duration) { progressEvery = d }(progressEvery)
	progressEvery = 20 * time.Millisecond
	var buf bytes.Buffer
	p := newHeartbeat(&buf, "model: training the two networks")
	time.Sleep(50 * time.Millisecond)
	p.done()
	if !regexp.MustCompile(`(?m)^model: training the two networks: working, elapsed [0-9.]+m?s, ETA unknown$`).MatchString(buf.String()) {
		t.Errorf("got %q", buf.String())
	}
}
