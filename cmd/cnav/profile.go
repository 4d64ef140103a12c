package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/profiler"
)

// featureOrder is the order features are printed in (their JSON names).
var featureOrder = []string{"instructions", "branches", "context_switches", "heap_bytes", "stack_bytes",
	"alloc_count", "alloc_bytes", "peak_memory_bytes", "bytes_sent", "bytes_received", "packets_sent",
	"packets_received", "io_bytes", "io_bytes_per_second", "wall_seconds", "threads"}

func featureValues(f *backend.Features) map[string]float64 {
	return map[string]float64{
		"instructions": f.Instructions, "branches": f.Branches, "context_switches": f.ContextSwitches,
		"heap_bytes": f.HeapBytes, "stack_bytes": f.StackBytes, "alloc_count": f.AllocCount, "alloc_bytes": f.AllocBytes,
		"peak_memory_bytes": f.PeakMemoryBytes, "bytes_sent": f.BytesSent, "bytes_received": f.BytesReceived,
		"packets_sent": f.PacketsSent, "packets_received": f.PacketsReceived, "io_bytes": f.IOBytes,
		"io_bytes_per_second": f.IOThroughput, "wall_seconds": f.WallSeconds, "threads": f.Threads,
	}
}

// runProfile is cnav profile: the basic-operation features of one run of a
// command.
func runProfile(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("profile", stderr)
	asJSON := fs.Bool("json", false, "print the report as JSON (features, sources, extras, memory snapshots)")
	instr := fs.String("instructions", profiler.InstrAuto, "instruction counting: auto, perf (hardware counters), valgrind or none")
	netMode := fs.String("net", profiler.NetAuto, "network counting: auto, ns (private namespace, loopback only) or host")
	interval := fs.Duration("interval", 10*time.Millisecond, "/proc sampling period")
	// Flags end at "--" or at the first argument that is not a flag; the
	// command's own flags are left alone.
	var cmd []string
	flagArgs := args
	for i, a := range args {
		if a == "--" {
			flagArgs, cmd = args[:i], args[i+1:]
			break
		}
	}
	if err := fs.Parse(flagArgs); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usagef("%v", err)
	}
	if cmd == nil {
		cmd = fs.Args()
	} else if fs.NArg() > 0 {
		return usagef("profile: unexpected arguments %v before --", fs.Args())
	}
	if len(cmd) == 0 {
		return usagef("profile: no command (usage: cnav profile [--json] -- CMD ARGS...)")
	}
	rep, err := profiler.Profile(ctx, profiler.Options{Instructions: *instr, Net: *netMode, Interval: *interval,
		Stdout: os.Stderr, Stderr: os.Stderr}, cmd[0], cmd[1:])
	if rep == nil {
		return err
	}
	vals := featureValues(&rep.Features)
	if *asJSON {
		feats := map[string]*float64{}
		for k, v := range vals {
			feats[k] = num(v)
		}
		extra := map[string]*float64{}
		for k, v := range rep.Extra {
			extra[k] = num(v)
		}
		doc := map[string]any{
			"command": rep.Command, "exit_code": rep.ExitCode, "features": feats, "source": rep.Features.Source,
			"extra": extra, "snapshots": rep.Snapshots, "go_reports": rep.GoReports, "notes": rep.Notes,
		}
		b, jerr := json.MarshalIndent(doc, "", "  ")
		if jerr != nil {
			return jerr
		}
		fmt.Fprintf(stdout, "%s\n", b)
		return err
	}
	fmt.Fprintf(stdout, "command: %s (exit %d)\n", strings.Join(rep.Command, " "), rep.ExitCode)
	for _, k := range featureOrder {
		v := vals[k]
		s := "missing"
		if !math.IsNaN(v) {
			s = fmt.Sprintf("%.4g", v)
		}
		fmt.Fprintf(stdout, "%-20s %12s  %s\n", k, s, rep.Features.Source[k])
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(stdout, "note: %s\n", n)
	}
	return err
}
