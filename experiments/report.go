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
	// TuneOn is what Figure 7 and Table 4 tuned on (Options.TuneOn; "" in a
	// run written before the catalogue became the default: the clip).
	TuneOn string `json:"tune_on,omitempty"`
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
	ev := newEvidence(rows["calibration"])
	// Sections first: the summary and the contents at the top are built
	// from them.
	type part struct {
		anchor, name, title string
		sec                 *Section
		whys                []string
	}
	var parts []part
	for _, n := range names {
		e, err := Lookup(n)
		if err != nil {
			return nil, err
		}
		rs := rows[n]
		if len(rs) == 0 {
			sum.Missing = append(sum.Missing, n)
			parts = append(parts, part{anchor: anchorOf(n), name: n, title: e.Title()})
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
			parts = append(parts, part{anchorOf(n), n, sec.Title, sec, explain(e, sec.Headlines, model, ev, PlatformModel)})
		}
		if len(measured) > 0 {
			sec, err := e.Summarize(measured, &Figures{Dir: out, Suffix: "-measured"})
			if err != nil {
				return nil, fmt.Errorf("experiments: %s on the measured platform: %w", n, err)
			}
			whys := explain(e, sec.Headlines, measured, ev, PlatformMeasured)
			sec.Title += ", measured platform"
			for i := range sec.Headlines {
				sec.Headlines[i].Name += " (measured platform)"
			}
			sum.Headlines[n+"@"+PlatformMeasured] = sec.Headlines
			name := n + "@" + PlatformMeasured
			parts = append(parts, part{anchorOf(name), name, sec.Title, sec, whys})
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# confignav: reproduction of ConfigNavigator (MM '25)\n\n")
	fmt.Fprintf(&b, "Mode **%s**, %s per cell group, platform **%s**, code version `%s`.\n\n", meta.Mode, plural(meta.Seeds, "seed"), meta.Platform, meta.Version)
	if meta.TuneOn == TuneOnClip {
		b.WriteString("Figure 7 and Table 4 tuned on the 1080p tuning clip (`--tune-on clip`), not on the catalogue they serve.\n\n")
	}
	// The summary: every number the paper reports, ours beside it, whether
	// they agree (check.go's PaperVerdict) and why not, from this run.
	b.WriteString("## Summary: the paper's claims and ours\n\n")
	fmt.Fprintf(&b, "Every number of the paper this run reproduces, ours as the mean over seeds with a 95 %% Student-t interval (%s mode, %s). "+
		"*Agrees* when the paper's number lies within our interval or within the regression gate's tolerance of ours (`cnav check`). "+
		"*Why* is computed from this run: for a gain, where the cost bound binds (the calibration section's fastest configuration's cost / C_min per pipeline: "+
		"a bound above it does not bind and every tuner that finds the fastest configuration ties), how many pairs tie, and how often each tuner's answer "+
		"is within the bound in truth.\n\n", meta.Mode, plural(meta.Seeds, "seed"))
	b.WriteString("| claim | section | paper | ours (95 % CI) | agrees? | why |\n|---|---|---|---|---|---|\n")
	claims, agree := 0, 0
	for _, p := range parts {
		if p.sec == nil {
			continue
		}
		for i, h := range p.sec.Headlines {
			if math.IsNaN(h.Paper) {
				continue
			}
			claims++
			ok, verdict := PaperVerdict(h)
			yes, why := "no", p.whys[i]
			if ok {
				agree++
				yes, why = "yes", strings.TrimSuffix(strings.TrimPrefix(verdict, "agrees ("), ")")
			}
			fmt.Fprintf(&b, "| %s | [%s](#%s) | %s | %s | %s | %s |\n", h.Name, p.name, p.anchor, fmtNum(h.Paper, h.Unit), fmtCI(h), yes, mdCell(why))
		}
	}
	if claims == 0 {
		b.WriteString("| – | – | – | – | – | no experiment of this run has a number of the paper |\n")
	}
	fmt.Fprintf(&b, "\n%d of %d of the paper's numbers agree with ours.\n\n", agree, claims)
	b.WriteString("## Contents\n\n")
	for _, p := range parts {
		note := ""
		switch {
		case p.sec == nil:
			note = " (did not run)"
		default:
			n, d := 0, 0
			for i, h := range p.sec.Headlines {
				if !math.IsNaN(h.Paper) {
					n++
					if p.whys[i] != "" {
						d++
					}
				}
			}
			if n > 0 {
				note = fmt.Sprintf(" (%d of %d paper numbers differ)", d, n)
			}
		}
		fmt.Fprintf(&b, "- [%s: %s](#%s)%s\n", p.name, p.title, p.anchor, note)
	}
	b.WriteString("\n## How to read the sections\n\n")
	b.WriteString("Each section puts the paper's number beside ours (mean over seeds with a 95 % Student-t confidence interval over seeds) and the ratio ours/paper where both have the same sign. ")
	b.WriteString("Comparisons between tuners are paired by seed (both tuners of a pair ran with the same seed on the same ground truth): each seed's value is the mean of its paired differences, and the interval is over those per-seed values. ")
	b.WriteString("Gains and regret count only answers within the cost bound in truth; the truth-feasible column gives each tuner's answers within the bound and the pairs counted. ")
	b.WriteString("The better baseline is the better of `charmseeker` and `aquatope-fixed` (Aquatope, corrected); the literal `aquatope` (Aquatope's public code as it is) is reported beside it. ")
	b.WriteString("A section whose numbers differ from the paper's says why, with the numbers that show it, below its table of numbers.\n\n")
	b.WriteString("Tables are in `<experiment>.parquet` (schema in experiments/doc.go); figures as PNG and SVG.\n\n")
	for _, p := range parts {
		if p.sec == nil {
			fmt.Fprintf(&b, "<a id=\"%s\"></a>\n\n## %s: %s\n\nNo results: the experiment did not run.\n\n", p.anchor, p.name, p.title)
			continue
		}
		fmt.Fprintf(&b, "<a id=\"%s\"></a>\n\n", p.anchor)
		writeSectionWhy(&b, p.name, p.sec, p.whys)
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
	writeSectionWhy(b, name, sec, nil)
}

// plural is "1 seed", "3 seeds".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// anchorOf is a section's link target ("fig3@measured" → "fig3-measured").
func anchorOf(name string) string {
	return strings.NewReplacer("@", "-", " ", "-").Replace(name)
}

// mdCell keeps text inside one markdown table cell.
func mdCell(s string) string {
	return strings.NewReplacer("|", "\\|", "\n", " ").Replace(s)
}

// writeSectionWhy writes a section; whys (one per headline, "" where ours
// agrees or the paper has no number) follow the table of numbers as the
// reasons ours differs from the paper.
func writeSectionWhy(b *strings.Builder, name string, sec *Section, whys []string) {
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
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", h.Name, fmtNum(h.Paper, h.Unit), fmtCI(h), fmtRatio(h.Ours, h.Paper), feas, mdCell(h.Note))
		}
		b.WriteString("\n")
		var diff []string
		for i, w := range whys {
			if w != "" {
				diff = append(diff, fmt.Sprintf("- **%s**: paper %s, ours %s. Why: %s.", sec.Headlines[i].Name, fmtNum(sec.Headlines[i].Paper, sec.Headlines[i].Unit), fmtCI(sec.Headlines[i]), w))
			}
		}
		if len(diff) > 0 {
			b.WriteString("Where ours differs from the paper, and why (from this run's numbers):\n\n" + strings.Join(diff, "\n") + "\n\n")
		}
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

// countUnits are the units of counts, printed as integers ("42", not
// "42.00").
var countUnits = map[string]bool{"": true, "regions": true, "jumps": true, "count": true, "pairs": true, "evaluations": true, "functions": true, "requests": true}

// fmtNum formats a number with its unit: counts as integers, small values
// with two significant digits ("0.0031 %", not "0.00 %"), exact zero as "0".
func fmtNum(v float64, unit string) string {
	if math.IsNaN(v) {
		return "–"
	}
	s := fmtValue(v)
	if countUnits[unit] && v == math.Round(v) && math.Abs(v) < 1e15 {
		s = fmt.Sprintf("%d", int64(v))
	}
	if unit == "" {
		return s
	}
	return s + " " + unit
}

// fmtValue formats a value with two decimals, or two significant digits
// below 1 (up to six decimals); exact zero is "0".
func fmtValue(v float64) string {
	return fmtDec(v, decimals(v))
}

// decimals is how many decimals v needs for two significant digits (at
// least two, at most six).
func decimals(v float64) int {
	a := math.Abs(v)
	if a == 0 || a >= 1 || math.IsNaN(a) || math.IsInf(a, 0) {
		return 2
	}
	return min(6, max(2, 1-int(math.Floor(math.Log10(a)))))
}

func fmtDec(v float64, d int) string {
	switch {
	case math.IsNaN(v):
		return "–"
	case v == 0:
		return "0"
	}
	return fmt.Sprintf("%.*f", d, v)
}

func fmtCI(h Headline) string {
	if math.IsNaN(h.Ours) {
		return "–"
	}
	if math.IsNaN(h.Low) {
		return fmtNum(h.Ours, h.Unit)
	}
	// One precision for the mean and both ends: the mean's (the ends' when
	// the mean is zero).
	d := decimals(h.Ours)
	if h.Ours == 0 {
		d = max(decimals(h.Low), decimals(h.High))
	}
	u := ""
	if h.Unit != "" {
		u = " " + h.Unit
	}
	return fmt.Sprintf("%s%s [%s, %s]", fmtDec(h.Ours, d), u, fmtDec(h.Low, d), fmtDec(h.High, d))
}

// fmtRatio is ours/paper, only where both numbers have the same sign (a
// ratio of numbers of opposite signs, or over zero, means nothing).
func fmtRatio(ours, paper float64) string {
	if math.IsNaN(ours) || math.IsNaN(paper) || paper == 0 || ours == 0 || (ours > 0) != (paper > 0) {
		return "–"
	}
	return fmt.Sprintf("%.2f", ours/paper)
}

// headline builds a headline from per-seed values.
func headline(name string, paper float64, perSeed []float64, unit string, tol float64, note string) Headline {
	m, lo, hi := meanCI(perSeed)
	return Headline{Name: name, Paper: paper, Ours: m, Low: lo, High: hi, Unit: unit, Tolerance: tol, Note: note}
}
