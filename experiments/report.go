package experiments

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"strings"

	"github.com/confignav/confignav/internal/atomicfile"
)

// Meta describes a run in the report.
type Meta struct {
	Mode     Mode   `json:"mode"`
	Seeds    int    `json:"seeds"`
	Platform string `json:"platform"`
	// Version keys the cells: the code version and a fingerprint of the
	// data the cells depend on (prediction model, measured tables).
	Version string `json:"version"`
	// Measured: the run includes the measured platform.
	Measured bool `json:"measured_platform,omitempty"`
	// NoModel: the run has no prediction model (no ConfigNavigator, fig8,
	// table5).
	NoModel bool `json:"no_model,omitempty"`
}

// Summary is summary.json: the headline numbers of every experiment.
type Summary struct {
	Meta        Meta                  `json:"meta"`
	Experiments []string              `json:"experiments"`
	Missing     []string              `json:"missing,omitempty"` // experiments without rows
	Headlines   map[string][]Headline `json:"headlines"`
}

// headlineJSON writes NaN as null.
func (h Headline) MarshalJSON() ([]byte, error) {
	type plain Headline
	return json.Marshal(struct {
		plain
		Paper *float64 `json:"paper"`
		Ours  *float64 `json:"ours"`
		Low   *float64 `json:"ci_low"`
		High  *float64 `json:"ci_high"`
	}{plain(h), ptr(h.Paper), ptr(h.Ours), ptr(h.Low), ptr(h.High)})
}

func (h *Headline) UnmarshalJSON(b []byte) error {
	type plain Headline
	var v struct {
		plain
		Paper *float64 `json:"paper"`
		Ours  *float64 `json:"ours"`
		Low   *float64 `json:"ci_low"`
		High  *float64 `json:"ci_high"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*h = Headline(v.plain)
	h.Paper, h.Ours, h.Low, h.High = unptr(v.Paper), unptr(v.Ours), unptr(v.Low), unptr(v.High)
	return nil
}

// Assemble reads the finished cells from dirs (one, or several shards),
// writes one Parquet table and the figures per experiment into out, and the
// report (report.md) and headline numbers (summary.json).
func Assemble(dirs []string, out string, names []string, meta Meta) (*Summary, error) {
	if len(names) == 0 {
		names = Names()
	}
	rows, err := Load(dirs, names, meta.Version)
	if err != nil {
		return nil, err
	}
	figs := &Figures{Dir: out}
	sum := &Summary{Meta: meta, Headlines: map[string][]Headline{}}
	var b strings.Builder
	fmt.Fprintf(&b, "# confignav: reproduction of ConfigNavigator (MM '25)\n\n")
	fmt.Fprintf(&b, "Mode **%s**, %d seeds per cell group, platform **%s**, code version `%s`.\n\n", meta.Mode, meta.Seeds, meta.Platform, meta.Version)
	b.WriteString("Each section puts the paper's number beside ours (mean over seeds with a 95 % Student-t confidence interval over seeds) and the ratio ours/paper. ")
	b.WriteString("Comparisons between tuners are paired by seed (both tuners of a pair ran with the same seed on the same ground truth): each seed's value is the mean of its paired differences, and the interval is over those per-seed values. ")
	b.WriteString("Gains and regret count only answers within the cost bound in truth; the truth-feasible column gives each tuner's answers within the bound and the pairs counted. ")
	b.WriteString("The better baseline is the better of `charmseeker` and `aquatope-fixed` (Aquatope, corrected); the literal `aquatope` (Aquatope's public code as it is) is reported beside it.\n\n")
	b.WriteString("Tables are in `<experiment>.parquet` (schema in experiments/doc.go); figures as PNG and SVG.\n\n")
	for _, n := range names {
		e, err := Lookup(n)
		if err != nil {
			return nil, err
		}
		rs := rows[n]
		if len(rs) == 0 {
			sum.Missing = append(sum.Missing, n)
			fmt.Fprintf(&b, "## %s: %s\n\nNo results: the experiment did not run.\n\n", n, e.Title())
			continue
		}
		if err := WriteParquet(filepath.Join(out, n+".parquet"), rs); err != nil {
			return nil, err
		}
		sum.Experiments = append(sum.Experiments, n)
		// The modelled platform's section, then the measured platform's copy
		// (same summary over the rows of the measured cells).
		model := filter(rs, func(r *Row) bool { return r.Platform != PlatformMeasured || modelOnly[n] })
		measured := filter(rs, func(r *Row) bool { return r.Platform == PlatformMeasured && !modelOnly[n] })
		if len(model) > 0 {
			sec, err := e.Summarize(model, figs)
			if err != nil {
				return nil, fmt.Errorf("experiments: %s: %w", n, err)
			}
			sum.Headlines[n] = sec.Headlines
			writeSection(&b, n, e, sec)
		}
		if len(measured) > 0 {
			sec, err := e.Summarize(measured, &Figures{Dir: out, Suffix: "-measured"})
			if err != nil {
				return nil, fmt.Errorf("experiments: %s on the measured platform: %w", n, err)
			}
			sec.Title += ", measured platform"
			for i := range sec.Headlines {
				sec.Headlines[i].Name += " (measured platform)"
			}
			sum.Headlines[n+"@"+PlatformMeasured] = sec.Headlines
			writeSection(&b, n+"@"+PlatformMeasured, e, sec)
		}
	}
	if err := atomicfile.WriteFile(filepath.Join(out, "report.md"), []byte(b.String())); err != nil {
		return nil, err
	}
	js, _ := json.MarshalIndent(sum, "", "  ")
	if err := atomicfile.WriteFile(filepath.Join(out, "summary.json"), append(js, '\n')); err != nil {
		return nil, err
	}
	return sum, nil
}

func writeSection(b *strings.Builder, name string, e Experiment, sec *Section) {
	fmt.Fprintf(b, "## %s: %s\n\n", name, sec.Title)
	if sec.Text != "" {
		b.WriteString(sec.Text)
		b.WriteString("\n\n")
	}
	if len(sec.Headlines) > 0 {
		b.WriteString("| number | paper | ours (95 % CI) | ours/paper | truth-feasible | note |\n|---|---|---|---|---|---|\n")
		for _, h := range sec.Headlines {
			feas := h.Feasible
			if feas == "" {
				feas = "–"
			}
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", h.Name, fmtNum(h.Paper, h.Unit), fmtCI(h), fmtRatio(h.Ours, h.Paper), feas, h.Note)
		}
		b.WriteString("\n")
	}
	if len(sec.Table) > 0 {
		writeTable(b, sec.Table)
		b.WriteString("\n")
	}
	for _, t := range sec.Extra {
		writeTable(b, t)
		b.WriteString("\n")
	}
	for i, f := range sec.Figures {
		fmt.Fprintf(b, "![%s](%s)\n\n", strings.TrimSuffix(f, ".png"), f)
		if i < len(sec.Captions) && sec.Captions[i] != "" {
			fmt.Fprintf(b, "*%s*\n\n", sec.Captions[i])
		}
	}
}

func writeTable(b *strings.Builder, t [][]string) {
	for i, row := range t {
		b.WriteString("| " + strings.Join(row, " | ") + " |\n")
		if i == 0 {
			b.WriteString(strings.Repeat("|---", len(row)) + "|\n")
		}
	}
}

func fmtNum(v float64, unit string) string {
	if math.IsNaN(v) {
		return "–"
	}
	return fmt.Sprintf("%.2f %s", v, unit)
}

func fmtCI(h Headline) string {
	if math.IsNaN(h.Ours) {
		return "–"
	}
	if math.IsNaN(h.Low) {
		return fmtNum(h.Ours, h.Unit)
	}
	return fmt.Sprintf("%.2f %s [%.2f, %.2f]", h.Ours, h.Unit, h.Low, h.High)
}

func fmtRatio(ours, paper float64) string {
	if math.IsNaN(ours) || math.IsNaN(paper) || paper == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", ours/paper)
}

// headline builds a headline from per-seed values.
func headline(name string, paper float64, perSeed []float64, unit string, tol float64, note string) Headline {
	m, lo, hi := meanCI(perSeed)
	return Headline{Name: name, Paper: paper, Ours: m, Low: lo, High: hi, Unit: unit, Tolerance: tol, Note: note}
}
