package online

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/hist"
	"github.com/confignav/confignav/pipeline"
)

// Options configure an online run.
type Options struct {
	Backend    backend.Backend
	Store      Store
	DAG        *pipeline.DAG
	Controller *Controller // nil runs the configuration statically
	Workload   backend.Workload
	WindowUs   int64 // control and reporting window (default 1 minute)
	Origin     int64 // backend time at which the workload starts
	Bound      float64
	// ChangeAt are the workload times of scheduled input changes; the
	// after-change summary covers requests that start SettleUs after the last.
	ChangeAt []int64
	SettleUs int64 // default 5 windows
	// Replan re-runs the offline search after a structure change, given the
	// detected fan-out counts; nil keeps the controller's configuration.
	Replan func(ctx context.Context, fanout map[string]float64) (backend.Config, error)
	// StructureRun is the structure detector's run length (default 5).
	StructureRun int
}

// Window is one reporting window.
type Window struct {
	StartS         float64 `json:"start_s"`
	Requests       int     `json:"requests"`
	MeanMs         float64 `json:"mean_ms"`
	P95Ms          float64 `json:"p95_ms"`
	CostPerRequest float64 `json:"cost_per_request_usd"`
	ConfigVersion  int     `json:"config_version"`
	Decision       string  `json:"decision,omitempty"`
}

// Summary aggregates requests.
type Summary struct {
	Requests          int     `json:"requests"`
	Failed            int     `json:"failed"`
	MeanMs            float64 `json:"mean_ms"`
	P95Ms             float64 `json:"p95_ms"`
	StdMs             float64 `json:"std_ms"`
	CostPerRequestUSD float64 `json:"cost_per_request_usd"`
	BoundUSD          float64 `json:"bound_usd"`
	Reconfigurations  int     `json:"reconfigurations"`
	StructureChanges  int     `json:"structure_changes"`
}

// Result is an online run.
type Result struct {
	Windows     []Window       `json:"windows"`
	Summary     Summary        `json:"summary"`
	AfterChange *Summary       `json:"after_change,omitempty"`
	Anomalies   Anomalies      `json:"anomalies"`
	Shifts      int            `json:"input_shifts"`
	Events      []string       `json:"events"`
	ReplanMs    []float64      `json:"replan_ms,omitempty"`
	Final       backend.Config `json:"final_config"`
}

type acc struct {
	h      hist.Histogram
	n      int
	failed int
	mean   float64
	m2     float64
	cost   float64
}

func (a *acc) add(q *Request) {
	if q.Failed {
		a.failed++
		return
	}
	x := q.E2EMs()
	a.h.Add(x)
	a.n++
	d := x - a.mean
	a.mean += d / float64(a.n)
	a.m2 += d * (x - a.mean)
	a.cost += q.CostUSD
}

func (a *acc) summary(bound float64) Summary {
	s := Summary{Requests: a.n + a.failed, Failed: a.failed, MeanMs: math.NaN(), P95Ms: math.NaN(), StdMs: math.NaN(), CostPerRequestUSD: math.NaN(), BoundUSD: bound}
	if a.n > 0 {
		s.MeanMs, s.P95Ms, s.CostPerRequestUSD = a.mean, a.h.Quantile(0.95), a.cost/float64(a.n)
	}
	if a.n > 1 {
		s.StdMs = math.Sqrt(a.m2 / float64(a.n-1))
	}
	return s
}

// runner is the sink that inspects records and drives the controller.
type runner struct {
	ctx     context.Context
	o       Options
	insp    *Inspector
	sd      *StructureDetector
	shift   *ShiftDetector
	res     *Result
	k       int // current window
	winReqs []*Request
	all     acc
	after   acc
	version int
	reconf  int // versions written after the initial one
	err     error
}

// Run drives the workload with the controller on (or off) and reports
// windows and summaries.
func Run(ctx context.Context, o Options) (*Result, error) {
	if o.WindowUs <= 0 {
		o.WindowUs = 60e6
	}
	if o.SettleUs <= 0 {
		o.SettleUs = 5 * o.WindowUs
	}
	names := o.DAG.Names()
	fan := map[string]bool{}
	for _, nd := range o.DAG.Nodes {
		if nd.FanOut != "" {
			fan[nd.Name] = true
		}
	}
	r := &runner{ctx: ctx, o: o, insp: NewInspector(o.DAG), sd: NewStructureDetector(names, fan, o.StructureRun),
		shift: NewShiftDetector(), res: &Result{}}
	if o.Controller != nil {
		d, err := o.Store.Put(ctx, o.Controller.Current(), "offline optimum")
		if err != nil {
			return nil, err
		}
		r.version = d.Version
	} else if d, err := o.Store.Get(ctx); err == nil {
		r.version = d.Version
	}
	if _, err := o.Backend.Run(ctx, o.Workload, r); err != nil {
		return nil, err
	}
	if r.err != nil {
		return nil, r.err
	}
	r.closeWindow(true)
	r.res.Summary = r.all.summary(o.Bound)
	r.res.Summary.StructureChanges = r.sd.Detections
	r.res.Summary.Reconfigurations = r.reconf
	if len(o.ChangeAt) > 0 {
		s := r.after.summary(o.Bound)
		s.Reconfigurations, s.StructureChanges = r.res.Summary.Reconfigurations, r.res.Summary.StructureChanges
		r.res.AfterChange = &s
	}
	r.res.Anomalies = r.insp.Anomalies
	r.res.Shifts = r.shift.Shifts
	r.res.Final = o.Backend.Config()
	return r.res, nil
}

func (r *runner) windowEnd() int64 { return r.o.Origin + int64(r.k+1)*r.o.WindowUs }

// Record implements backend.Sink.
func (r *runner) Record(rec *backend.Record) {
	if r.err != nil {
		return
	}
	for rec.Start+rec.Duration >= r.windowEnd() {
		r.closeWindow(false)
	}
	q := r.insp.Feed(rec)
	if q == nil {
		return
	}
	r.winReqs = append(r.winReqs, q)
	r.all.add(q)
	if len(r.o.ChangeAt) > 0 && q.Start-r.o.Origin >= r.o.ChangeAt[len(r.o.ChangeAt)-1]+r.o.SettleUs {
		r.after.add(q)
	}
	if !q.Failed {
		r.shift.Observe(q.E2EMs())
	}
	if changed, desc := r.sd.Observe(q); changed {
		r.event("structure change: %s", desc)
		r.replan()
	}
}

func (r *runner) event(format string, args ...any) {
	t := float64(r.insp.watermark-r.o.Origin) / 1e6
	r.res.Events = append(r.res.Events, fmt.Sprintf("%.1f s: ", t)+fmt.Sprintf(format, args...))
}

// replan re-runs the offline search for the detected structure.
func (r *runner) replan() {
	if r.o.Replan == nil || r.o.Controller == nil {
		return
	}
	fan := map[string]float64{}
	for f := range r.sd.fanout {
		fan[f] = r.sd.FanOut(f)
	}
	t0 := time.Now()
	cfg, err := r.o.Replan(r.ctx, fan)
	r.res.ReplanMs = append(r.res.ReplanMs, float64(time.Since(t0).Microseconds())/1000)
	if err != nil {
		r.event("re-search failed: %v", err)
		return
	}
	if cfg == nil {
		return
	}
	r.o.Controller.Reset(cfg)
	r.put(cfg, "offline re-search after a structure change")
	r.shift.Reset()
}

func (r *runner) put(cfg backend.Config, reason string) {
	d, err := r.o.Store.Put(r.ctx, cfg, reason)
	if err != nil {
		r.err = err
		return
	}
	r.version = d.Version
	r.reconf++
	r.event("config v%d: %s (%s)", d.Version, cfg, reason)
}

// closeWindow reports the current window and lets the controller act.
func (r *runner) closeWindow(final bool) {
	w := Window{StartS: float64(int64(r.k)*r.o.WindowUs) / 1e6, Requests: len(r.winReqs), ConfigVersion: r.version,
		MeanMs: math.NaN(), P95Ms: math.NaN(), CostPerRequest: math.NaN()}
	var lat []float64
	var cost float64
	for _, q := range r.winReqs {
		if !q.Failed {
			lat = append(lat, q.E2EMs())
			cost += q.CostUSD
		}
	}
	if len(lat) > 0 {
		sort.Float64s(lat)
		var s float64
		for _, x := range lat {
			s += x
		}
		w.MeanMs = s / float64(len(lat))
		w.P95Ms = lat[int(math.Ceil(0.95*float64(len(lat))))-1]
		w.CostPerRequest = cost / float64(len(lat))
	}
	if r.o.Controller != nil && !final {
		d := r.o.Controller.Step(r.insp.dag, r.winReqs)
		w.Decision = d.Reason
		if d.Changed {
			r.put(d.Config, d.Reason)
			r.shift.Reset()
		}
	}
	if len(r.winReqs) > 0 || !final {
		r.res.Windows = append(r.res.Windows, w)
	}
	r.winReqs = r.winReqs[:0]
	r.k++
}
