package measure

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// ErrNoCgroups is returned when no writable cgroup with CPU and memory
// controllers exists: the CPU share of a memory size cannot be enforced, and
// measuring without it would not be the measured platform.
var ErrNoCgroups = errors.New("measure: cannot write cgroups")

// Limiter makes execution environments with a memory size's resources.
type Limiter interface {
	// Method names how limits are enforced, for the table.
	Method() string
	// Prepare makes the limits of one memory size.
	Prepare(mb int) (Env, error)
}

// Env is the limits of one memory size.
type Env interface {
	// Wrap returns a command that runs cmd inside the limits (from its exec
	// on, so the function's whole life is limited).
	Wrap(cmd []string) []string
	// Row describes the limits.
	Row() Limits
	// ResetPeak starts a new peak-memory measurement; Peak reads it (bytes;
	// NaN when not measurable).
	ResetPeak()
	Peak() float64
	// OOMKills is the number of processes the kernel killed for memory.
	OOMKills() int
	// Throttling is the CFS bandwidth statistics: periods and throttled
	// periods so far.
	Throttling() (periods, throttled int)
	Close() error
}

// Limits are what an environment enforces.
type Limits struct {
	Method   string  `json:"method"`
	VCPU     float64 `json:"vcpu"`            // Lambda's share for the memory size
	CPUs     float64 `json:"cpus"`            // the CPU the environment really gets
	Capped   bool    `json:"capped"`          // CPUs < VCPU: the machine has too few CPUs
	QuotaUs  int     `json:"quota_us"`        // CFS quota per period (0 without one)
	PeriodUs int     `json:"period_us"`       // CFS period
	MemoryMB int     `json:"memory_limit_mb"` // 0 without a memory limit
}

// share is Lambda's CPU share of a memory size (DESIGN.md §3: memory / 1,769
// MB vCPU, at most 6).
func share(mb int) float64 { return math.Min(float64(mb)/MBPerVCPU, 6) }

// MBPerVCPU is the memory that buys one vCPU on Lambda.
const MBPerVCPU = 1769.0

// cgroupV1 enforces limits with cgroup v1's cpu (cfs_quota_us) and memory
// (limit_in_bytes) controllers, in child groups of the process's own.
type cgroupV1 struct {
	cpuDir, memDir string // the parents
	period         int
	shares         int
}

// cgroupV2 enforces limits with cgroup v2's cpu.max and memory.max.
type cgroupV2 struct {
	dir    string
	period int
}

// mountInfo is one cgroup mount.
type mountInfo struct {
	point   string
	fstype  string
	options []string
}

func cgroupMounts() ([]mountInfo, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []mountInfo
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// id parent maj:min root point opts [optional...] - fstype source superopts
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		if !ok {
			continue
		}
		a, b := strings.Fields(pre), strings.Fields(post)
		if len(a) < 5 || len(b) < 3 || (b[0] != "cgroup" && b[0] != "cgroup2") {
			continue
		}
		out = append(out, mountInfo{point: a[4], fstype: b[0], options: strings.Split(b[2], ",")})
	}
	return out, sc.Err()
}

// ownCgroups maps controller ("" for v2) to the process's cgroup path.
func ownCgroups() (map[string]string, error) {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		parts := strings.SplitN(l, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[1] == "" {
			out[""] = parts[2]
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			out[c] = parts[2]
		}
	}
	return out, nil
}

func has(opts []string, s string) bool {
	for _, o := range opts {
		if o == s {
			return true
		}
	}
	return false
}

// Detect finds a writable cgroup hierarchy with CPU and memory control:
// cgroup v1's cpu and memory controllers (preferred where mounted, as on this
// project's machines) or cgroup v2's. It tries to make and remove a child
// group; ErrNoCgroups explains what failed.
func Detect(periodUs, shares int) (Limiter, error) {
	mounts, err := cgroupMounts()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoCgroups, err)
	}
	own, err := ownCgroups()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoCgroups, err)
	}
	var why []string
	var cpuDir, memDir string
	for _, m := range mounts {
		if m.fstype != "cgroup" {
			continue
		}
		if has(m.options, "cpu") && cpuDir == "" {
			cpuDir = filepath.Join(m.point, own["cpu"])
		}
		if has(m.options, "memory") && memDir == "" {
			memDir = filepath.Join(m.point, own["memory"])
		}
	}
	if cpuDir != "" && memDir != "" {
		l := &cgroupV1{cpuDir: cpuDir, memDir: memDir, period: periodUs, shares: shares}
		if err := probe(l); err == nil {
			return l, nil
		} else {
			why = append(why, "cgroup v1: "+err.Error())
		}
	} else {
		why = append(why, "cgroup v1: cpu and memory controllers not both mounted")
	}
	for _, m := range mounts {
		if m.fstype != "cgroup2" {
			continue
		}
		dir := filepath.Join(m.point, own[""])
		ctl, err := os.ReadFile(filepath.Join(dir, "cgroup.controllers"))
		if err != nil || !has(strings.Fields(string(ctl)), "cpu") || !has(strings.Fields(string(ctl)), "memory") {
			why = append(why, fmt.Sprintf("cgroup v2 at %s: cpu and memory controllers not available (%q)", dir, strings.TrimSpace(string(ctl))))
			continue
		}
		l := &cgroupV2{dir: dir, period: periodUs}
		if err := probe(l); err != nil {
			why = append(why, fmt.Sprintf("cgroup v2 at %s: %v", dir, err))
			continue
		}
		return l, nil
	}
	return nil, fmt.Errorf("%w: %s", ErrNoCgroups, strings.Join(why, "; "))
}

func probe(l Limiter) error {
	e, err := l.Prepare(1769)
	if err != nil {
		return err
	}
	return e.Close()
}

func (l *cgroupV1) Method() string {
	return "cgroup-v1: cpu.cfs_quota_us/cpu.cfs_period_us = memory/1769 vCPU, memory.limit_in_bytes = memory"
}

var groupSeq int

func groupName(mb int) string {
	groupSeq++
	return fmt.Sprintf("cnav-measure-%d-%d-%d", os.Getpid(), mb, groupSeq)
}

type v1Env struct {
	cpu, mem string
	lim      Limits
}

func (l *cgroupV1) Prepare(mb int) (Env, error) {
	name := groupName(mb)
	e := &v1Env{cpu: filepath.Join(l.cpuDir, name), mem: filepath.Join(l.memDir, name)}
	if err := os.Mkdir(e.cpu, 0o755); err != nil {
		return nil, fmt.Errorf("make cpu cgroup: %w", err)
	}
	if e.mem != e.cpu {
		if err := os.Mkdir(e.mem, 0o755); err != nil {
			os.Remove(e.cpu)
			return nil, fmt.Errorf("make memory cgroup: %w", err)
		}
	}
	e.lim = cpuLimits(mb, l.period)
	e.lim.Method = fmt.Sprintf("cgroup-v1 cpu.cfs_quota_us=%d cpu.cfs_period_us=%d, memory.limit_in_bytes=%d MiB", e.lim.QuotaUs, l.period, mb)
	e.lim.MemoryMB = mb
	writes := [][2]string{
		{filepath.Join(e.cpu, "cpu.cfs_period_us"), strconv.Itoa(l.period)},
		{filepath.Join(e.cpu, "cpu.cfs_quota_us"), strconv.Itoa(e.lim.QuotaUs)},
		{filepath.Join(e.mem, "memory.limit_in_bytes"), strconv.Itoa(mb << 20)},
	}
	if l.shares > 0 {
		writes = append(writes, [2]string{filepath.Join(e.cpu, "cpu.shares"), strconv.Itoa(l.shares)})
	}
	for _, w := range writes {
		if err := os.WriteFile(w[0], []byte(w[1]), 0); err != nil {
			e.Close()
			return nil, fmt.Errorf("write %s: %w", w[0], err)
		}
	}
	// No swap beyond the limit, where swap accounting exists.
	_ = os.WriteFile(filepath.Join(e.mem, "memory.memsw.limit_in_bytes"), []byte(strconv.Itoa(mb<<20)), 0)
	return e, nil
}

// cpuLimits is the CFS quota for a memory size, capped at the machine's CPUs.
func cpuLimits(mb, period int) Limits {
	want := share(mb)
	cpus := math.Min(want, float64(runtime.NumCPU()))
	quota := max(1000, int(math.Round(cpus*float64(period)))) // the kernel's minimum quota is 1 ms
	return Limits{VCPU: want, CPUs: float64(quota) / float64(period), Capped: cpus < want, QuotaUs: quota, PeriodUs: period}
}

func (e *v1Env) Wrap(cmd []string) []string {
	script := fmt.Sprintf(`echo $$ > %s/cgroup.procs && echo $$ > %s/cgroup.procs && exec "$0" "$@"`, shq(e.cpu), shq(e.mem))
	return append([]string{"/bin/sh", "-c", script}, cmd...)
}

func shq(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func (e *v1Env) Row() Limits { return e.lim }

func (e *v1Env) ResetPeak() {
	_ = os.WriteFile(filepath.Join(e.mem, "memory.max_usage_in_bytes"), []byte("0"), 0)
}

func (e *v1Env) Peak() float64 { return readNumber(filepath.Join(e.mem, "memory.max_usage_in_bytes")) }

func (e *v1Env) OOMKills() int {
	return int(readKey(filepath.Join(e.mem, "memory.oom_control"), "oom_kill"))
}

func (e *v1Env) Throttling() (int, int) {
	p := filepath.Join(e.cpu, "cpu.stat")
	return int(readKey(p, "nr_periods")), int(readKey(p, "nr_throttled"))
}

func (e *v1Env) Close() error {
	err := removeGroup(e.cpu)
	if e.mem != e.cpu {
		err = errors.Join(err, removeGroup(e.mem))
	}
	return err
}

// removeGroup removes a cgroup once its processes have gone.
func removeGroup(dir string) error {
	var err error
	for i := 0; i < 50; i++ {
		if err = os.Remove(dir); err == nil || os.IsNotExist(err) {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("remove cgroup %s: %w", dir, err)
}

func (l *cgroupV2) Method() string {
	return "cgroup-v2: cpu.max = memory/1769 vCPU, memory.max = memory, memory.swap.max = 0"
}

type v2Env struct {
	dir string
	lim Limits
}

func (l *cgroupV2) Prepare(mb int) (Env, error) {
	// Children need the controllers enabled in the parent.
	_ = os.WriteFile(filepath.Join(l.dir, "cgroup.subtree_control"), []byte("+cpu +memory"), 0)
	e := &v2Env{dir: filepath.Join(l.dir, groupName(mb))}
	if err := os.Mkdir(e.dir, 0o755); err != nil {
		return nil, fmt.Errorf("make cgroup: %w", err)
	}
	e.lim = cpuLimits(mb, l.period)
	e.lim.Method = fmt.Sprintf("cgroup-v2 cpu.max=%d %d, memory.max=%d MiB", e.lim.QuotaUs, l.period, mb)
	e.lim.MemoryMB = mb
	for _, w := range [][2]string{
		{"cpu.max", fmt.Sprintf("%d %d", e.lim.QuotaUs, l.period)},
		{"memory.max", strconv.Itoa(mb << 20)},
	} {
		if err := os.WriteFile(filepath.Join(e.dir, w[0]), []byte(w[1]), 0); err != nil {
			e.Close()
			return nil, fmt.Errorf("write %s: %w", w[0], err)
		}
	}
	_ = os.WriteFile(filepath.Join(e.dir, "memory.swap.max"), []byte("0"), 0)
	return e, nil
}

func (e *v2Env) Wrap(cmd []string) []string {
	script := fmt.Sprintf(`echo $$ > %s/cgroup.procs && exec "$0" "$@"`, shq(e.dir))
	return append([]string{"/bin/sh", "-c", script}, cmd...)
}

func (e *v2Env) Row() Limits { return e.lim }

// ResetPeak resets memory.peak where the kernel allows it (6.12+); on older
// kernels the peak is the environment's since creation.
func (e *v2Env) ResetPeak() { _ = os.WriteFile(filepath.Join(e.dir, "memory.peak"), []byte("0"), 0) }

func (e *v2Env) Peak() float64 { return readNumber(filepath.Join(e.dir, "memory.peak")) }

func (e *v2Env) OOMKills() int {
	return int(readKey(filepath.Join(e.dir, "memory.events"), "oom_kill"))
}

func (e *v2Env) Throttling() (int, int) {
	p := filepath.Join(e.dir, "cpu.stat")
	return int(readKey(p, "nr_periods")), int(readKey(p, "nr_throttled"))
}

func (e *v2Env) Close() error { return removeGroup(e.dir) }

func readNumber(p string) float64 {
	b, err := os.ReadFile(p)
	if err != nil {
		return math.NaN()
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(string(b)), 64)
	if err != nil {
		return math.NaN()
	}
	return v
}

// readKey reads "key value" from a flat-keyed cgroup file (0 when absent).
func readKey(p, key string) float64 {
	b, err := os.ReadFile(p)
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) == 2 && f[0] == key {
			v, _ := strconv.ParseFloat(f[1], 64)
			return v
		}
	}
	return 0
}

// taskset is the labelled fallback where cgroups cannot be written: only
// memory sizes of at least one vCPU, each pinned to ⌈vCPU⌉ cores with
// taskset. It over-provisions CPU by up to one core and enforces no memory
// limit; every row says so.
type taskset struct{}

func (taskset) Method() string {
	return "taskset-fallback: no cgroups; sizes ≥ 1769 MB only, pinned to ⌈memory/1769⌉ cores (over-provisioned), no memory limit"
}

type tasksetEnv struct{ lim Limits }

func (taskset) Prepare(mb int) (Env, error) {
	want := share(mb)
	if want < 1 {
		return nil, fmt.Errorf("the taskset fallback cannot give %.3f vCPU (%d MB): below one core only a CPU quota can", want, mb)
	}
	cores := min(int(math.Ceil(want-1e-9)), runtime.NumCPU())
	return &tasksetEnv{lim: Limits{
		Method: fmt.Sprintf("taskset-fallback: %d core(s) for %.3f vCPU, no memory limit", cores, want),
		VCPU:   want, CPUs: float64(cores), Capped: float64(cores) < want,
	}}, nil
}

func (e *tasksetEnv) Wrap(cmd []string) []string {
	return append([]string{"taskset", "-c", fmt.Sprintf("0-%d", int(e.lim.CPUs)-1)}, cmd...)
}
func (e *tasksetEnv) Row() Limits            { return e.lim }
func (e *tasksetEnv) ResetPeak()             {}
func (e *tasksetEnv) Peak() float64          { return math.NaN() }
func (e *tasksetEnv) OOMKills() int          { return 0 }
func (e *tasksetEnv) Throttling() (int, int) { return 0, 0 }
func (e *tasksetEnv) Close() error           { return nil }
