package profiler

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/functions"
	"image"
)

// The test binary doubles as the profiled program: with CNAV_PROFILER_HELPER
// set it runs a helper instead of the tests.
func TestMain(m *testing.M) {
	if h := os.Getenv("CNAV_PROFILER_HELPER"); h != "" {
		if err := helper(h, os.Args[1:]); err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			os.Exit(3)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

var sink []byte

func helper(name string, args []string) error {
	finish := StartGoReport()
	var wrap *Wrapper
	switch name {
	case "alloc": // allocate and touch 100 MiB, hold it 100 ms
		sink = make([]byte, 100<<20)
		for i := range sink {
			sink[i] = byte(i)
		}
		time.Sleep(100 * time.Millisecond)
	case "net": // send 1 MiB to itself over loopback TCP
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		done := make(chan int64)
		go func() {
			c, err := l.Accept()
			if err != nil {
				done <- -1
				return
			}
			n, _ := io.Copy(io.Discard, c)
			done <- n
		}()
		c, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			return err
		}
		if _, err := c.Write(make([]byte, 1<<20)); err != nil {
			return err
		}
		c.Close()
		if n := <-done; n != 1<<20 {
			return fmt.Errorf("received %d bytes", n)
		}
	case "fn": // a real function through the wrapper
		res, err := functions.Invoke(context.Background(), "judge-resolution", functions.Request{Inputs: args[:1], Output: args[1]})
		if err != nil {
			return err
		}
		wrap = &Wrapper{BytesIn: res.BytesIn, BytesOut: res.BytesOut, ObjectsIn: res.ObjectsIn, ObjectsOut: res.ObjectsOut, Remote: res.Remote}
	case "fail":
		return errors.New("asked to fail")
	default:
		return fmt.Errorf("unknown helper %q", name)
	}
	return finish(wrap)
}

func profileHelper(t *testing.T, opt Options, name string, args ...string) *Report {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	opt.Env = append(os.Environ(), "CNAV_PROFILER_HELPER="+name)
	r, err := Profile(context.Background(), opt, self, args)
	if err != nil {
		t.Fatalf("profile %s: %v (notes %v)", name, err, r)
	}
	return r
}

// Every feature of a profile is a finite number with a stated source, so the
// navigator's model can take it (it refuses NaN).
func checkComplete(t *testing.T, f backend.Features) {
	t.Helper()
	for name, v := range map[string]float64{
		"instructions": f.Instructions, "branches": f.Branches, "context_switches": f.ContextSwitches,
		"heap_bytes": f.HeapBytes, "stack_bytes": f.StackBytes, "alloc_count": f.AllocCount, "alloc_bytes": f.AllocBytes,
		"peak_memory_bytes": f.PeakMemoryBytes, "bytes_sent": f.BytesSent, "bytes_received": f.BytesReceived,
		"packets_sent": f.PacketsSent, "packets_received": f.PacketsReceived, "io_bytes": f.IOBytes,
		"io_bytes_per_second": f.IOThroughput, "wall_seconds": f.WallSeconds, "threads": f.Threads,
	} {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			t.Errorf("%s = %v (source %q)", name, v, f.Source[name])
		}
		if f.Source[name] == "" {
			t.Errorf("%s has no source", name)
		}
	}
}

func TestProfileMemoryAndGoAllocations(t *testing.T) {
	r := profileHelper(t, Options{Instructions: InstrNone}, "alloc")
	f := r.Features
	if f.PeakMemoryBytes < 100<<20 || f.HeapBytes < 95<<20 {
		t.Fatalf("peak %v, heap %v: want ≥ 100 MiB touched", f.PeakMemoryBytes, f.HeapBytes)
	}
	if len(r.GoReports) != 1 || r.GoReports[0].AllocBytes < 100<<20 {
		t.Fatalf("go reports %+v: want one with ≥ 100 MiB allocated", r.GoReports)
	}
	if f.AllocBytes < 100<<20 || !strings.Contains(f.Source["alloc_bytes"], "runtime/metrics") {
		t.Fatalf("alloc bytes %v from %q", f.AllocBytes, f.Source["alloc_bytes"])
	}
	if f.ContextSwitches <= 0 || f.Threads < 2 || !(f.WallSeconds >= 0.1) {
		t.Fatalf("context switches %v, threads %v, wall %v", f.ContextSwitches, f.Threads, f.WallSeconds)
	}
	if len(r.Snapshots) == 0 {
		t.Fatal("no memory snapshots")
	}
	if !math.IsNaN(f.Instructions) || !strings.HasPrefix(f.Source["instructions"], "missing") {
		t.Fatalf("instructions %v (%s) with counting off", f.Instructions, f.Source["instructions"])
	}
}

func TestProfileIO(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "x")
	r, err := Profile(context.Background(), Options{Instructions: InstrNone}, "/bin/sh",
		[]string{"-c", "dd if=/dev/zero of=" + file + " bs=1M count=20 2>/dev/null && cat " + file + " > /dev/null"})
	if err != nil {
		t.Fatal(err)
	}
	// dd reads 20 MiB and writes 20 MiB; cat reads 20 MiB and writes 20 MiB.
	if io := r.Features.IOBytes; io < 80<<20 || io > 90<<20 {
		t.Fatalf("I/O %v bytes, want ~80 MiB (%s)", io, r.Features.Source["io_bytes"])
	}
	if r.Features.IOThroughput <= 0 {
		t.Fatal("no I/O throughput")
	}
}

func TestProfileNetworkNamespace(t *testing.T) {
	r := profileHelper(t, Options{Instructions: InstrNone, Net: NetNS}, "net")
	f := r.Features
	if !strings.Contains(f.Source["bytes_sent"], "private network namespace") {
		t.Skipf("no private namespace here: %s", f.Source["bytes_sent"])
	}
	// 1 MiB over loopback: every byte is sent and received on lo, plus
	// headers.
	if f.BytesSent < 1<<20 || f.BytesReceived < 1<<20 || f.BytesSent > 1.2*(1<<20) {
		t.Fatalf("sent %v, received %v bytes: want 1 MiB plus headers", f.BytesSent, f.BytesReceived)
	}
	if f.PacketsSent < 10 {
		t.Fatalf("%v packets for 1 MiB", f.PacketsSent)
	}
}

func TestProfileFunctionUsesWrapper(t *testing.T) {
	dir := t.TempDir()
	jp, _ := functions.EncodeJPEG(image.NewYCbCr(image.Rect(0, 0, 64, 36), image.YCbCrSubsampleRatio420))
	in := filepath.Join(dir, "f.tar")
	if err := functions.WriteFrames(in, 64, 36, 30, [][]byte{jp, jp, jp}); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(in)
	mode := InstrValgrind
	if _, err := exec.LookPath("valgrind"); err != nil || testing.Short() {
		mode = InstrNone
	}
	r := profileHelper(t, Options{Instructions: mode}, "fn", in, filepath.Join(dir, "j.json"))
	f := r.Features
	if f.BytesReceived != float64(st.Size()) || f.BytesSent <= 0 || !strings.Contains(f.Source["bytes_received"], "wrapper") {
		t.Fatalf("received %v (want %d), sent %v, source %q", f.BytesReceived, st.Size(), f.BytesSent, f.Source["bytes_received"])
	}
	if want := math.Ceil(float64(st.Size())/mss) + 1; f.PacketsReceived != want {
		t.Fatalf("packets received %v, want %v", f.PacketsReceived, want)
	}
	if mode == InstrValgrind {
		checkComplete(t, f)
		// The Go runtime alone runs ~10⁶ instructions; branches are a
		// fraction of instructions.
		if f.Instructions < 1e6 || f.Branches < 0.05*f.Instructions || f.Branches > 0.5*f.Instructions {
			t.Fatalf("instructions %v, branches %v (%s)", f.Instructions, f.Branches, f.Source["instructions"])
		}
	}
}

func TestHardwareCountersOrWhyNot(t *testing.T) {
	ok, err := HardwareCounters()
	if ok {
		t.Log("hardware counters available")
		return
	}
	if err == nil {
		t.Fatal("no hardware counters and no reason")
	}
	t.Logf("no hardware counters: %v", err)
	if _, err := Profile(context.Background(), Options{Instructions: InstrPerf}, "/bin/true", nil); err == nil {
		t.Fatal("instructions=perf succeeded without hardware counters")
	}
}

func TestProfileFailureStillReports(t *testing.T) {
	self, _ := os.Executable()
	r, err := Profile(context.Background(), Options{Instructions: InstrNone, Env: append(os.Environ(), "CNAV_PROFILER_HELPER=fail")}, self, nil)
	if !errors.Is(err, ErrExit) || r == nil || r.ExitCode != 3 {
		t.Fatalf("failed command: %v, report %+v", err, r)
	}
	if _, err := Profile(context.Background(), Options{}, "/no/such/command", nil); err == nil {
		t.Fatal("missing command accepted")
	}
	if _, err := Profile(context.Background(), Options{Net: "wifi"}, "/bin/true", nil); err == nil {
		t.Fatal("bad net mode accepted")
	}
}

func TestParsers(t *testing.T) {
	dev := []byte(`Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:    1000      10    0    0    0     0          0         0     1000      10    0    0    0     0       0          0
  eth0:    5000      50    0    0    0     0          0         0     7000      70    0    0    0     0       0          0
`)
	if c := parseNetDev(dev, false); c != (netCounters{5000, 50, 7000, 70}) {
		t.Fatalf("without lo: %+v", c)
	}
	if c := parseNetDev(dev, true); c != (netCounters{6000, 60, 8000, 80}) {
		t.Fatalf("with lo: %+v", c)
	}
	cg := filepath.Join(t.TempDir(), "cg.1")
	os.WriteFile(cg, []byte("desc: x\ncmd: y\nevents: Ir Bc Bcm Bi Bim\nfl=a\n1 2 3 4 5 6\nsummary: 100 20 1 5 1\n"), 0o644)
	if i, b, err := parseCachegrind(cg); err != nil || i != 100 || b != 25 {
		t.Fatalf("cachegrind: %v %v %v", i, b, err)
	}
}
