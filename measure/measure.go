package measure

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/confignav/confignav/fnmodel"
	"github.com/confignav/confignav/functions"
	"github.com/confignav/confignav/video"
)

// Config is one measurement: a function, its inputs, and the memory sizes.
type Config struct {
	Function string
	// Worker is the command that serves the function (functions.Serve's
	// protocol), e.g. [cnav fn serve NAME].
	Worker []string
	Inputs []string          // input files
	Args   map[string]string // function arguments
	Memory []int             // memory sizes, MB
	Repeat int               // warm samples per size
	Cold   int               // cold starts per size (each a new environment)
	// PeriodUs is the CFS period (100 ms, the kernel's default, when 0).
	PeriodUs int
	// Shares is the cgroup v1 cpu.shares of the measurement groups (0 keeps
	// the kernel's 1024). A high weight keeps other processes on the machine
	// from taking the CPU the quota grants; the quota still caps it.
	Shares  int
	Timeout time.Duration // per invocation (10 min when 0)
	Input   video.Input   // the clip the inputs come from
	// Fallback "taskset" measures without cgroups what can be measured
	// honestly (see taskset); "" stops with ErrNoCgroups.
	Fallback string
	Limiter  Limiter      // overrides detection (tests)
	Log      func(string) // progress lines (nil: none)
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	var errs []error
	if c.Function == "" {
		errs = append(errs, errors.New("no function"))
	}
	if len(c.Worker) == 0 {
		errs = append(errs, errors.New("no worker command"))
	}
	if len(c.Inputs) == 0 {
		errs = append(errs, errors.New("no inputs"))
	}
	if len(c.Memory) == 0 {
		errs = append(errs, errors.New("no memory sizes"))
	}
	for _, m := range c.Memory {
		if m < 128 || m > 10240 {
			errs = append(errs, fmt.Errorf("memory %d MB outside Lambda's 128–10,240 MB", m))
		}
	}
	if c.Repeat < 1 {
		errs = append(errs, fmt.Errorf("repeat %d, want at least 1", c.Repeat))
	}
	if c.Cold < 0 {
		errs = append(errs, fmt.Errorf("cold %d, want ≥ 0", c.Cold))
	}
	if c.Fallback != "" && c.Fallback != "taskset" {
		errs = append(errs, fmt.Errorf("fallback %q, want taskset or none", c.Fallback))
	}
	if err := c.Input.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// ParseMemory parses memory sizes: comma-separated sizes and ranges
// LO..HI:STEP, e.g. "128,256,512..4096:512" or "128..4096:128".
func ParseMemory(s string) ([]int, error) {
	seen := map[int]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if lo, rest, ok := strings.Cut(part, ".."); ok {
			hi, step, ok := strings.Cut(rest, ":")
			if !ok {
				step = "128"
			}
			a, err1 := strconv.Atoi(lo)
			b, err2 := strconv.Atoi(hi)
			d, err3 := strconv.Atoi(step)
			if err1 != nil || err2 != nil || err3 != nil || d <= 0 || b < a {
				return nil, fmt.Errorf("measure: memory range %q, want LO..HI:STEP", part)
			}
			for m := a; m <= b; m += d {
				seen[m] = true
			}
			continue
		}
		m, err := strconv.Atoi(part)
		if err != nil {
			return nil, fmt.Errorf("measure: memory %q is not a whole number of MB", part)
		}
		seen[m] = true
	}
	out := make([]int, 0, len(seen))
	for m := range seen {
		out = append(out, m)
	}
	sort.Ints(out)
	return out, nil
}

// Run measures the function at every memory size: per size, Cold new
// environments (process start, static initialisation, first invocation) and
// Repeat warm invocations in the first of them. Sizes where the function
// fails (out of memory, an error) are kept in Details and left out of Rows.
func Run(ctx context.Context, cfg Config) (*Table, error) {
	if cfg.PeriodUs == 0 {
		cfg.PeriodUs = 100_000
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Minute
	}
	if cfg.Cold == 0 {
		cfg.Cold = 1
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("measure: %w", err)
	}
	logf := func(format string, args ...any) {
		if cfg.Log != nil {
			cfg.Log(fmt.Sprintf(format, args...))
		}
	}
	lim := cfg.Limiter
	var limitations []string
	if lim == nil {
		var err error
		lim, err = Detect(cfg.PeriodUs, cfg.Shares)
		if err != nil {
			if cfg.Fallback != "taskset" {
				return nil, err
			}
			logf("no cgroups (%v): taskset fallback", err)
			lim = taskset{}
			limitations = append(limitations, "no writable cgroups ("+err.Error()+"): measured with the taskset fallback, which over-provisions CPU and enforces no memory limit")
		}
	}
	abs := make([]string, len(cfg.Inputs))
	base := make([]string, len(cfg.Inputs))
	for i, in := range cfg.Inputs {
		a, err := filepath.Abs(in)
		if err != nil {
			return nil, err
		}
		if _, err := os.Stat(a); err != nil {
			return nil, fmt.Errorf("measure: input: %w", err)
		}
		abs[i], base[i] = a, filepath.Base(a)
	}
	outDir, err := os.MkdirTemp("", "cnav-measure-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(outDir)

	t := &Table{Function: cfg.Function, Machine: Describe(lim), Measured: time.Now().UTC().Format(time.RFC3339),
		Method: lim.Method(), Worker: filepath.Base(cfg.Worker[0]) + " " + strings.Join(cfg.Worker[1:], " "),
		InputFiles: base, Args: cfg.Args, Limitations: limitations}
	t.Runtime = "go"
	t.Input = cfg.Input
	if p, err := fnmodel.Builtin(cfg.Function); err == nil {
		t.Scale = p.Scale
	}
	if st, err := os.Stat(cfg.Worker[0]); err == nil {
		t.PackageMB = round(float64(st.Size())/(1<<20), 2)
	}
	var outBytes int64
	for _, mb := range cfg.Memory {
		d := RowDetail{MemoryMB: mb, LoadAvg: loadAvg()}
		env, err := lim.Prepare(mb)
		if err != nil {
			if _, ok := lim.(taskset); ok {
				d.Status = "skipped: " + err.Error()
				t.Details = append(t.Details, d)
				logf("%s %5d MB: skipped (%v)", cfg.Function, mb, err)
				continue
			}
			return nil, fmt.Errorf("measure: %d MB: %w", mb, err)
		}
		d.Limits = env.Row()
		p0, th0 := env.Throttling()
		d.Status = "ok"
		for k := 0; k < cfg.Cold && d.Status == "ok"; k++ {
			warm := 0
			if k == 0 {
				warm = cfg.Repeat
			}
			st, ob := runEnvironment(ctx, cfg, env, abs, outDir, warm, &d)
			d.Status = st
			outBytes = max(outBytes, ob)
		}
		p1, th1 := env.Throttling()
		d.Periods, d.Throttled = p1-p0, th1-th0
		if err := env.Close(); err != nil {
			logf("warning: %v", err)
		}
		t.Details = append(t.Details, d)
		logf("%s %5d MB (%.3f vCPU%s): %s, warm median %.0f ms, cold %s, peak %.0f MB", cfg.Function, mb, d.VCPU,
			cappedNote(d.Limits), d.Status, median(d.WarmMs), coldNote(d.Cold), d.PeakMB)
		if d.Status == "ok" && len(d.WarmMs) > 0 {
			t.Rows = append(t.Rows, fnmodel.Row{MemoryMB: mb, SamplesMs: append([]float64(nil), d.WarmMs...)})
			t.WorkingSetMB = math.Max(t.WorkingSetMB, d.PeakRSSMB)
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	t.OutputMB = round(float64(outBytes)/(1<<20), 4)
	var inBytes int64
	for _, a := range abs {
		if st, err := os.Stat(a); err == nil {
			inBytes += st.Size()
		}
	}
	t.InputMB = round(float64(inBytes)/(1<<20), 4)
	t.InputObjects = len(abs)
	t.WorkingSetMB = round(t.WorkingSetMB, 1)
	t.Source = fmt.Sprintf("measured by cnav measure on %s (%d CPUs) at %s; %s", t.Machine.CPUModel, t.Machine.CPUs, t.Measured, lim.Method())
	if len(t.Rows) == 0 {
		return t, fmt.Errorf("measure: %s failed at every memory size (see the details)", cfg.Function)
	}
	return t, nil
}

func cappedNote(l Limits) string {
	if l.Capped {
		return fmt.Sprintf(", capped at %.2f CPUs", l.CPUs)
	}
	return ""
}

func coldNote(c []ColdSample) string {
	if len(c) == 0 {
		return "none"
	}
	return fmt.Sprintf("init %.0f + %.0f ms", c[0].InitMs, c[0].DurationMs)
}

// runEnvironment starts one environment (a worker under the limits), makes
// its cold invocation and warm more, and returns the size's status and the
// output size.
func runEnvironment(ctx context.Context, cfg Config, env Env, inputs []string, outDir string, warm int, d *RowDetail) (string, int64) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	argv := env.Wrap(cfg.Worker)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return "error: " + err.Error(), 0
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "error: " + err.Error(), 0
	}
	var stderr strings.Builder
	cmd.Stderr = &limitedWriter{w: &stderr, n: 4000}
	oom0 := env.OOMKills()
	env.ResetPeak()
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return "error: " + err.Error(), 0
	}
	defer func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cancel()
			<-done
		}
	}()
	replies := make(chan functions.Reply)
	go func() {
		defer close(replies)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<16), 1<<24)
		for sc.Scan() {
			var r functions.Reply
			if json.Unmarshal(sc.Bytes(), &r) == nil {
				replies <- r
			}
		}
	}()
	fail := func(what string) string {
		if env.OOMKills() > oom0 {
			return "oom"
		}
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 300 {
			msg = msg[len(msg)-300:]
		}
		if msg != "" {
			what += ": " + msg
		}
		return "error: " + what
	}
	next := func() (functions.Reply, string) {
		select {
		case r, ok := <-replies:
			if !ok {
				return r, fail("the worker exited")
			}
			if r.Error != "" {
				if env.OOMKills() > oom0 {
					return r, "oom"
				}
				return r, "error: " + r.Error
			}
			return r, ""
		case <-time.After(cfg.Timeout):
			return functions.Reply{}, "timeout"
		case <-ctx.Done():
			return functions.Reply{}, "error: " + ctx.Err().Error()
		}
	}
	r, st := next()
	if st != "" {
		return st, 0
	}
	if !r.Ready {
		return "error: the worker's first line is not ready", 0
	}
	initMs := float64(time.Since(start).Microseconds()) / 1000
	req, _ := json.Marshal(functions.Request{Inputs: inputs, Output: filepath.Join(outDir, "out"), Args: cfg.Args})
	req = append(req, '\n')
	var outBytes int64
	for i := 0; i <= warm; i++ {
		os.Remove(filepath.Join(outDir, "out"))
		env.ResetPeak()
		if _, err := stdin.Write(req); err != nil {
			return fail("write request: " + err.Error()), outBytes
		}
		r, st := next()
		if st != "" {
			return st, outBytes
		}
		res := r.Result
		if i == 0 {
			d.Cold = append(d.Cold, ColdSample{InitMs: round(initMs, 3), DurationMs: round(res.DurationMs, 3)})
		} else {
			d.WarmMs = append(d.WarmMs, round(res.DurationMs, 3))
		}
		outBytes = res.BytesOut
		d.PeakMB = math.Max(d.PeakMB, round(env.Peak()/(1<<20), 1))
		d.PeakRSSMB = math.Max(d.PeakRSSMB, round(float64(r.PeakRSSKB+res.ChildPeakKB)/1024, 1))
	}
	return "ok", outBytes
}

type limitedWriter struct {
	w io.Writer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.n > 0 {
		k := min(len(p), l.n)
		l.w.Write(p[:k])
		l.n -= k
	}
	return len(p), nil
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}

func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}

func loadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return math.NaN()
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return math.NaN()
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// Describe reports the machine and the cgroup method.
func Describe(l Limiter) Machine {
	m := Machine{CPUs: runtime.NumCPU(), Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int
		fmt.Sscanf(strings.TrimPrefix(strings.SplitN(string(b), "\n", 2)[0], "MemTotal:"), "%d", &kb)
		m.MemoryMB = kb / 1024
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if bin, err := functions.FFmpegPath(); err == nil {
		if out, err := exec.Command(bin, "-version").Output(); err == nil {
			m.FFmpeg = strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
		}
	}
	if l != nil {
		m.Cgroups = strings.SplitN(l.Method(), ":", 2)[0]
	}
	return m
}
