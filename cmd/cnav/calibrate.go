package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"text/tabwriter"

	"github.com/confignav/confignav/calibrate"
	"github.com/confignav/confignav/fnmodel"
	"github.com/confignav/confignav/internal/atomicfile"
	"github.com/confignav/confignav/live"
	"github.com/confignav/confignav/platform"
	"github.com/confignav/confignav/video"
)

// runCalibrate is cnav calibrate: fit the simulated functions to
// measurements of the real ones, or show how well they fit.
func runCalibrate(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("calibrate [--measured DIR | --from VALIDATE.json] [--out FILE] | --check [--json]", stderr)
	measured := fs.String("measured", "results/reference/measured", "measured tables (cnav measure --reference DIR): DIR/NAME.json for the base clip, DIR/clips/CLIP/NAME.json for the others")
	from := fs.String("from", "", "fit to the output of cnav live validate --json (REPORT durations from a real account) instead of --measured")
	out := fs.String("out", "", "write the calibrated profiles to FILE (fnmodel/calibrated.json is the embedded default; CNAV_FUNCTIONS=FILE makes any command use FILE)")
	check := fs.Bool("check", false, "compare the simulated functions with the measurements: per function and memory size, measured and simulated medians and the relative error")
	asJSON := fs.Bool("json", false, "with --check: print the comparison as JSON")
	platFlag := fs.String("platform", "", "platform profile (a file or a named profile; default: the built-in AWS Lambda profile)")
	profilesFlag := fs.String("profiles", "", "with --check: check these calibrated profiles (cnav calibrate --out FILE) instead of the ones in use")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("calibrate: unexpected arguments %v", pos)
	}
	plat, err := loadPlatform(*platFlag)
	if err != nil {
		return err
	}
	var ms []calibrate.Measurement
	source := *measured
	if *from != "" {
		source = *from
		ms, err = loadValidateMeasurements(*from, plat)
	} else {
		ms, err = calibrate.LoadDir(*measured)
	}
	if err != nil {
		return err
	}
	if *check {
		profiles := fnmodel.BuiltinProfiles()
		if *profilesFlag != "" {
			b, err := os.ReadFile(*profilesFlag)
			if err != nil {
				return err
			}
			if profiles, err = fnmodel.ParseProfiles(b); err != nil {
				return fmt.Errorf("%s: %w", *profilesFlag, err)
			}
		}
		rep, err := calibrate.Check(profiles, ms, plat)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(stdout, rep)
		}
		printCheck(stdout, rep)
		return nil
	}
	file, err := calibrate.FitAll(ms, calibrate.Options{Platform: plat}, source)
	if err != nil {
		return err
	}
	printFit(stdout, file)
	if *out != "" {
		b, err := file.JSON()
		if err != nil {
			return err
		}
		if err := atomicfile.WriteFile(*out, b); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "calibrated profiles of %d functions written to %s\n", len(file.Functions), *out)
	}
	return nil
}

func printFit(w io.Writer, f *calibrate.File) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "function\tCPU ms (ref clip)\tfixed CPU ms\tparallel\toverhead ms\tquota coef\tquota exp\tpixels exp\tframes exp\tworking set MB\trms log err\tspread\t")
	for _, n := range f.Names() {
		r := f.Functions[n]
		p := r.Profile
		fmt.Fprintf(tw, "%s\t%.0f\t%.1f\t%.2f\t%.1f\t%.3g\t%.2f\t%.2f\t%.2f\t%.0f\t%.3f\t%.3f\t\n", n, p.CPUMs, p.FixedCPUMs, p.ParallelFraction, p.OverheadMs,
			p.SmallQuota.Coef, p.SmallQuota.Exp, p.Scale.Pixels, p.Scale.Frames, p.BaseMemoryMB+p.WorkingSetMB, r.RMSLog, r.Spread)
	}
	tw.Flush()
}

func printCheck(w io.Writer, rep calibrate.CheckReport) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "function\tclip\tmemory MB\tmeasured ms\tsimulated ms\terror\t\t")
	for _, r := range rep.Rows {
		note := ""
		if r.Capped {
			note = "capped"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.1f\t%.1f\t%+.1f %%\t%s\t\n", r.Function, r.Clip, r.MemoryMB, r.MeasuredMs, r.SimulatedMs, 100*r.RelError, note)
	}
	tw.Flush()
	pct := func(v *float64) string {
		if v == nil {
			return "–"
		}
		return fmt.Sprintf("%.1f %%", 100**v)
	}
	fmt.Fprintf(w, "median |error|: %s overall, %s at ≥ 512 MB, %s at 128–256 MB (%d rows; %s)\n",
		pct(rep.MedianAbsError), pct(rep.MedianAbsErrorGE512), pct(rep.MedianAbsErrorLE256), len(rep.Rows), rep.Simulated)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// validateDoc is the part of cnav live validate --json that calibration reads.
type validateDoc struct {
	Pipeline string               `json:"pipeline"`
	Input    *video.Input         `json:"input"`
	Rows     []live.ValidationRow `json:"rows"`
}

// loadValidateMeasurements turns live validate output into measurements:
// each function's REPORT durations per size, measured on Lambda, so its rows
// carry the platform's CPU share and visible cores and include the
// function's S3 transfers (modelled from the pipeline's data sizes).
func loadValidateMeasurements(path string, plat *platform.Profile) ([]calibrate.Measurement, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var d validateDoc
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("calibrate: %s: %w", path, err)
	}
	if d.Input == nil {
		return nil, fmt.Errorf("calibrate: %s: no input clip (made by an older cnav live validate: re-run it)", path)
	}
	if err := d.Input.Validate(); err != nil {
		return nil, fmt.Errorf("calibrate: %s: input: %w", path, err)
	}
	dag, err := loadPipeline(d.Pipeline)
	if err != nil {
		return nil, fmt.Errorf("calibrate: %s: %w", path, err)
	}
	byFn := map[string]*calibrate.Measurement{}
	for i, r := range d.Rows {
		if len(r.SamplesMs) == 0 {
			continue
		}
		for _, s := range r.SamplesMs {
			if !(s > 0) || math.IsInf(s, 0) {
				return nil, fmt.Errorf("calibrate: %s: rows[%d] (%s, %d MB): sample %v is not a positive duration", path, i, r.Function, r.MemoryMB, s)
			}
		}
		if err := plat.CheckMemory(r.MemoryMB); err != nil {
			return nil, fmt.Errorf("calibrate: %s: rows[%d] (%s): %w", path, i, r.Function, err)
		}
		m := byFn[r.Function]
		if m == nil {
			k, ok := dag.Lookup(r.Function)
			if !ok {
				return nil, fmt.Errorf("calibrate: %s: rows[%d]: function %q is not in pipeline %s", path, i, r.Function, d.Pipeline)
			}
			nd := &dag.Nodes[k]
			prof, err := fnmodel.Builtin(nd.Model)
			if err != nil {
				return nil, fmt.Errorf("calibrate: %s: %w", path, err)
			}
			inMB, objects := 0.0, len(nd.Preds)
			if objects == 0 {
				inMB, objects = d.Input.EncodedBytes()/(1<<20), 1
			}
			for _, p := range nd.Preds {
				pp, err := fnmodel.Builtin(dag.Nodes[p].Model)
				if err == nil {
					inMB += pp.OutputMB * pp.Scale.Factors(*d.Input).Work
				}
			}
			m = &calibrate.Measurement{Function: r.Function, Runtime: prof.Runtime, PackageMB: prof.PackageMB, InitMs: prof.InitCPUMs,
				Source: "cnav live validate " + path,
				Clips: []calibrate.Clip{{Input: *d.Input, PeakRSSMB: prof.BaseMemoryMB + prof.WorkingSetMB*prof.Scale.Factors(*d.Input).WorkingSet,
					InputMB: inMB, InputObjects: objects, OutputMB: prof.OutputMB * prof.Scale.Factors(*d.Input).Work}}}
			byFn[r.Function] = m
		}
		m.Clips[0].Rows = append(m.Clips[0].Rows, calibrate.Row{MemoryMB: r.MemoryMB, CPUs: plat.VCPU(r.MemoryMB),
			Cores: plat.VisibleCores(r.MemoryMB), SamplesMs: append([]float64(nil), r.SamplesMs...), Lambda: true})
	}
	if len(byFn) == 0 {
		return nil, fmt.Errorf("calibrate: %s: no rows with samples_ms (made by an older cnav live validate: re-run it)", path)
	}
	names := make([]string, 0, len(byFn))
	for n := range byFn {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]calibrate.Measurement, len(names))
	for i, n := range names {
		m := byFn[n]
		sort.Slice(m.Clips[0].Rows, func(a, b int) bool { return m.Clips[0].Rows[a].MemoryMB < m.Clips[0].Rows[b].MemoryMB })
		out[i] = *m
	}
	return out, nil
}

// useFunctionsEnv makes CNAV_FUNCTIONS=FILE (cnav calibrate --out) the
// simulated functions of every command: a user's refit to their account
// replaces the embedded calibration for the functions it covers.
func useFunctionsEnv() error {
	path := os.Getenv("CNAV_FUNCTIONS")
	if path == "" {
		fnmodel.ResetProfiles() // a command run in-process after one with a refit
		return nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("CNAV_FUNCTIONS: %w", err)
	}
	m, err := fnmodel.ParseProfiles(b)
	if err != nil {
		return fmt.Errorf("CNAV_FUNCTIONS=%s: %w", path, err)
	}
	fnmodel.ResetProfiles()
	return fnmodel.UseProfiles(m)
}
