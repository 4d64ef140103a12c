package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/confignav/confignav/traces"
)

const tracesUsage = `usage: cnav traces <command> [arguments]

commands:
  import azure2019|azure2021 PATH... --out FILE.parquet
        convert Azure Functions CSV (or .csv.gz) files to a Parquet cache
  stats FILE [--json]
        summarise a trace: FILE is a .parquet cache, an Azure CSV, a
        directory of Azure 2019 files, or a spec (synthetic,
        azure2019:PATH[,PATH...], azure2021:PATH)
  synth --functions N --duration D --seed S --out FILE.parquet
        generate a synthetic Azure-like trace

Run 'cnav traces <command> -h' for a command's flags.
`

// runTraces runs "cnav traces ..."; args are the arguments after "traces".
func runTraces(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, tracesUsage)
		return usagef("traces: missing command (import, stats or synth)")
	}
	switch args[0] {
	case "import":
		return tracesImport(ctx, args[1:], stdout, stderr)
	case "stats":
		return tracesStats(ctx, args[1:], stdout, stderr)
	case "synth":
		return tracesSynth(ctx, args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, tracesUsage)
		return nil
	}
	fmt.Fprint(stderr, tracesUsage)
	return usagef("traces: unknown command %q (want import, stats or synth)", args[0])
}

// tracesFlags is a flag set for one traces subcommand, with its usage line.
func tracesFlags(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := newFlags("traces "+name, stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: cnav traces %s\n\nflags:\n", usage)
		fs.PrintDefaults()
	}
	return fs
}

func tracesImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := tracesFlags("import", "import azure2019|azure2021 PATH... --out FILE.parquet", stderr)
	out := fs.String("out", "", "output Parquet `file` (required)")
	sel := fs.String("select", "", "keep only the functions this selection chooses (see package traces)")
	seed := fs.Uint64("seed", 1, "seed for --select sample:N")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) < 2:
		fs.Usage()
		return usagef("traces import: want a format (azure2019 or azure2021) and at least one path")
	case *out == "":
		fs.Usage()
		return usagef("traces import: --out FILE.parquet is required")
	case !strings.HasSuffix(strings.ToLower(*out), ".parquet"):
		return usagef("traces import: --out %q should end in .parquet", *out)
	}
	var t *traces.Trace
	switch pos[0] {
	case "azure2019":
		t, err = traces.LoadAzure2019(pos[1:]...)
	case "azure2021":
		if len(pos) != 2 {
			return usagef("traces import: azure2021 takes one file")
		}
		t, err = traces.LoadAzure2021(pos[1])
	default:
		return usagef("traces import: unknown format %q (want azure2019 or azure2021)", pos[0])
	}
	if err != nil {
		return err
	}
	if t, err = subset(t, *sel, *seed); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if t.Invocations() == 0 {
		return fmt.Errorf("traces import: %s: no invocations (%d functions, %d minutes; a header-only file?): refusing to write an empty cache to %s",
			strings.Join(pos[1:], ", "), len(t.Functions), t.Minutes, *out)
	}
	if err := traces.WriteParquetFile(*out, t); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %s trace, %d functions, %d invocations, %d minutes\n",
		*out, t.Source, len(t.Functions), t.Invocations(), t.Minutes)
	return nil
}

func subset(t *traces.Trace, sel string, seed uint64) (*traces.Trace, error) {
	if sel == "" || sel == "all" {
		return t, nil
	}
	idx, err := t.Select(sel, seed)
	if err != nil {
		return nil, err
	}
	return t.Subset(idx), nil
}

func tracesStats(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := tracesFlags("stats", "stats FILE [--json]", stderr)
	asJSON := fs.Bool("json", false, "print JSON instead of text")
	sel := fs.String("select", "", "summarise only the functions this selection chooses")
	seed := fs.Uint64("seed", 1, "seed for synthetic traces and --select sample:N")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return usagef("traces stats: want exactly one FILE")
	}
	t, err := traces.Load(pos[0], traces.Options{Seed: *seed})
	if err != nil {
		return err
	}
	if t, err = subset(t, *sel, *seed); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s := t.Stats()
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	}
	return s.WriteText(stdout)
}

func tracesSynth(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	p := traces.DefaultSynthParams()
	fs := tracesFlags("synth", "synth --functions N --duration D --seed S --out FILE.parquet", stderr)
	fns := fs.Int("functions", p.Functions, "number of functions")
	dur := fs.Duration("duration", time.Duration(p.Minutes)*time.Minute, "length of the trace (rounded up to whole minutes)")
	seed := fs.Uint64("seed", 1, "random seed")
	start := fs.Int("start-minute", p.StartMinute, "minute of the day the trace starts at (diurnal phase)")
	out := fs.String("out", "", "output Parquet `file` (required)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 0:
		fs.Usage()
		return usagef("traces synth: unexpected argument %q", pos[0])
	case *out == "":
		fs.Usage()
		return usagef("traces synth: --out FILE.parquet is required")
	case *dur <= 0:
		return usagef("traces synth: --duration %v must be positive", *dur)
	}
	p.Functions, p.StartMinute = *fns, *start
	p.Minutes = int((*dur + time.Minute - 1) / time.Minute)
	t, err := traces.Synthesize(p, *seed)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := traces.WriteParquetFile(*out, t); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: synthetic trace, %d functions, %d invocations, %d minutes\n",
		*out, len(t.Functions), t.Invocations(), t.Minutes)
	return nil
}
