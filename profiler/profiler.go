package profiler

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"time"

	"github.com/confignav/confignav/backend"
	"golang.org/x/sys/unix"
)

// Instruction counting modes (Options.Instructions).
const (
	InstrAuto     = "auto"     // hardware counters if present, else valgrind if installed, else missing
	InstrPerf     = "perf"     // hardware counters or fail
	InstrValgrind = "valgrind" // valgrind's cachegrind (a separate run) or fail
	InstrNone     = "none"     // not counted: the features are NaN
)

// Network counting modes (Options.Net).
const (
	NetAuto = "auto" // a private network namespace if it can be made, else the host's
	NetNS   = "ns"   // a private network namespace with loopback only: exact, but no outside network
	NetHost = "host" // the host namespace's counters: every process's traffic
)

// Options configure a profiling run. The zero value is the default.
type Options struct {
	Instructions string        // InstrAuto when empty
	Net          string        // NetAuto when empty
	Interval     time.Duration // /proc sampling period; 10 ms when zero
	// Stdout and Stderr receive the command's output (nil: discarded).
	Stdout, Stderr *os.File
	Env            []string // the command's environment (nil: the profiler's)
}

// Report is one profiling run.
type Report struct {
	Command   []string           `json:"command"`
	ExitCode  int                `json:"exit_code"`
	Features  backend.Features   `json:"features"`
	Extra     map[string]float64 `json:"extra"` // measurements beyond the model's features
	Snapshots []Snapshot         `json:"snapshots"`
	GoReports []GoReport         `json:"go_reports,omitempty"`
	Notes     []string           `json:"notes,omitempty"`
}

// ErrExit is returned (wrapped) when the command exits non-zero; the Report
// is still filled.
var ErrExit = errors.New("profiler: command failed")

// mss is the TCP payload per packet on a 1,500-byte MTU Ethernet path.
const mss = 1448

// Run profiles one run of cmd with the default options and returns the
// features with their sources (Features.Source).
func Run(ctx context.Context, cmd string, args []string) (backend.Features, error) {
	r, err := Profile(ctx, Options{}, cmd, args)
	if r == nil {
		return backend.Features{}, err
	}
	return r.Features, err
}

// Profile runs cmd with args once and measures it (see the package doc for
// each feature's source). With instruction counting by valgrind the command
// runs a second time under valgrind.
func Profile(ctx context.Context, opt Options, cmd string, args []string) (*Report, error) {
	if opt.Instructions == "" {
		opt.Instructions = InstrAuto
	}
	if opt.Net == "" {
		opt.Net = NetAuto
	}
	if opt.Interval <= 0 {
		opt.Interval = 10 * time.Millisecond
	}
	switch opt.Instructions {
	case InstrAuto, InstrPerf, InstrValgrind, InstrNone:
	default:
		return nil, fmt.Errorf("profiler: instructions mode %q, want auto, perf, valgrind or none", opt.Instructions)
	}
	switch opt.Net {
	case NetAuto, NetNS, NetHost:
	default:
		return nil, fmt.Errorf("profiler: net mode %q, want auto, ns or host", opt.Net)
	}
	path, err := exec.LookPath(cmd)
	if err != nil {
		return nil, fmt.Errorf("profiler: %w", err)
	}
	env := opt.Env
	if env == nil {
		env = os.Environ()
	}
	dir, err := os.MkdirTemp("", "cnav-profile-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)

	r := &Report{Command: append([]string{cmd}, args...), Extra: map[string]float64{}}
	src := map[string]string{}
	nan := math.NaN()
	f := backend.Features{Instructions: nan, Branches: nan, ContextSwitches: nan, HeapBytes: nan, StackBytes: nan,
		AllocCount: nan, AllocBytes: nan, PeakMemoryBytes: nan, BytesSent: nan, BytesReceived: nan, PacketsSent: nan,
		PacketsReceived: nan, IOBytes: nan, IOThroughput: nan, WallSeconds: nan, Threads: nan}

	// Hardware counters or why not.
	hwErr := error(nil)
	if opt.Instructions == InstrAuto || opt.Instructions == InstrPerf {
		_, hwErr = HardwareCounters()
		if hwErr != nil && opt.Instructions == InstrPerf {
			return nil, fmt.Errorf("profiler: no hardware instruction counter: %w", hwErr)
		}
	}

	netMode := opt.Net
	p, err := launch(path, args, append(env, EnvDir+"="+dir), opt, netMode)
	if err != nil && opt.Net == NetAuto {
		netMode = NetHost
		r.Notes = append(r.Notes, fmt.Sprintf("no private network namespace (%v): host namespace counters", err))
		p, err = launch(path, args, append(env, EnvDir+"="+dir), opt, netMode)
	}
	if err != nil {
		return nil, err
	}
	defer p.cleanup()
	if netMode == NetAuto {
		netMode = NetNS
	}

	// Counters, attached before the command's exec.
	var ctxSw, minFlt, majFlt, instrC, branchC *counter
	ctxSw, _ = openCounter(p.pid, unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_CONTEXT_SWITCHES, "context-switches", false)
	minFlt, _ = openCounter(p.pid, unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_PAGE_FAULTS_MIN, "minor-faults", false)
	majFlt, _ = openCounter(p.pid, unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_PAGE_FAULTS_MAJ, "major-faults", false)
	if hwErr == nil && (opt.Instructions == InstrAuto || opt.Instructions == InstrPerf) {
		instrC, hwErr = openCounter(p.pid, unix.PERF_TYPE_HARDWARE, unix.PERF_COUNT_HW_INSTRUCTIONS, "instructions", true)
		if hwErr == nil {
			branchC, hwErr = openCounter(p.pid, unix.PERF_TYPE_HARDWARE, unix.PERF_COUNT_HW_BRANCH_INSTRUCTIONS, "branches", true)
		}
	}
	for _, c := range []*counter{ctxSw, minFlt, majFlt, instrC, branchC} {
		if c != nil {
			defer c.close()
		}
	}
	netBefore, _ := p.netCounters(netMode)

	start := time.Now()
	if err := p.release(); err != nil {
		return nil, err
	}
	smp := startSampler(p.pid, start, opt.Interval)
	// Wait for the exit without reaping, so /proc/PID/io is still there.
	var info unix.Siginfo
	for {
		err = unix.Waitid(unix.P_PID, p.pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	wall := time.Since(start).Seconds()
	r.Snapshots = smp.finish()
	ioc, ioErr := readIO(p.pid)
	netAfter, netErr := p.netCounters(netMode)
	var ws unix.WaitStatus
	var ru unix.Rusage
	if _, err := unix.Wait4(p.pid, &ws, 0, &ru); err != nil {
		return nil, fmt.Errorf("profiler: wait: %w", err)
	}
	p.reaped = true
	r.ExitCode = ws.ExitStatus()
	if ws.Signaled() {
		r.ExitCode = 128 + int(ws.Signal())
	}

	goReps, err := readGoReports(dir)
	if err != nil {
		r.Notes = append(r.Notes, err.Error())
	}
	r.GoReports = goReps

	// Time and threads.
	f.WallSeconds, src["wall_seconds"] = wall, "wall clock from exec to exit"
	f.Threads, src["threads"] = float64(max(smp.peakThr, 1)), "/proc/PID/status Threads summed over the process tree, peak of samples"

	// Context switches and faults.
	nvcsw := float64(ru.Nvcsw + ru.Nivcsw)
	if v, err := readCounter(ctxSw); err == nil {
		f.ContextSwitches, src["context_switches"] = v, "perf software event context-switches (inherited by threads and children)"
	} else {
		f.ContextSwitches, src["context_switches"] = nvcsw, "getrusage of the reaped tree: voluntary + involuntary context switches"
	}
	r.Extra["rusage_context_switches"] = nvcsw
	minor := float64(ru.Minflt)
	if v, err := readCounter(minFlt); err == nil {
		minor = v
	}
	r.Extra["minor_faults"] = minor
	if v, err := readCounter(majFlt); err == nil {
		r.Extra["major_faults"] = v
	} else {
		r.Extra["major_faults"] = float64(ru.Majflt)
	}
	r.Extra["user_seconds"] = float64(ru.Utime.Nano()) / 1e9
	r.Extra["system_seconds"] = float64(ru.Stime.Nano()) / 1e9

	// Memory.
	var peakRSS, peakAnon float64
	for _, s := range r.Snapshots {
		peakRSS, peakAnon = max(peakRSS, s.RSSBytes), max(peakAnon, s.AnonBytes)
	}
	maxrss := float64(ru.Maxrss) * 1024
	f.PeakMemoryBytes = max(peakRSS, maxrss)
	src["peak_memory_bytes"] = fmt.Sprintf("max of /proc VmRSS summed over the tree (every %v) and getrusage max RSS (largest single process)", opt.Interval)
	r.Extra["sampled_peak_rss_bytes"], r.Extra["rusage_max_rss_bytes"] = peakRSS, maxrss
	f.HeapBytes = math.Max(peakAnon, 0)
	src["heap_bytes"] = "/proc RssAnon (anonymous memory: heaps, Go's included) summed over the tree, peak of samples"
	var goStack, goAllocB, goAllocN, goFaults, goHeap float64
	for _, g := range goReps {
		goStack += g.PeakStackBytes
		goAllocB += g.AllocBytes
		goAllocN += g.AllocObjects
		goFaults += g.MinorFaults
		goHeap += g.PeakHeapBytes
	}
	r.Extra["go_peak_heap_bytes"] = goHeap
	f.StackBytes = smp.peakStk + goStack
	src["stack_bytes"] = "/proc VmStk summed over the tree (peak)"
	if len(goReps) > 0 {
		src["stack_bytes"] += " + goroutine stacks from Go's runtime/metrics (/memory/classes/heap/stacks:bytes, peak)"
	}
	// Allocations: Go's runtime counts for Go processes; other processes'
	// minor page faults (first touches of fresh pages) as the proxy.
	otherFaults := math.Max(0, minor-goFaults)
	page := float64(os.Getpagesize())
	f.AllocCount = goAllocN + otherFaults
	f.AllocBytes = goAllocB + otherFaults*page
	switch {
	case len(goReps) > 0:
		src["alloc_count"] = fmt.Sprintf("Go runtime/metrics /gc/heap/allocs:objects (+tiny) of %d Go process(es) + minor page faults of the others (proxy: page-granular first touches)", len(goReps))
		src["alloc_bytes"] = "Go runtime/metrics /gc/heap/allocs:bytes + minor page faults × page size of the other processes (proxy)"
	default:
		src["alloc_count"] = "minor page faults of the tree (proxy: page-granular first touches; no Go process reported runtime metrics)"
		src["alloc_bytes"] = "minor page faults × page size (proxy)"
	}

	// Local I/O: every read and write system call of the tree, less the
	// pipeline data the wrapper counts as network.
	var wrap *Wrapper
	for _, g := range goReps {
		if g.Wrapper != nil {
			if wrap == nil {
				wrap = &Wrapper{}
			}
			wrap.BytesIn += g.Wrapper.BytesIn
			wrap.BytesOut += g.Wrapper.BytesOut
			wrap.ObjectsIn += g.Wrapper.ObjectsIn
			wrap.ObjectsOut += g.Wrapper.ObjectsOut
			wrap.Remote = wrap.Remote || g.Wrapper.Remote
		}
	}
	if ioErr == nil {
		io := ioc.rchar + ioc.wchar
		src["io_bytes"] = "/proc/PID/io rchar + wchar (every read/write system call: files, pipes), read before reaping, children included"
		if wrap != nil && !wrap.Remote {
			io = math.Max(0, io-float64(wrap.BytesIn+wrap.BytesOut))
			src["io_bytes"] += ", less the pipeline data the wrapper counts as network"
		}
		f.IOBytes = io
		f.IOThroughput = io / math.Max(wall, 1e-6)
		src["io_bytes_per_second"] = "io_bytes / wall_seconds"
		r.Extra["rchar"], r.Extra["wchar"] = ioc.rchar, ioc.wchar
		r.Extra["storage_read_bytes"], r.Extra["storage_write_bytes"] = ioc.readBytes, ioc.writeBytes
	} else {
		r.Notes = append(r.Notes, "no /proc/PID/io: "+ioErr.Error())
	}

	// Network.
	var nc netCounters
	netSrc := ""
	if netErr == nil {
		nc = netCounters{netAfter.rxBytes - netBefore.rxBytes, netAfter.rxPackets - netBefore.rxPackets,
			netAfter.txBytes - netBefore.txBytes, netAfter.txPackets - netBefore.txPackets}
		if netMode == NetNS {
			netSrc = "counters of the command's private network namespace (loopback only)"
		} else {
			netSrc = "host namespace counters (all interfaces but loopback): include other processes' traffic"
		}
		r.Extra["ns_rx_bytes"], r.Extra["ns_tx_bytes"] = nc.rxBytes, nc.txBytes
		r.Extra["ns_rx_packets"], r.Extra["ns_tx_packets"] = nc.rxPackets, nc.txPackets
	} else {
		r.Notes = append(r.Notes, "no network counters: "+netErr.Error())
	}
	switch {
	case wrap != nil:
		f.BytesReceived, f.BytesSent = float64(wrap.BytesIn), float64(wrap.BytesOut)
		src["bytes_received"] = "functions wrapper: pipeline data read (S3 objects on Lambda; files in a local run)"
		src["bytes_sent"] = "functions wrapper: pipeline data written"
		if wrap.Remote && netErr == nil {
			f.PacketsReceived, f.PacketsSent = nc.rxPackets, nc.txPackets
			src["packets_received"], src["packets_sent"] = netSrc, netSrc
		} else {
			// A local run moves its data through files: no packets exist to
			// count, so they are estimated as S3 would carry them.
			f.PacketsReceived = math.Ceil(f.BytesReceived/mss) + float64(wrap.ObjectsIn)
			f.PacketsSent = math.Ceil(f.BytesSent/mss) + float64(wrap.ObjectsOut)
			est := "estimate (local files, no packets to count): wrapper bytes / 1,448-byte TCP MSS + one per object"
			src["packets_received"], src["packets_sent"] = est, est
		}
	case netErr == nil:
		f.BytesReceived, f.BytesSent = nc.rxBytes, nc.txBytes
		f.PacketsReceived, f.PacketsSent = nc.rxPackets, nc.txPackets
		for _, k := range []string{"bytes_received", "bytes_sent", "packets_received", "packets_sent"} {
			src[k] = netSrc
		}
	}

	// Instructions and branches.
	switch {
	case instrC != nil && branchC != nil:
		if v, err := instrC.read(); err == nil {
			f.Instructions, src["instructions"] = v, "perf hardware counter instructions (user space, inherited)"
		}
		if v, err := branchC.read(); err == nil {
			f.Branches, src["branches"] = v, "perf hardware counter branch-instructions (user space, inherited)"
		}
	case opt.Instructions == InstrNone:
		src["instructions"], src["branches"] = "missing: not requested (--instructions none)", "missing: not requested"
	default:
		why := "hardware counters unavailable"
		if hwErr != nil {
			why = fmt.Sprintf("hardware counters unavailable (%v)", hwErr)
		}
		in, br, err := valgrindCounts(ctx, path, args, env)
		if err != nil {
			src["instructions"] = fmt.Sprintf("missing: %s; valgrind: %v", why, err)
			src["branches"] = src["instructions"]
			r.Notes = append(r.Notes, src["instructions"])
		} else {
			f.Instructions, f.Branches = in, br
			src["instructions"] = "valgrind cachegrind Ir (user-space instructions, children traced, a separate run); " + why
			src["branches"] = "valgrind cachegrind Bc + Bi (conditional + indirect branches, a separate run); " + why
		}
	}
	f.Source = src
	r.Features = f
	if r.ExitCode != 0 {
		return r, fmt.Errorf("%w: %v exited with status %d", ErrExit, r.Command, r.ExitCode)
	}
	return r, nil
}

func readCounter(c *counter) (float64, error) {
	if c == nil {
		return 0, errors.New("no counter")
	}
	return c.read()
}

// process is a command started behind a gate: /bin/sh waits on fd 3 before
// it execs the command, so counters can be attached first.
type process struct {
	pid    int
	gate   *os.File // write end: closing it releases the command
	netns  *os.File // the command's network namespace (ns mode), held open
	reaped bool
}

// gateScript brings up loopback in a private namespace, says it is ready on
// fd 4, waits on fd 3 and execs the command.
const gateScript = `[ "$CNAV_NS" = 1 ] && { ip link set lo up 2>/dev/null || /sbin/ip link set lo up 2>/dev/null || /usr/sbin/ip link set lo up; }; echo >&4; exec 4>&-; read _ <&3; exec 3<&-; exec "$0" "$@"`

func launch(path string, args, env []string, opt Options, netMode string) (*process, error) {
	gateR, gateW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	readyR, readyW, err := os.Pipe()
	if err != nil {
		gateR.Close()
		gateW.Close()
		return nil, err
	}
	cmd := exec.Command("/bin/sh", append([]string{"-c", gateScript, path}, args...)...)
	cmd.Stdin = nil
	cmd.Stdout, cmd.Stderr = opt.Stdout, opt.Stderr
	cmd.ExtraFiles = []*os.File{gateR, readyW}
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{}
	if netMode == NetNS || netMode == NetAuto {
		cmd.SysProcAttr.Cloneflags = syscall.CLONE_NEWNET
		cmd.Env = append(append([]string{}, env...), "CNAV_NS=1")
	}
	err = cmd.Start()
	gateR.Close()
	readyW.Close()
	if err != nil {
		gateW.Close()
		readyR.Close()
		return nil, fmt.Errorf("profiler: start %s: %w", path, err)
	}
	p := &process{pid: cmd.Process.Pid, gate: gateW}
	// Wait until the shell is ready (loopback up).
	var b [1]byte
	_, rerr := readyR.Read(b[:])
	readyR.Close()
	if rerr != nil {
		p.cleanup()
		return nil, fmt.Errorf("profiler: the gate shell did not start: %v", rerr)
	}
	if netMode == NetNS || netMode == NetAuto {
		p.netns, err = os.Open(fmt.Sprintf("/proc/%d/ns/net", p.pid))
		if err != nil {
			p.cleanup()
			return nil, err
		}
	}
	return p, nil
}

func (p *process) release() error {
	if _, err := p.gate.Write([]byte("\n")); err != nil {
		return fmt.Errorf("profiler: release the command: %w", err)
	}
	return p.gate.Close()
}

func (p *process) cleanup() {
	p.gate.Close()
	if p.netns != nil {
		p.netns.Close()
	}
	if !p.reaped {
		syscall.Kill(p.pid, syscall.SIGKILL)
		var ws syscall.WaitStatus
		syscall.Wait4(p.pid, &ws, 0, nil)
		p.reaped = true
	}
}

// netCounters reads the traffic counters: of the command's private namespace
// (entered on a locked thread that is then discarded) or of the host's.
func (p *process) netCounters(mode string) (netCounters, error) {
	if p.netns == nil {
		b, err := os.ReadFile("/proc/net/dev")
		if err != nil {
			return netCounters{}, err
		}
		return parseNetDev(b, false), nil
	}
	type res struct {
		c   netCounters
		err error
	}
	ch := make(chan res, 1)
	go func() {
		runtime.LockOSThread()
		// The thread is not unlocked: it leaves the Go runtime's pool when
		// this goroutine ends, so its namespace never leaks.
		if err := unix.Setns(int(p.netns.Fd()), unix.CLONE_NEWNET); err != nil {
			ch <- res{err: fmt.Errorf("setns: %w", err)}
			return
		}
		b, err := os.ReadFile("/proc/thread-self/net/dev")
		if err != nil {
			ch <- res{err: err}
			return
		}
		ch <- res{c: parseNetDev(b, true)}
	}()
	r := <-ch
	return r.c, r.err
}
