package experiments

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
)

// Mode is the size of a reproduction: quick for CI and ./run.sh (every
// experiment, fewer seeds and shorter runs), full for the paper's scale.
type Mode string

const (
	Quick Mode = "quick"
	Full  Mode = "full"
)

// Cell is one independent unit of work: an experiment at one set of
// parameters and one seed. Its key (parameters, seed and code version) names
// the file its rows are stored in, so a re-run skips finished cells.
type Cell struct {
	Experiment string
	Params     string // canonical "k=v,k=v" in key order
	Seed       uint64
}

// Key is the cell's identity within a code version.
func (c Cell) Key() string {
	return fmt.Sprintf("%s/%s/seed=%d", c.Experiment, c.Params, c.Seed)
}

// Param returns a parameter's value ("" when absent).
func (c Cell) Param(name string) string {
	for _, kv := range strings.Split(c.Params, ",") {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v
		}
	}
	return ""
}

// Params formats parameters canonically.
func Params(kv map[string]string) string {
	keys := make([]string, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + kv[k]
	}
	return strings.Join(parts, ",")
}

// Row is one observation in the long ("tidy") results format shared by every
// experiment; its Arrow schema is in doc.go.
type Row struct {
	Experiment string  `json:"experiment"`
	Platform   string  `json:"platform"` // "model" or "measured"
	Pipeline   string  `json:"pipeline,omitempty"`
	Tuner      string  `json:"tuner,omitempty"`
	Bound      float64 `json:"bound"` // NaN when not applicable
	Seed       int64   `json:"seed"`
	Series     string  `json:"series,omitempty"`
	X          float64 `json:"x"` // NaN when not applicable
	Metric     string  `json:"metric"`
	Value      float64 `json:"value"`
}

// Experiment is one figure or table of the paper.
type Experiment interface {
	// Name is the experiment's id (fig1, table4, …).
	Name() string
	// Title describes it in one line.
	Title() string
	// Cells lists the work for a mode and seed count.
	Cells(mode Mode, seeds int) []Cell
	// Run computes one cell.
	Run(ctx context.Context, env *Env, c Cell) ([]Row, error)
	// Summarize turns all the rows of the experiment into a report section
	// with figures and headline numbers.
	Summarize(rows []Row, fig *Figures) (*Section, error)
}

// Section is an experiment's part of the report.
type Section struct {
	Title     string
	Text      string       // markdown paragraph(s)
	Table     [][]string   // markdown table, first row is the header
	Figures   []string     // file names (PNG) in the run directory
	Captions  []string     // one per figure ("" for none), below it
	Extra     [][][]string // further markdown tables, after the figures
	Headlines []Headline
}

// Headline is a number the paper reports and ours beside it.
type Headline struct {
	Name      string  `json:"name"`
	Paper     float64 `json:"paper"` // NaN when the paper gives none
	Ours      float64 `json:"ours"`
	Low       float64 `json:"ci_low"` // 95 % confidence interval over seeds (NaN when one seed)
	High      float64 `json:"ci_high"`
	Unit      string  `json:"unit"`
	Tolerance float64 `json:"tolerance"` // absolute, for cnav check; 0 = not gated
	Note      string  `json:"note,omitempty"`
	// Feasible is the truth-feasible column of a comparison or regret: each
	// compared tuner's answers within the bound in truth ("navigator 11/12,
	// …") and the pairs counted.
	Feasible string `json:"feasible,omitempty"`
}

var registry = map[string]Experiment{}

func register(e Experiment) { registry[e.Name()] = e }

// modelOnly are the experiments that have no measured-platform copy: the
// prediction model's error is measured on the modelled platform it was
// trained on, and "measured" is the measured platform's own section.
var modelOnly = map[string]bool{"fig8": true, "table5": true, "measured": true, "calibration": true}

// needsTables are the experiments planned only with a measured platform;
// needsModel only with a prediction model.
var (
	needsTables = map[string]bool{"measured": true, "calibration": true}
	needsModel  = map[string]bool{"fig8": true, "table5": true}
)

// Platforms of cells and rows.
const (
	PlatformModel    = "model"
	PlatformMeasured = "measured"
)

// onPlatform is a copy of a cell on the measured platform.
func onPlatform(c Cell, platform string) Cell {
	kv := map[string]string{}
	for _, p := range strings.Split(c.Params, ",") {
		if k, v, ok := strings.Cut(p, "="); ok {
			kv[k] = v
		}
	}
	kv["platform"] = platform
	c.Params = Params(kv)
	return c
}

// Names lists the experiments in report order.
func Names() []string {
	order := []string{"calibration", "fig1", "fig2", "fig3", "fig7", "table4", "fig8", "table5", "fig9", "fig10", "fig11", "regret", "baselines-home", "measured"}
	var out []string
	for _, n := range order {
		if _, ok := registry[n]; ok {
			out = append(out, n)
		}
	}
	return out
}

// Lookup returns a registered experiment.
func Lookup(name string) (Experiment, error) {
	e, ok := registry[name]
	if !ok {
		return nil, fmt.Errorf("experiments: unknown experiment %q (known: %s)", name, strings.Join(Names(), ", "))
	}
	return e, nil
}

// nan is NaN, for rows without a bound or x.
var nan = math.NaN()
