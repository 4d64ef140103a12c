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
	"github.com/confignav/confignav/video"
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
	// ReplanInput re-profiles on a clip of the new input regime and re-runs
	// the offline search after an input shift (§3.3.2, §4.5). It returns the
	// configuration and the seconds the re-profiling took on the backend's
	// clock: the configuration is written that much after the detection.
	// nil keeps the controller's configuration.
	ReplanInput func(ctx context.Context, in video.Input, fanout map[string]float64) (backend.Config, float64, error)
	// Input is the clip the offline configuration was profiled on (zero:
	// video.Reference); an input shift re-profiles on it with the shifted
	// feature set to the new regime's value.
	Input video.Input
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
	// Replans are the offline re-searches an input shift or a structure
	// change triggered (each one written as a configuration version).
	Replans int `json:"replans"`
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
	// AfterRequests maps each request counted in AfterChange to its
	// end-to-end latency in ms, NaN when it failed: runs of one workload
	// compare on the requests they all completed (not in the JSON).
	AfterRequests map[uint64]float64 `json:"-"`
	// Run is the backend's own account of the whole run (every request,
	// failed ones' cost included), for comparison with static runs measured
	// the same way (not in the JSON).
	Run backend.RunStats `json:"-"`
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
	idet    *InputDetector
	arrived []backend.Request // tapped from the workload, not yet past the watermark
	profIn  video.Input       // the clip the configuration in force was planned on
	res     *Result
	k       int // current window
	winReqs []*Request
	// ctlReqs are the closed requests that started under the configuration
	// in force, since the controller's last decision.
	ctlReqs   []*Request
	appliedAt int64
	pending   *pendingConfig
	replans   int
	now       int64 // the latest record end: about the backend's clock
	all       acc
	after     acc
	version   int
	reconf    int // versions written after the initial one
	err       error
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
		idet: NewInputDetector(), profIn: o.Input, res: &Result{}, appliedAt: o.Origin}
	if r.profIn == (video.Input{}) {
		r.profIn = video.Reference
	}
	if o.Controller != nil {
		d, err := o.Store.Put(ctx, o.Controller.Current(), "offline optimum")
		if err != nil {
			return nil, err
		}
		r.version = d.Version
	} else if d, err := o.Store.Get(ctx); err == nil {
		r.version = d.Version
	}
	w := o.Workload
	w.Source = &tap{src: w.Source, r: r}
	st, err := o.Backend.Run(ctx, w, r)
	if err != nil {
		return nil, err
	}
	r.res.Run = st
	if r.err != nil {
		return nil, r.err
	}
	r.closeWindow(true)
	r.res.Summary = r.all.summary(o.Bound)
	r.res.Summary.StructureChanges = r.sd.Detections
	r.res.Summary.Reconfigurations = r.reconf
	r.res.Summary.Replans = r.replans
	if len(o.ChangeAt) > 0 {
		s := r.after.summary(o.Bound)
		s.Reconfigurations, s.StructureChanges, s.Replans = r.res.Summary.Reconfigurations, r.res.Summary.StructureChanges, r.replans
		r.res.AfterChange = &s
	}
	r.res.Anomalies = r.insp.Anomalies
	r.res.Shifts = r.idet.Shifts
	r.res.Final = o.Backend.Config()
	return r.res, nil
}

func (r *runner) windowEnd() int64 { return r.o.Origin + int64(r.k+1)*r.o.WindowUs }

// Record implements backend.Sink.
func (r *runner) Record(rec *backend.Record) {
	if r.err != nil {
		return
	}
	end := rec.Start + rec.Duration
	r.now = max(r.now, end)
	for end >= r.windowEnd() {
		r.advance(r.windowEnd() - 1)
		r.closeWindow(false)
	}
	r.advance(end)
	if r.o.Controller != nil && rec.Status == backend.OOM {
		if cfg, ok := r.o.Controller.OutOfMemory(rec); ok {
			r.put(cfg, fmt.Sprintf("%s ran out of memory at %d MB: raised at once", rec.Function, rec.MemoryMB), end)
		}
	}
	q := r.insp.Feed(rec)
	if q == nil {
		return
	}
	r.winReqs = append(r.winReqs, q)
	if q.Start >= r.appliedAt {
		r.ctlReqs = append(r.ctlReqs, q)
	}
	r.all.add(q)
	if len(r.o.ChangeAt) > 0 && q.Start-r.o.Origin >= r.o.ChangeAt[len(r.o.ChangeAt)-1]+r.o.SettleUs {
		r.after.add(q)
		if r.res.AfterRequests == nil {
			r.res.AfterRequests = map[uint64]float64{}
		}
		r.res.AfterRequests[q.ID] = math.NaN()
		if !q.Failed {
			r.res.AfterRequests[q.ID] = q.E2EMs()
		}
	}
	if changed, desc := r.sd.Observe(q); changed {
		r.event("structure change: %s", desc)
		r.replan()
	}
}

// tap passes the workload's requests to the backend and keeps their inputs
// for the input detector (the clip metadata the pipeline's entry receives).
type tap struct {
	src backend.Source
	r   *runner
}

func (t *tap) Next(q *backend.Request) bool {
	if !t.src.Next(q) {
		return false
	}
	t.r.arrived = append(t.r.arrived, *q)
	return true
}

// pendingConfig is a re-search's configuration, written once its
// re-profiling is done.
type pendingConfig struct {
	at     int64
	cfg    backend.Config
	reason string
}

// advance feeds the input detector the requests that arrived by backend time
// t and writes a pending configuration that is due.
func (r *runner) advance(t int64) {
	if r.pending != nil && r.pending.at <= t {
		p := r.pending
		r.pending = nil
		r.adopt(p.cfg, p.reason, p.at)
	}
	k := 0
	for ; k < len(r.arrived) && r.o.Origin+r.arrived[k].At <= t; k++ {
		at := r.o.Origin + r.arrived[k].At
		shifted, desc, next := r.idet.Observe(r.arrived[k].Input, r.profIn)
		if !shifted {
			continue
		}
		r.eventAt(at, "%s", desc)
		r.replanInput(at, next)
	}
	r.arrived = r.arrived[:copy(r.arrived, r.arrived[k:])]
}

func (r *runner) event(format string, args ...any) {
	r.eventAt(r.insp.watermark, format, args...)
}

func (r *runner) eventAt(at int64, format string, args ...any) {
	t := float64(at-r.o.Origin) / 1e6
	r.res.Events = append(r.res.Events, fmt.Sprintf("%.1f s: ", t)+fmt.Sprintf(format, args...))
}

// fanout is the structure detector's fan-out levels (NaN before a baseline).
func (r *runner) fanout() map[string]float64 {
	fan := map[string]float64{}
	for f := range r.sd.fanout {
		fan[f] = r.sd.FanOut(f)
	}
	return fan
}

// replanInput re-profiles on the new regime's clip and re-searches; the
// answer is written when the profiling is done.
func (r *runner) replanInput(at int64, in video.Input) {
	r.profIn = in
	if r.o.ReplanInput == nil || r.o.Controller == nil {
		return
	}
	fan := r.fanout()
	if in.Faces != r.o.Input.Faces {
		// The clip's face count is the new regime's: the structure
		// detector's level still counts the old one.
		for f := range fan {
			fan[f] = math.NaN()
		}
	}
	t0 := time.Now()
	cfg, secs, err := r.o.ReplanInput(r.ctx, in, fan)
	r.res.ReplanMs = append(r.res.ReplanMs, float64(time.Since(t0).Microseconds())/1000)
	if err != nil {
		r.eventAt(at, "re-search on the new input failed: %v", err)
		return
	}
	if cfg == nil {
		return
	}
	r.replans++
	r.pending = &pendingConfig{at: at + int64(math.Ceil(secs*1e6)), cfg: cfg,
		reason: fmt.Sprintf("offline re-search on %dx%d %g fps %g s %d faces after an input shift (re-profiled in %.1f s)", in.Width, in.Height, in.FPS, in.Seconds, in.Faces, secs)}
}

// adopt restarts the controller from a re-search's configuration.
func (r *runner) adopt(cfg backend.Config, reason string, at int64) {
	r.o.Controller.Reset(cfg)
	r.put(cfg, reason, at)
}

// replan re-runs the offline search for the detected structure.
func (r *runner) replan() {
	if r.o.Replan == nil || r.o.Controller == nil {
		return
	}
	t0 := time.Now()
	cfg, err := r.o.Replan(r.ctx, r.fanout())
	r.res.ReplanMs = append(r.res.ReplanMs, float64(time.Since(t0).Microseconds())/1000)
	if err != nil {
		r.event("re-search failed: %v", err)
		return
	}
	if cfg == nil {
		return
	}
	r.replans++
	r.pending = nil // a structure re-search supersedes an input one in flight
	r.adopt(cfg, "offline re-search after a structure change", r.insp.watermark)
}

// put writes a configuration at backend time at; requests that start from
// then on are the controller's evidence of it.
func (r *runner) put(cfg backend.Config, reason string, at int64) {
	d, err := r.o.Store.Put(r.ctx, cfg, reason)
	if err != nil {
		r.err = err
		return
	}
	r.version = d.Version
	r.reconf++
	r.appliedAt = max(at, r.now)
	r.ctlReqs = r.ctlReqs[:0]
	r.eventAt(at, "config v%d: %s (%s)", d.Version, cfg, reason)
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
		d := r.o.Controller.Step(r.insp.dag, r.ctlReqs)
		w.Decision = d.Reason
		if d.Changed {
			r.put(d.Config, d.Reason, r.windowEnd())
		} else if !d.Waiting {
			r.ctlReqs = r.ctlReqs[:0]
		}
	}
	if len(r.winReqs) > 0 || !final {
		r.res.Windows = append(r.res.Windows, w)
	}
	r.winReqs = r.winReqs[:0]
	r.k++
}
