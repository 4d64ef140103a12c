package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/confignav/confignav/functions"
	"github.com/confignav/confignav/measure"
	"github.com/confignav/confignav/video"
)

// runMeasure is cnav measure: latency-vs-memory tables of a real function
// under Lambda's CPU share (the measured platform).
func runMeasure(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("measure", stderr)
	fn := fs.String("function", "", "function to measure (cnav fn list)")
	memFlag := fs.String("memory", "128..4096:128", "memory sizes: MB, LO..HI:STEP, comma-separated")
	repeat := fs.Int("repeat", 5, "warm invocations per memory size")
	cold := fs.Int("cold", 1, "cold starts per memory size (each a new environment)")
	var ins, kv stringList
	fs.Var(&ins, "in", "input file (repeat for several)")
	fs.Var(&kv, "arg", "function argument key=value (repeatable)")
	out := fs.String("out", "", "output TABLE.parquet (TABLE.json is written beside it)")
	reference := fs.String("reference", "", "re-measure every built-in function on the reference clip into DIR")
	only := fs.String("functions", "", "with --reference: comma-separated subset")
	clipsFlag := fs.String("clips", "", "with --reference: comma-separated clips to measure (base, 720p-1s, 360p-3s, 1080p-5s; default all: base into DIR, the others into DIR/clips/NAME)")
	shares := fs.Int("cpu-shares", 262144, "cgroup v1 cpu.shares of the measurement group: a high weight keeps other processes from taking the CPU the quota grants (0: kernel default)")
	period := fs.Int("period-us", 100000, "CFS period, µs")
	timeout := fs.Duration("timeout", 10*time.Minute, "per invocation")
	fallback := fs.String("fallback", "", "without writable cgroups: \"taskset\" measures sizes ≥ 1,769 MB pinned to ⌈vCPU⌉ cores (labelled); empty: stop")
	clip := fs.String("input-clip", "", "the clip the inputs come from (to describe it; default: probed from the inputs)")
	workerBin := fs.String("worker", "", "serve the function with this binary (BIN serve NAME, e.g. the Lambda handler built from functions/cmd/lambda) instead of cnav fn serve")
	faces := fs.Int("faces", 1, "faces in the clip (for the table's input description)")
	motion := fs.Float64("motion", 0.5, "motion of the clip in [0, 1] (for the table's input description)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("measure: unexpected arguments %v", pos)
	}
	mem, err := measure.ParseMemory(*memFlag)
	if err != nil {
		return usagef("measure: --memory: %v", err)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	logf := func(s string) { fmt.Fprintln(stderr, s) }
	worker := func(name string) []string { return []string{self, "fn", "serve", name} }
	if *workerBin != "" {
		bin, err := filepath.Abs(*workerBin)
		if err != nil {
			return err
		}
		worker = func(name string) []string { return []string{bin, "serve", name} }
	}
	if *reference != "" {
		if *fn != "" || len(ins) > 0 || *out != "" {
			return usagef("measure: --reference takes no --function, --in or --out")
		}
		var fnSubset []string
		if *only != "" {
			fnSubset = strings.Split(*only, ",")
			for _, f := range fnSubset {
				if _, err := functions.Lookup(f); err != nil {
					return usagef("measure: --functions: %v", err)
				}
			}
		}
		sets := measure.ReferenceClips()
		if *clipsFlag != "" {
			var chosen []measure.ClipSet
			for _, name := range strings.Split(*clipsFlag, ",") {
				i := slices.IndexFunc(sets, func(c measure.ClipSet) bool { return c.Name == name || c.Name == "" && name == "base" })
				if i < 0 {
					return usagef("measure: --clips: unknown clip %q (known: base, 720p-1s, 360p-3s, 1080p-5s)", name)
				}
				chosen = append(chosen, sets[i])
			}
			sets = chosen
		}
		start := time.Now()
		for _, set := range sets {
			o := measure.ReferenceOptions{Memory: set.Memory, Repeat: set.Repeat, Cold: *cold, Shares: *shares, Worker: worker,
				Fallback: *fallback, Log: logf, Functions: fnSubset, Clip: set.Clip}
			if flagSet(args, "memory") {
				o.Memory = mem
			}
			if flagSet(args, "repeat") {
				o.Repeat = *repeat
			}
			dir := *reference
			if set.Name != "" {
				dir = filepath.Join(dir, "clips", set.Name)
			}
			logf(fmt.Sprintf("clip %dx%d, %g s: %d sizes, %d warm samples, into %s", set.Clip.Width, set.Clip.Height, set.Clip.Seconds, len(o.Memory), o.Repeat, dir))
			if err := measure.Reference(ctx, dir, o); err != nil {
				return err
			}
		}
		fmt.Fprintf(stdout, "reference tables written to %s in %.0f s\n", *reference, time.Since(start).Seconds())
		return nil
	}
	if *fn == "" || len(ins) == 0 || *out == "" {
		return usagef("measure: --function, --in and --out are required (or --reference DIR)")
	}
	if _, err := functions.Lookup(*fn); err != nil {
		return usagef("measure: %v", err)
	}
	if filepath.Ext(*out) != ".parquet" {
		return usagef("measure: --out %s: want a .parquet file", *out)
	}
	fargs := map[string]string{}
	for _, a := range kv {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return usagef("measure: --arg %q is not key=value", a)
		}
		fargs[k] = v
	}
	in, err := describeInput(ctx, *clip, ins)
	if err != nil {
		return err
	}
	in.Faces, in.Motion = *faces, *motion
	t, err := measure.Run(ctx, measure.Config{Function: *fn, Worker: worker(*fn), Inputs: ins, Args: fargs, Memory: mem,
		Repeat: *repeat, Cold: *cold, PeriodUs: *period, Shares: *shares, Timeout: *timeout, Input: in,
		Fallback: *fallback, Log: logf})
	if errors.Is(err, measure.ErrNoCgroups) {
		return fmt.Errorf("%w\nThe CPU share of a memory size cannot be enforced here, so nothing was measured. "+
			"Run as root on a machine with cgroup v1 cpu+memory or cgroup v2 controllers, or pass --fallback taskset "+
			"to measure only sizes ≥ 1,769 MB pinned to whole cores (rows are labelled)", err)
	}
	if t == nil {
		return err
	}
	if werr := measure.Write(t, *out); werr != nil {
		return werr
	}
	fmt.Fprintf(stdout, "%s: %d of %d memory sizes measured, written to %s and %s\n", *fn, len(t.Rows), len(t.Details),
		*out, strings.TrimSuffix(*out, ".parquet")+".json")
	return err
}

// flagSet reports whether a flag was given on the command line.
func flagSet(args []string, name string) bool {
	for _, a := range args {
		a = strings.TrimLeft(a, "-")
		if a == name || strings.HasPrefix(a, name+"=") {
			return true
		}
	}
	return false
}

// describeInput describes the clip the inputs come from: the given clip, or
// the first input that is a clip or a frames tar.
func describeInput(ctx context.Context, clip string, ins []string) (video.Input, error) {
	cands := ins
	if clip != "" {
		cands = []string{clip}
	}
	for _, p := range cands {
		k, err := functions.Sniff(p)
		if err != nil {
			return video.Input{}, err
		}
		switch k {
		case functions.KindVideo:
			info, err := functions.Probe(ctx, p)
			if err != nil {
				return video.Input{}, err
			}
			return video.Input{Width: info.Width, Height: info.Height, FPS: info.FPS, Seconds: float64(info.Frames) / info.FPS, ID: -1}, nil
		case functions.KindFrames:
			f, err := functions.ReadFrames(p)
			if err != nil {
				return video.Input{}, err
			}
			return video.Input{Width: f.Width, Height: f.Height, FPS: f.FPS, Seconds: f.Seconds(), ID: -1}, nil
		}
	}
	return video.Input{}, usagef("measure: cannot tell the clip from the inputs: pass --input-clip CLIP")
}
