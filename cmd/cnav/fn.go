package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/confignav/confignav/functions"
	"github.com/confignav/confignav/profiler"
	"github.com/confignav/confignav/video"
)

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// runFn is cnav fn: the real video functions run locally.
func runFn(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	usage := "usage: cnav fn list [--json] | run NAME --in FILE... --out FILE [--arg k=v...] [--json] | " +
		"gen --out FILE [clip flags] | serve NAME"
	if len(args) == 0 {
		return usagef("fn: no subcommand (%s)", usage)
	}
	switch args[0] {
	case "list":
		return runFnList(args[1:], stdout, stderr)
	case "run":
		return runFnRun(ctx, args[1:], stdout, stderr)
	case "gen":
		return runFnGen(ctx, args[1:], stdout, stderr)
	case "serve":
		if len(args) != 2 {
			return usagef("fn serve: want one function name")
		}
		return functions.Serve(ctx, args[1], os.Stdin, stdout)
	case "-h", "--help", "help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	return usagef("fn: unknown subcommand %q (%s)", args[0], usage)
}

func runFnList(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("fn list", stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("fn list: unexpected arguments %v", pos)
	}
	type argJSON struct {
		Name    string `json:"name"`
		Default string `json:"default"`
		Help    string `json:"help"`
	}
	type fnJSON struct {
		Name    string    `json:"name"`
		Summary string    `json:"summary"`
		Inputs  string    `json:"inputs"`
		Output  string    `json:"output"`
		FFmpeg  bool      `json:"ffmpeg"`
		Args    []argJSON `json:"args,omitempty"`
	}
	var all []fnJSON
	for _, n := range functions.Names() {
		f, _ := functions.Lookup(n)
		j := fnJSON{Name: n, Summary: f.Summary, Inputs: f.Inputs, Output: string(f.Output), FFmpeg: f.FFmpeg}
		for _, a := range f.Args {
			j.Args = append(j.Args, argJSON(a))
		}
		all = append(all, j)
	}
	if *asJSON {
		b, _ := json.MarshalIndent(all, "", "  ")
		_, err := fmt.Fprintf(stdout, "%s\n", b)
		return err
	}
	for _, f := range all {
		fmt.Fprintf(stdout, "%-17s %s → %s\n", f.Name, f.Inputs, f.Output)
		fmt.Fprintf(stdout, "%-17s %s\n", "", f.Summary)
		for _, a := range f.Args {
			fmt.Fprintf(stdout, "%-17s   --arg %s=%s  %s\n", "", a.Name, a.Default, a.Help)
		}
	}
	return nil
}

func runFnRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("fn run", stderr)
	var ins, kv stringList
	fs.Var(&ins, "in", "input file or s3://bucket/key (repeat for several)")
	out := fs.String("out", "", "output file or s3://bucket/key (required)")
	fs.Var(&kv, "arg", "function argument key=value (repeatable; see cnav fn list)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("fn run: want one function name (cnav fn list), got %d", len(pos))
	}
	if len(ins) == 0 || *out == "" {
		return usagef("fn run: --in and --out are required")
	}
	fargs := map[string]string{}
	for _, a := range kv {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return usagef("fn run: --arg %q is not key=value", a)
		}
		fargs[k] = v
	}
	// Under cnav profile, report the Go heap and the wrapper's data counts.
	finish := profiler.StartGoReport()
	res, err := functions.Invoke(ctx, pos[0], functions.Request{Inputs: ins, Output: *out, Args: fargs})
	if err != nil {
		return err
	}
	if err := finish(&profiler.Wrapper{BytesIn: res.BytesIn, BytesOut: res.BytesOut,
		ObjectsIn: res.ObjectsIn, ObjectsOut: res.ObjectsOut, Remote: res.Remote}); err != nil {
		return err
	}
	if *asJSON {
		b, _ := json.MarshalIndent(res, "", "  ")
		_, err := fmt.Fprintf(stdout, "%s\n", b)
		return err
	}
	keys := make([]string, 0, len(res.Notes))
	for k := range res.Notes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	notes := make([]string, len(keys))
	for i, k := range keys {
		notes[i] = fmt.Sprintf("%s=%v", k, res.Notes[k])
	}
	fmt.Fprintf(stdout, "%s: %s (%s) in %.0f ms; read %d B, wrote %d B; %s\n", res.Function, res.Output, res.Kind,
		res.DurationMs, res.BytesIn, res.BytesOut, strings.Join(notes, " "))
	return nil
}

func runFnGen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	d := functions.DefaultClip()
	fs := newFlags("fn gen", stderr)
	kind := fs.String("kind", d.Kind, "faces (pigo's sample photo over testsrc2) or testsrc2")
	res := fs.String("res", "360p", "resolution: a height such as 360p or 1080p, or WxH")
	fps := fs.Float64("fps", d.FPS, "frames per second")
	secs := fs.Float64("seconds", d.Seconds, "length in seconds")
	faces := fs.Int("faces", d.Faces, "faces kind: number of faces")
	noise := fs.Int("noise", d.Noise, "temporal noise strength (0 = none)")
	seed := fs.Int64("seed", d.Seed, "noise seed")
	letterbox := fs.Int("letterbox", 0, "black bars above and below, pixels")
	out := fs.String("out", "", "output MP4 (required)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 || *out == "" {
		return usagef("fn gen: --out FILE is required and takes no arguments")
	}
	c := functions.Clip{Kind: *kind, FPS: *fps, Seconds: *secs, Faces: *faces, Noise: *noise, Seed: *seed, Letterbox: *letterbox}
	if c.Kind == "testsrc2" {
		c.Faces = 0
	}
	if w, h, ok := strings.Cut(*res, "x"); ok {
		if _, err := fmt.Sscanf(w+" "+h, "%d %d", &c.Width, &c.Height); err != nil {
			return usagef("fn gen: --res %q is not WxH", *res)
		}
	} else if c.Width, c.Height, err = video.Resolution(*res); err != nil {
		return usagef("fn gen: --res: %v", err)
	}
	if err := c.Validate(); err != nil {
		return usagef("fn gen: %v", err)
	}
	if err := functions.Generate(ctx, c, *out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %s %dx%d, %g fps, %g s, faces %d, noise %d, seed %d\n", *out, c.Kind, c.Width, c.Height, c.FPS, c.Seconds, c.Faces, c.Noise, c.Seed)
	return nil
}
