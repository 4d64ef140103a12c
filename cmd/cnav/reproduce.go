package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/confignav/confignav/calibrate"
	"github.com/confignav/confignav/experiments"
	"github.com/confignav/confignav/internal/atomicfile"
	"github.com/confignav/confignav/measure"
	"github.com/confignav/confignav/navigator/model"
	"github.com/confignav/confignav/platform"
)

// maxSeeds and maxWorkers bound reproduce's --seeds (the paper's full
// mode uses 20) and --workers.
const maxSeeds, maxWorkers = 1000, 1024

func runReproduce(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("reproduce", stderr)
	only := fs.String("only", "", "comma-separated experiments (default: all): "+strings.Join(experiments.Names(), ","))
	quick := fs.Bool("quick", false, "quick mode (the default): every experiment, fewer seeds and shorter runs")
	full := fs.Bool("full", false, "full mode: the paper's scale")
	seeds := fs.Int("seeds", 0, "seeds per cell group (default 3 quick, 20 full)")
	out := fs.String("out", "results/latest", "run directory")
	shard := fs.String("shard", "", "run shard i/n of the cells (0-based i); i may come from JOB_COMPLETION_INDEX with --shards n")
	shards := fs.Int("shards", 0, "number of shards when the index comes from JOB_COMPLETION_INDEX (Kubernetes Indexed Job, AWS Batch array)")
	workers := fs.Int("workers", 2, "cells computed in parallel")
	asJSON := fs.Bool("json", false, "print summary.json instead of the report path")
	platFile := fs.String("platform", "", "platform profile file")
	modelFile := fs.String("model", defaultModelPath, "ConfigNavigator's prediction model (cnav model train)")
	measuredModel := fs.String("measured-model", measuredModelPath, "ConfigNavigator's prediction model for the measured platform (cnav model train --platform measured:DIR)")
	measuredDir := fs.String("measured", defaultMeasuredDir, "measured tables of the measured platform (\"\": none)")
	subset := fs.String("subset", "", "run a named subset of the cells: \"ci\" is the regression subset that ./run.sh test gates (quick mode, seed 1, a few cells of every experiment; its reference is results/reference/ci-summary.json)")
	tuneOn := fs.String("tune-on", experiments.TuneOnCatalogue, "what the tuners of fig7 and table4 tune on and are judged on: catalogue (the clips fig7 serves; profiling and function-level invocations on ten representative clips of it, for every tuner) or clip (the 1080p tuning clip, as fig9, fig10 and regret)")
	// --model "" runs without ConfigNavigator (and without fig8 and table5).
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *quick && *full {
		return usagef("reproduce: --quick and --full exclude each other")
	}
	if *seeds < 0 || *seeds > maxSeeds {
		return usagef("reproduce: --seeds %d: want 1 to %d (omitted: 3 quick, 20 full)", *seeds, maxSeeds)
	}
	if *workers < 1 || *workers > maxWorkers {
		return usagef("reproduce: --workers %d: want 1 to %d", *workers, maxWorkers)
	}
	mode := experiments.Quick
	if *full {
		mode = experiments.Full
	}
	if *subset != "" {
		if *subset != experiments.SubsetCI {
			return usagef("reproduce: --subset %q: want %s", *subset, strings.Join(experiments.Subsets(), ", "))
		}
		if *full || *seeds > 1 {
			return usagef("reproduce: --subset %s runs quick mode with seed 1 (drop --full and --seeds)", *subset)
		}
		*seeds = 1
	}
	plat, err := loadPlatform(*platFile)
	if err != nil {
		return err
	}
	if *tuneOn != experiments.TuneOnClip && *tuneOn != experiments.TuneOnCatalogue {
		return usagef("reproduce: --tune-on %q: want %s or %s", *tuneOn, experiments.TuneOnClip, experiments.TuneOnCatalogue)
	}
	opts := experiments.Options{Mode: mode, Seeds: *seeds, Out: *out, Workers: *workers, Platform: plat, Subset: *subset, TuneOn: *tuneOn}
	// The data cells depend on is loaded (and checked) before any cell runs,
	// and its fingerprint is part of the version that keys cached cells, so
	// a resumed run never mixes cells computed with another model or tables.
	data := sha256.New()
	if *measuredDir != "" {
		if opts.MeasuredProfile, err = measure.Platform(*measuredDir, plat); err != nil {
			return err
		}
	}
	if *modelFile != "" {
		// One model per platform: --model for --platform, --measured-model
		// for the measured platform (a model is valid only on the profile
		// it was trained on).
		type modelFor struct {
			flag, path string
			plat       *platform.Profile
		}
		check := []modelFor{{"--model", *modelFile, plat}}
		if opts.MeasuredProfile != nil && model.Fingerprint(opts.MeasuredProfile) != model.Fingerprint(plat) {
			check = append(check, modelFor{"--measured-model", *measuredModel, opts.MeasuredProfile})
		}
		models := map[string]string{}
		for _, c := range check {
			models[model.Fingerprint(c.plat)] = c.path
			b, err := os.ReadFile(c.path)
			if err != nil {
				return fmt.Errorf("reproduce: %s: %w (--model \"\" runs without ConfigNavigator)", c.flag, err)
			}
			if _, err := model.Load(bytes.NewReader(b), c.plat); err != nil {
				return fmt.Errorf("reproduce: %s %s: %w", c.flag, c.path, err)
			}
			data.Write(b)
		}
		opts.Model = func(p *platform.Profile) (*model.Model, error) {
			path, ok := models[model.Fingerprint(p)]
			if !ok {
				return nil, fmt.Errorf("reproduce: no model for platform %q: %w", p.Name, model.ErrPlatform)
			}
			return model.LoadFile(path, p)
		}
	} else {
		opts.NoModel = true
	}
	if *measuredDir != "" {
		if opts.Measured, err = measure.LoadDir(*measuredDir); err != nil {
			return err
		}
		b, _ := json.Marshal(opts.Measured) // map keys are sorted: stable bytes
		data.Write(b)
		if opts.Calibration, err = calibrate.LoadDir(*measuredDir); err != nil {
			return err
		}
		b, _ = json.Marshal(opts.Calibration)
		data.Write(b)
	}
	opts.Version = fmt.Sprintf("%s/data-%x", experiments.CodeVersion(), data.Sum(nil)[:6])
	if *tuneOn != experiments.TuneOnCatalogue {
		// Cached cells of fig7 and table4 differ with it.
		opts.Version += "/tune-on-" + *tuneOn
	}
	if *only != "" {
		for _, n := range strings.Split(*only, ",") {
			if _, err := experiments.Lookup(strings.TrimSpace(n)); err != nil {
				return usagef("reproduce: --only: %v", err)
			}
			opts.Only = append(opts.Only, strings.TrimSpace(n))
		}
	}
	if opts.Shard, opts.Shards, err = parseShard(*shard, *shards); err != nil {
		return usagef("reproduce: %v", err)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	meta := experiments.Meta{Mode: mode, Seeds: *seeds, Platform: plat.Name, Version: opts.Version,
		Measured: len(opts.Measured) > 0, NoModel: opts.NoModel, TuneOn: *tuneOn}
	if meta.Seeds == 0 {
		meta.Seeds = map[experiments.Mode]int{experiments.Quick: 3, experiments.Full: 20}[mode]
	}
	if err := writeMeta(*out, meta, opts.Only, opts.Subset); err != nil {
		return err
	}
	cells, err := experiments.Plan(opts)
	if err != nil {
		return err
	}
	bar := newProgress(stderr, int64(len(cells)), "cells")
	opts.Progress = func(done, total int) { bar.set(int64(done)) }
	ran, skipped, err := experiments.Execute(ctx, opts)
	bar.done()
	if err != nil {
		return fmt.Errorf("%w (finished cells are kept: re-run the same command to resume)", err)
	}
	fmt.Fprintf(stderr, "cells: %d computed, %d already done\n", ran, skipped)
	if opts.Shards > 1 {
		fmt.Fprintf(stdout, "shard %d/%d done in %s; combine the shards with: cnav merge DIR...\n", opts.Shard, opts.Shards, *out)
		return nil
	}
	sum, err := experiments.Assemble([]string{*out}, *out, opts.Only, meta)
	if err != nil {
		return err
	}
	if *asJSON {
		b, _ := json.MarshalIndent(sum, "", "  ")
		fmt.Fprintf(stdout, "%s\n", b)
		return nil
	}
	fmt.Fprintln(stdout, filepath.Join(*out, "report.md"))
	return nil
}

// parseShard reads --shard i/n, or i from JOB_COMPLETION_INDEX (Kubernetes
// Indexed Jobs) or AWS_BATCH_JOB_ARRAY_INDEX with n from --shards.
func parseShard(flag string, n int) (int, int, error) {
	if flag != "" {
		a, b, ok := strings.Cut(flag, "/")
		i, err1 := strconv.Atoi(a)
		k, err2 := strconv.Atoi(b)
		if !ok || err1 != nil || err2 != nil || k < 1 || i < 0 || i >= k {
			return 0, 0, fmt.Errorf("--shard %q: want i/n with 0 ≤ i < n", flag)
		}
		return i, k, nil
	}
	if n > 1 {
		for _, v := range []string{"JOB_COMPLETION_INDEX", "AWS_BATCH_JOB_ARRAY_INDEX"} {
			if s := os.Getenv(v); s != "" {
				i, err := strconv.Atoi(s)
				if err != nil || i < 0 || i >= n {
					return 0, 0, fmt.Errorf("%s=%q: want an index in 0..%d", v, s, n-1)
				}
				return i, n, nil
			}
		}
		return 0, 0, errors.New("--shards given but neither --shard nor JOB_COMPLETION_INDEX nor AWS_BATCH_JOB_ARRAY_INDEX is set")
	}
	return 0, 0, nil
}

type runMeta struct {
	Meta   experiments.Meta `json:"meta"`
	Only   []string         `json:"only,omitempty"`
	Subset string           `json:"subset,omitempty"`
}

func writeMeta(dir string, m experiments.Meta, only []string, subset string) error {
	b, _ := json.MarshalIndent(runMeta{m, only, subset}, "", "  ")
	return atomicfile.WriteFile(filepath.Join(dir, "run.json"), append(b, '\n'))
}

func readMeta(dir string) (runMeta, error) {
	var m runMeta
	b, err := os.ReadFile(filepath.Join(dir, "run.json"))
	if err != nil {
		return m, fmt.Errorf("%s is not a run directory (no run.json): %w", dir, err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("%s/run.json: %w", dir, err)
	}
	return m, nil
}

func runMerge(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("merge DIR...", stderr)
	out := fs.String("out", "", "directory for the merged report (default: the first DIR)")
	dirs, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(dirs) == 0 {
		return usagef("merge: give the shard run directories")
	}
	meta, err := readMeta(dirs[0])
	if err != nil {
		return err
	}
	for _, d := range dirs[1:] {
		m, err := readMeta(d)
		if err != nil {
			return err
		}
		if m.Meta.Version != meta.Meta.Version || m.Meta.Mode != meta.Meta.Mode || m.Meta.Seeds != meta.Meta.Seeds || m.Subset != meta.Subset {
			return fmt.Errorf("merge: %s was run with %+v, %s with %+v: shards must share code version, mode and seeds", dirs[0], meta.Meta, d, m.Meta)
		}
	}
	dest := *out
	if dest == "" {
		dest = dirs[0]
	}
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return err
	}
	tuneOn := meta.Meta.TuneOn
	if tuneOn == "" {
		tuneOn = experiments.TuneOnClip // written before catalogue became the default
	}
	opts := experiments.Options{Mode: meta.Meta.Mode, Seeds: meta.Meta.Seeds, Only: meta.Only, Version: meta.Meta.Version,
		MeasuredPlatform: meta.Meta.Measured, NoModel: meta.Meta.NoModel, Subset: meta.Subset, TuneOn: tuneOn}
	complete, err := experiments.Complete(opts, dirs)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(complete))
	for name := range complete {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if !complete[name] {
			fmt.Fprintf(stderr, "merge: %s is incomplete: some cells are missing from every shard\n", name)
		}
	}
	if _, err := experiments.Assemble(dirs, dest, meta.Only, meta.Meta); err != nil {
		return err
	}
	if dest != dirs[0] {
		if err := writeMeta(dest, meta.Meta, meta.Only, meta.Subset); err != nil {
			return err
		}
	}
	fmt.Fprintln(stdout, filepath.Join(dest, "report.md"))
	return nil
}
