package experiments

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"sync"

	"github.com/confignav/confignav/calibrate"
	"github.com/confignav/confignav/fnmodel"
	"github.com/confignav/confignav/internal/atomicfile"
	"github.com/confignav/confignav/navigator/model"
	"github.com/confignav/confignav/platform"
)

// Options configure a reproduction.
type Options struct {
	Only     []string // experiments to run (nil: all)
	Mode     Mode
	Seeds    int // seeds per cell group (0: 3 quick, 20 full)
	Out      string
	Shard    int // this shard, 0-based
	Shards   int // number of shards (0 or 1: no sharding)
	Workers  int // cells in parallel (0: 1)
	Platform *platform.Profile
	Version  string // code version keying cached cells ("" = CodeVersion())
	// Progress is called after each cell with (done, total); nil for none.
	Progress func(done, total int)
	Log      io.Writer // one line per cell failure or note; nil for none
	// Model loads ConfigNavigator's prediction model for a platform (nil:
	// the navigator, fig8 and table5 fail their cells and the report says so).
	Model func(p *platform.Profile) (*model.Model, error)
	// MeasuredProfile is the measured platform's profile: the platform its
	// tables were measured on (measure.Platform; nil: Platform).
	MeasuredProfile *platform.Profile
	// Measured are the measured platform's tables (nil: no measured
	// platform; the measured experiment and the measured copies of the
	// others are not planned).
	Measured map[string]*fnmodel.Table
	// Calibration are the measurements with their extra clips (calibrate.
	// LoadDir of the same directory), for the calibration section.
	Calibration []calibrate.Measurement
	// MeasuredPlatform plans the measured-platform cells without the tables
	// (cnav merge, checking that shards are complete).
	MeasuredPlatform bool
	// NoModel leaves out the experiments that evaluate the prediction model
	// (there is none); ConfigNavigator is then absent from the others.
	NoModel bool
	// Subset restricts the plan to a named subset of every experiment's
	// cells ("": all; SubsetCI: the regression subset).
	Subset string
	// TuneOn is what the tuners of Figure 7 and Table 4 tune on and are
	// judged on: TuneOnCatalogue ("" too: the clips Fig. 7 serves, as the
	// paper's §4.2 baselines search online on the stream) or TuneOnClip
	// (the 1080p tuning clip, as Figs. 9 and 10; workload.go). It changes
	// those cells' rows, so Version must say it.
	TuneOn string
}

// What Figure 7 and Table 4 tune on (Options.TuneOn).
const (
	TuneOnClip      = "clip"
	TuneOnCatalogue = "catalogue"
)

// SubsetCI is the regression subset that ./run.sh test gates against
// results/reference/ci-summary.json: a few cells of every gated
// experiment, seed 1, in quick mode, small enough for CI (about 3 minutes
// on 2 cores). Its numbers are not the paper's comparisons (too few cells
// for that); they exist to fail when a code change moves them.
const SubsetCI = "ci"

// ciCells are the cells of SubsetCI: per experiment, patterns of
// parameters (a cell is kept when it has every k=v of a pattern; a cell
// without a platform parameter is on platform=model). An experiment not
// listed keeps every cell (calibration, fig1, fig3, fig8 and table5 are cheap,
// and their summaries need every pipeline). Only seed 1 is kept.
var ciCells = map[string][]string{
	"fig2":           {"shape=sequence,platform=model"},
	"fig7":           {"bound=0.3,pipeline=face-detection,platform=model", "bound=0.5,pipeline=face-detection,platform=model", "bound=1,pipeline=face-detection,platform=model"},
	"table4":         {"bound=0.3,platform=model"},
	"fig9":           {"bound=0.3,pipeline=face-detection,platform=model", "bound=0.5,pipeline=face-detection,platform=model", "bound=1,pipeline=face-detection,platform=model"},
	"fig10":          {"bound=0.3,pipeline=face-detection,platform=model", "bound=0.5,pipeline=face-detection,platform=model", "bound=1,pipeline=face-detection,platform=model"},
	"fig11":          {"pipeline=face-detection,platform=model"},
	"regret":         {"bound=0.3,pipeline=sequence3,platform=model"},
	"baselines-home": {"bound=0.03,part=charmseeker-budgets,platform=model", "bound=0.3,part=paper-bounds,platform=model", "part=aquatope-qos,platform=model,qos=0.25"},
	"measured":       {"part=check", "part=stairs,pipeline=face-detection", "bound=0.3,part=regret"},
}

// Subsets lists the named subsets of the plan.
func Subsets() []string { return []string{SubsetCI} }

// inSubset reports whether a cell belongs to a named subset.
func inSubset(subset string, c Cell) bool {
	if subset == "" {
		return true
	}
	if c.Seed != 1 {
		return false
	}
	pats, ok := ciCells[c.Experiment]
	if !ok {
		return true
	}
	platform := c.Param("platform")
	if platform == "" {
		platform = PlatformModel
	}
	for _, pat := range pats {
		match := true
		for _, kv := range strings.Split(pat, ",") {
			k, v, _ := strings.Cut(kv, "=")
			got := c.Param(k)
			if k == "platform" {
				got = platform
			}
			if got != v {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}

func (o Options) onMeasured() bool { return len(o.Measured) > 0 || o.MeasuredPlatform }

// CodeVersion identifies the code that computes cells: the VCS revision the
// binary was built from, with "+dirty-HASH" for uncommitted changes (HASH of
// the executable, so two different dirty builds never share cells), or
// "dev-HASH" for a build without VCS stamps. Cached cells from another version
// are not reused.
func CodeVersion() string { return codeVersion() }

// codeVersion is computed once per process.
var codeVersion = sync.OnceValue(func() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return binaryVersion()
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return binaryVersion()
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "+dirty-" + strings.TrimPrefix(binaryVersion(), "dev-")
	}
	return rev
})

// binaryVersion names a build without version-control stamps (go build -buildvcs=false, or
// outside the repository) by a hash of the executable, so that cached cells
// are never reused across code changes.
func binaryVersion() string {
	path, err := os.Executable()
	if err != nil {
		return "dev"
	}
	f, err := os.Open(path)
	if err != nil {
		return "dev"
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "dev"
	}
	return fmt.Sprintf("dev-%x", h.Sum(nil)[:6])
}

// cellFile is what a finished cell leaves on disk. Checksum is the SHA-256
// of the version, the cell and the rows as written (cellChecksum): a cell
// file that is empty, truncated or edited by hand fails it, and is computed
// again by Execute and refused by Load (cnav merge, the report).
type cellFile struct {
	Version  string `json:"version"`
	Cell     Cell   `json:"cell"`
	Rows     []Row  `json:"rows"`
	Checksum string `json:"checksum"`
}

// rawCellFile is a cell file with its cell and rows as the bytes on disk,
// which the checksum covers.
type rawCellFile struct {
	Version  string          `json:"version"`
	Cell     json.RawMessage `json:"cell"`
	Rows     json.RawMessage `json:"rows"`
	Checksum string          `json:"checksum"`
}

func cellChecksum(version string, cell, rows []byte) string {
	h := sha256.New()
	h.Write([]byte(version))
	h.Write([]byte{0})
	h.Write(cell)
	h.Write([]byte{0})
	h.Write(rows)
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// encodeCell writes a cell file with its checksum.
func encodeCell(version string, c Cell, rows []Row) ([]byte, error) {
	cb, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	if rows == nil {
		rows = []Row{}
	}
	rb, err := json.Marshal(rows)
	if err != nil {
		return nil, err
	}
	return json.Marshal(rawCellFile{Version: version, Cell: cb, Rows: rb, Checksum: cellChecksum(version, cb, rb)})
}

// ErrBadCell marks a cell file that is empty, damaged, edited or without a
// checksum.
var ErrBadCell = errors.New("experiments: bad cell file")

// readCell reads and verifies a cell file.
func readCell(path string) (*cellFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	bad := func(why string) error {
		return fmt.Errorf("%w %s: %s; delete it and run cnav reproduce on its run directory to compute the cell again", ErrBadCell, path, why)
	}
	if len(b) == 0 {
		return nil, bad("empty (0 bytes)")
	}
	var raw rawCellFile
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, bad(fmt.Sprintf("not a cell (%v)", err))
	}
	switch {
	case raw.Checksum == "":
		return nil, bad("no checksum (edited, or written by an older cnav)")
	case len(raw.Cell) == 0 || len(raw.Rows) == 0:
		return nil, bad("no cell or no rows")
	case raw.Checksum != cellChecksum(raw.Version, raw.Cell, raw.Rows):
		return nil, bad("checksum mismatch (edited or damaged)")
	}
	cf := &cellFile{Version: raw.Version, Checksum: raw.Checksum}
	if err := json.Unmarshal(raw.Cell, &cf.Cell); err != nil {
		return nil, bad(err.Error())
	}
	if err := json.Unmarshal(raw.Rows, &cf.Rows); err != nil {
		return nil, bad(err.Error())
	}
	return cf, nil
}

// otherVersion reports whether the cell file at path names a code version
// other than version.
func otherVersion(path, version string) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	var v struct {
		Version string `json:"version"`
	}
	return json.Unmarshal(b, &v) == nil && v.Version != "" && v.Version != version
}

// cellDone reports whether a verified cell file is at path.
func cellDone(path string) bool {
	_, err := readCell(path)
	return err == nil
}

func (r Row) MarshalJSON() ([]byte, error) {
	type plain Row
	return json.Marshal(struct {
		plain
		Bound *float64 `json:"bound"`
		X     *float64 `json:"x"`
		Value *float64 `json:"value"`
	}{plain(r), ptr(r.Bound), ptr(r.X), ptr(r.Value)})
}

func (r *Row) UnmarshalJSON(b []byte) error {
	type plain Row
	var v struct {
		plain
		Bound *float64 `json:"bound"`
		X     *float64 `json:"x"`
		Value *float64 `json:"value"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*r = Row(v.plain)
	r.Bound, r.X, r.Value = unptr(v.Bound), unptr(v.X), unptr(v.Value)
	return nil
}

func ptr(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func unptr(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

func cellPath(out string, c Cell, version string) string {
	h := sha256.Sum256([]byte(version + "\x00" + c.Key()))
	return filepath.Join(out, "cells", c.Experiment, hex.EncodeToString(h[:8])+".json")
}

// Plan lists the cells of a run in a deterministic order, with this shard's
// share.
func Plan(opts Options) ([]Cell, error) {
	if opts.TuneOn != "" && opts.TuneOn != TuneOnClip && opts.TuneOn != TuneOnCatalogue {
		return nil, fmt.Errorf("experiments: tune on %q: want %s or %s", opts.TuneOn, TuneOnClip, TuneOnCatalogue)
	}
	if opts.Subset != "" && opts.Subset != SubsetCI {
		return nil, fmt.Errorf("experiments: unknown subset %q (known: %s)", opts.Subset, strings.Join(Subsets(), ", "))
	}
	names := opts.Only
	if len(names) == 0 {
		names = Names()
	}
	var cells []Cell
	for _, n := range names {
		e, err := Lookup(n)
		if err != nil {
			return nil, err
		}
		if needsTables[n] && !opts.onMeasured() || needsModel[n] && opts.NoModel {
			continue
		}
		own := e.Cells(opts.Mode, opts.seeds())
		cells = append(cells, own...)
		if opts.onMeasured() && !modelOnly[n] {
			for _, c := range own {
				cells = append(cells, onPlatform(c, PlatformMeasured))
			}
		}
	}
	if opts.Subset != "" {
		var kept []Cell
		for _, c := range cells {
			if inSubset(opts.Subset, c) {
				kept = append(kept, c)
			}
		}
		cells = kept
	}
	sort.SliceStable(cells, func(a, b int) bool { return cells[a].Key() < cells[b].Key() })
	if opts.Shards > 1 {
		var mine []Cell
		for i, c := range cells {
			if i%opts.Shards == opts.Shard {
				mine = append(mine, c)
			}
		}
		cells = mine
	}
	return cells, nil
}

func (o Options) seeds() int {
	if o.Seeds > 0 {
		return o.Seeds
	}
	if o.Mode == Full {
		return 20
	}
	return 3
}

// Execute computes every cell of this shard that is not already on disk.
// An interrupted run loses at most the cells in flight: each finished cell is
// written atomically as soon as it is done.
func Execute(ctx context.Context, opts Options) (ran, skipped int, err error) {
	if opts.Out == "" {
		return 0, 0, errors.New("experiments: no output directory")
	}
	if opts.Shards > 1 && (opts.Shard < 0 || opts.Shard >= opts.Shards) {
		return 0, 0, fmt.Errorf("experiments: shard %d of %d: want 0 ≤ shard < shards", opts.Shard, opts.Shards)
	}
	version := opts.Version
	if version == "" {
		version = CodeVersion()
	}
	cells, err := Plan(opts)
	if err != nil {
		return 0, 0, err
	}
	env := NewEnv(opts.Platform, opts.Mode)
	env.Model, env.Measured, env.Calibration, env.tuneOn = opts.Model, opts.Measured, opts.Calibration, opts.TuneOn
	mplat := opts.MeasuredProfile
	if mplat == nil {
		mplat = opts.Platform
	}
	menv := NewEnv(mplat, opts.Mode)
	menv.Model, menv.Measured, menv.onMeasured, menv.tuneOn = opts.Model, opts.Measured, true, opts.TuneOn
	envFor := func(c Cell) *Env {
		// Everything timed by the measured tables runs on the platform they
		// were measured on, the measured experiment included.
		if c.Param("platform") == PlatformMeasured || c.Experiment == "measured" {
			return menv
		}
		return env
	}
	var todo []Cell
	for _, c := range cells {
		path := cellPath(opts.Out, c, version)
		_, err := readCell(path)
		if err == nil {
			skipped++
			continue
		}
		if errors.Is(err, ErrBadCell) && opts.Log != nil {
			fmt.Fprintf(opts.Log, "experiments: recomputing cell %s: %v\n", c.Key(), err)
		}
		todo = append(todo, c)
	}
	workers := max(opts.Workers, 1)
	var (
		mu    sync.Mutex
		done  = skipped
		first error
		wg    sync.WaitGroup
		next  = make(chan Cell)
	)
	if opts.Progress != nil {
		opts.Progress(done, len(cells))
	}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range next {
				cerr := runCell(ctx, envFor(c), opts.Out, version, c)
				mu.Lock()
				if cerr != nil && first == nil {
					first = cerr
				}
				if cerr == nil {
					ran++
				}
				done++
				if opts.Progress != nil {
					opts.Progress(done, len(cells))
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for _, c := range todo {
		mu.Lock()
		stop := first != nil
		mu.Unlock()
		if stop {
			break
		}
		select {
		case next <- c:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		first = fmt.Errorf("experiments: interrupted: %w", ctx.Err())
	}
	return ran, skipped, first
}

func runCell(ctx context.Context, env *Env, out, version string, c Cell) error {
	e, err := Lookup(c.Experiment)
	if err != nil {
		return err
	}
	rows, err := e.Run(ctx, env, c)
	if err != nil {
		return fmt.Errorf("experiments: cell %s: %w", c.Key(), err)
	}
	for i := range rows {
		rows[i].Experiment = c.Experiment
		if rows[i].Seed == 0 {
			rows[i].Seed = int64(c.Seed)
		}
		if rows[i].Platform == "" {
			rows[i].Platform = PlatformModel
			if env.onMeasured {
				rows[i].Platform = PlatformMeasured
			}
		}
	}
	b, err := encodeCell(version, c, rows)
	if err != nil {
		return err
	}
	path := cellPath(out, c, version)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteFile(path, b)
}

// Load reads the rows of every finished cell of the named experiments found
// under the given run directories (several for merging shards), keeping one
// copy of each cell. With version set, cells computed by another version
// (left in a reused directory) are ignored.
func Load(dirs []string, names []string, version string) (map[string][]Row, error) {
	out := map[string][]Row{}
	seen := map[string]bool{}
	for _, dir := range dirs {
		for _, n := range names {
			files, _ := filepath.Glob(filepath.Join(dir, "cells", n, "*.json"))
			sort.Strings(files)
			for _, f := range files {
				cf, err := readCell(f)
				if err != nil {
					if version != "" && errors.Is(err, ErrBadCell) && otherVersion(f, version) {
						continue // left by another code version; never read
					}
					return nil, err
				}
				if version != "" && cf.Version != version {
					continue
				}
				key := cf.Version + "\x00" + cf.Cell.Key()
				if seen[key] {
					continue
				}
				seen[key] = true
				out[n] = append(out[n], cf.Rows...)
			}
		}
	}
	for n := range out {
		rows := out[n]
		sort.SliceStable(rows, func(a, b int) bool { return rowLess(&rows[a], &rows[b]) })
	}
	return out, nil
}

func rowLess(a, b *Row) bool {
	ka := fmt.Sprintf("%s|%s|%s|%v|%d|%s|%s", a.Platform, a.Pipeline, a.Tuner, a.Bound, a.Seed, a.Series, a.Metric)
	kb := fmt.Sprintf("%s|%s|%s|%v|%d|%s|%s", b.Platform, b.Pipeline, b.Tuner, b.Bound, b.Seed, b.Series, b.Metric)
	if ka != kb {
		return ka < kb
	}
	return a.X < b.X
}

// Complete reports which experiments have every cell of the plan on disk.
func Complete(opts Options, dirs []string) (map[string]bool, error) {
	all := opts
	all.Shards, all.Shard = 0, 0
	cells, err := Plan(all)
	if err != nil {
		return nil, err
	}
	version := opts.Version
	if version == "" {
		version = CodeVersion()
	}
	ok := map[string]bool{}
	for _, c := range cells {
		if _, seen := ok[c.Experiment]; !seen {
			ok[c.Experiment] = true
		}
		found := false
		for _, d := range dirs {
			if cellDone(cellPath(d, c, version)) {
				found = true
				break
			}
		}
		if !found {
			ok[c.Experiment] = false
		}
	}
	return ok, nil
}
