package profiler

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
	"time"
)

// Snapshot is one /proc sample of the whole process tree: the paper's memory
// snapshots (Table 2), a sequence of time and size.
type Snapshot struct {
	Seconds   float64 `json:"t"`          // since the command started
	RSSBytes  float64 `json:"rss_bytes"`  // Σ VmRSS
	AnonBytes float64 `json:"anon_bytes"` // Σ RssAnon: heap and other anonymous memory
	Processes int     `json:"processes"`
	Threads   int     `json:"threads"`
}

// procStatus is what the sampler reads of one process.
type procStatus struct {
	rss, anon, stk float64 // bytes
	threads        int
}

func readStatus(pid int) (procStatus, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return procStatus{}, false
	}
	var s procStatus
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		n, _ := strconv.ParseFloat(f[0], 64)
		switch k {
		case "VmRSS":
			s.rss = n * 1024
		case "RssAnon":
			s.anon = n * 1024
		case "VmStk":
			s.stk = n * 1024
		case "Threads":
			s.threads = int(n)
		}
	}
	return s, true
}

// tree returns pid and its descendants, from /proc/PID/task/TID/children.
func tree(pid int) []int {
	out := []int{pid}
	for i := 0; i < len(out); i++ {
		p := strconv.Itoa(out[i])
		tasks, err := os.ReadDir("/proc/" + p + "/task")
		if err != nil {
			continue
		}
		for _, t := range tasks {
			b, err := os.ReadFile("/proc/" + p + "/task/" + t.Name() + "/children")
			if err != nil {
				continue
			}
			for _, f := range strings.Fields(string(b)) {
				if c, err := strconv.Atoi(f); err == nil {
					out = append(out, c)
				}
			}
		}
	}
	return out
}

// sampler polls the tree's memory every interval until stopped.
type sampler struct {
	root      int
	start     time.Time
	every     time.Duration
	snaps     []Snapshot
	peakStk   float64
	peakThr   int
	stop      chan struct{}
	done      chan struct{}
	maxSnaps  int
	downEvery int // keep every n-th snapshot once maxSnaps is reached
}

func startSampler(root int, start time.Time, every time.Duration) *sampler {
	s := &sampler{root: root, start: start, every: every, stop: make(chan struct{}), done: make(chan struct{}), maxSnaps: 2000, downEvery: 1}
	go s.loop()
	return s
}

func (s *sampler) loop() {
	defer close(s.done)
	t := time.NewTicker(s.every)
	defer t.Stop()
	n := 0
	for {
		snap, stk := s.sample()
		if snap.Processes > 0 {
			s.peakStk = max(s.peakStk, stk)
			s.peakThr = max(s.peakThr, snap.Threads)
			if n%s.downEvery == 0 {
				s.snaps = append(s.snaps, snap)
				if len(s.snaps) >= s.maxSnaps { // halve the resolution, keep the peak
					kept := s.snaps[:0]
					for i := 0; i < len(s.snaps); i += 2 {
						a := s.snaps[i]
						if i+1 < len(s.snaps) && s.snaps[i+1].RSSBytes > a.RSSBytes {
							a = s.snaps[i+1]
						}
						kept = append(kept, a)
					}
					s.snaps = kept
					s.downEvery *= 2
				}
			}
			n++
		}
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
	}
}

func (s *sampler) sample() (Snapshot, float64) {
	snap := Snapshot{Seconds: time.Since(s.start).Seconds()}
	var stk float64
	for _, pid := range tree(s.root) {
		st, ok := readStatus(pid)
		if !ok || st.threads == 0 { // gone, or a zombie
			continue
		}
		snap.RSSBytes += st.rss
		snap.AnonBytes += st.anon
		snap.Processes++
		snap.Threads += st.threads
		stk += st.stk
	}
	return snap, stk
}

// finish stops the sampler and returns its snapshots.
func (s *sampler) finish() []Snapshot {
	close(s.stop)
	<-s.done
	return s.snaps
}

// ioCounters is /proc/PID/io: for a process not yet reaped it includes its
// reaped descendants.
type ioCounters struct {
	rchar, wchar, readBytes, writeBytes float64
}

func readIO(pid int) (ioCounters, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/io")
	if err != nil {
		return ioCounters{}, err
	}
	var c ioCounters
	for _, l := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		n, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
		switch k {
		case "rchar":
			c.rchar = n
		case "wchar":
			c.wchar = n
		case "read_bytes":
			c.readBytes = n
		case "write_bytes":
			c.writeBytes = n
		}
	}
	return c, nil
}

// netCounters are the totals of /proc/net/dev over interfaces.
type netCounters struct {
	rxBytes, rxPackets, txBytes, txPackets float64
}

// parseNetDev sums /proc/net/dev, with or without the loopback interface.
func parseNetDev(b []byte, withLo bool) netCounters {
	var c netCounters
	for _, l := range strings.Split(string(b), "\n") {
		name, rest, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		name = strings.TrimSpace(name)
		if name == "lo" && !withLo {
			continue
		}
		f := strings.Fields(rest)
		if len(f) < 10 {
			continue
		}
		v := func(i int) float64 { n, _ := strconv.ParseFloat(f[i], 64); return n }
		c.rxBytes += v(0)
		c.rxPackets += v(1)
		c.txBytes += v(8)
		c.txPackets += v(9)
	}
	return c
}
