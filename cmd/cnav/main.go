package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"sort"
	"sync/atomic"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first SIGINT/SIGTERM cancels ctx: the command stops at its next
	// check and cleans up (live mode restores the originals). Then the default
	// disposition is back, so a second signal ends a process that is stuck
	// where it cannot see ctx.
	var finished atomic.Bool
	go func() {
		<-ctx.Done()
		stop()
		if !finished.Load() {
			fmt.Fprintln(os.Stderr, "cnav: interrupted: stopping and cleaning up (signal again to quit at once)")
		}
	}()
	// CNAV_CPUPROFILE=FILE writes a CPU profile of the command (go tool pprof).
	stopProfile := func() {}
	if path := os.Getenv("CNAV_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil && pprof.StartCPUProfile(f) == nil {
			stopProfile = func() { pprof.StopCPUProfile(); f.Close() }
		}
	}
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	finished.Store(true)
	stop()
	stopProfile()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "cnav:", err)
	}
	os.Exit(exitCode(err))
}

// exitCode is the process status for run's error: 0 for success and for
// COMMAND -h (the usage was asked for and printed), 2 for a mistake in the
// command line, 1 for any other failure.
func exitCode(err error) int {
	var u usageError
	switch {
	case err == nil || errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &u):
		return 2
	}
	return 1
}

// command is one subcommand.
type command struct {
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
	summary string
}

func commands() map[string]command {
	return map[string]command{
		"pipelines": {runPipelines, "list, show and validate pipeline specs"},
		"platform":  {runPlatform, "show or calibrate the platform profile"},
		"simulate":  {runSimulate, "run a pipeline on the simulated platform"},
		"reproduce": {runReproduce, "reproduce the paper's figures and tables into a run directory"},
		"merge":     {runMerge, "combine shard run directories into one report"},
		"bench":     {runBench, "print the performance benchmarks in Go benchmark format"},
		"check":     {runCheck, "fail when a headline number moved beyond its tolerance from the reference"},
		"tune":      {runTune, "tune a pipeline's memory with a tuner under a cost bound"},
		"tuners":    {runTuners, "list the tuners"},
		"version":   {runVersion, "print the version"},
		"traces":    {runTraces, "import, inspect and sample Azure Functions traces and the synthetic workload"},
		"online":    {runOnline, "run a pipeline under ConfigNavigator's online controller, with scheduled input changes"},
		"model":     {runModel, "train and evaluate ConfigNavigator's prediction model"},
		"live":      {runLive, "deploy, tune and validate a pipeline on real AWS Lambda"},
		"fn":        {runFn, "list, run and generate inputs for the real video functions"},
		"profile":   {runProfile, "profile a real function's basic operations on this machine"},
		"measure":   {runMeasure, "measure real functions into a table-driven platform"},
		"calibrate": {runCalibrate, "fit the simulated functions to measurements of the real ones (--check shows the fit)"},
	}
}

// usageError is a mistake in the command line (exit status 2).
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmds := commands()
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printUsage(stdout, cmds)
		if len(args) == 0 {
			return usagef("no command given")
		}
		return nil
	}
	c, ok := cmds[args[0]]
	if !ok {
		return usagef("unknown command %q (run cnav help)", args[0])
	}
	if err := useFunctionsEnv(); err != nil {
		return err
	}
	return c.run(ctx, args[1:], stdout, stderr)
}

func printUsage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "usage: cnav COMMAND [flags]\n\ncommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nRun cnav COMMAND -h for the flags of a command.")
}

// version is set at build time with -ldflags "-X main.version=..."; the code
// version that keys cached results is computed separately.
var version = "dev"

func runVersion(_ context.Context, _ []string, stdout, _ io.Writer) error {
	fmt.Fprintln(stdout, "cnav", version)
	return nil
}

// newFlags makes a flag set that reports errors instead of exiting.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("cnav "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses args, allowing flags after positional arguments
// ("cnav pipelines show NAME --json"), and returns the positionals.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
