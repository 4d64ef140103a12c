package sim

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/fnmodel"
	"github.com/confignav/confignav/hist"
	"github.com/confignav/confignav/video"
)

// request is the state of one pipeline request in flight. Slots are reused.
type request struct {
	id        uint64
	arrival   int64
	in        video.Input
	factors   []fnmodel.Factors // per node: cached per clip, or own
	own       []fnmodel.Factors // the slot's buffer for clips without an ID
	predsLeft []int32           // per node: predecessors not yet finished
	instLeft  []int32           // per node: invocations not yet finished
	outBytes  []float64         // per node: bytes written by all its invocations
	nodesLeft int
	inflight  int // scheduled or running invocations
	failed    bool
}

// runner is the state of one Run.
type runner struct {
	s        *Sim
	sink     backend.Sink
	heap     eventHeap
	slots    []request
	free     []int32
	noise    *rand.Rand
	cold     *rand.Rand
	hop      *rand.Rand
	throttle *rand.Rand
	memory   *rand.Rand
	stats    backend.RunStats
	e2e      hist.Histogram
	now      int64
	tide0    int64 // the time at which the traffic tide is at the seed's phase
	nextInv  uint64
	nextReq  uint64
	rec      backend.Record
	// only ≥ 0 runs onlyN invocations of that node alone (Invoke)
	only, onlyN int
	// per-clip factor cache, indexed by video.Input.ID
	cacheIn []video.Input
	cacheF  [][]fnmodel.Factors
}

// Run drives the workload through the pipeline from the current virtual time
// and streams every invocation's record to sink. Environments stay warm from
// one Run to the next, as they would on Lambda between measurements.
func (s *Sim) Run(ctx context.Context, w backend.Workload, sink backend.Sink) (backend.RunStats, error) {
	if w.Source == nil {
		return backend.RunStats{}, fmt.Errorf("sim: workload has no request source")
	}
	return s.newRunner(sink, -1, 0).run(ctx, w)
}

// Invoke runs n invocations of one function in parallel on a clip, outside
// the pipeline (as AWS Lambda Power Tuning does), with the input data its
// predecessors would write for that clip. It implements backend.Invoker.
func (s *Sim) Invoke(ctx context.Context, function string, n int, in video.Input, sink backend.Sink) (backend.RunStats, error) {
	return s.InvokeEach(ctx, function, n, []video.Input{in}, sink)
}

// InvokeEach is Invoke on several clips at once: one request per clip at
// time 0, each of n invocations of the function. It implements
// backend.PayloadInvoker.
func (s *Sim) InvokeEach(ctx context.Context, function string, n int, ins []video.Input, sink backend.Sink) (backend.RunStats, error) {
	i, ok := s.dag.Lookup(function)
	if !ok {
		return backend.RunStats{}, fmt.Errorf("sim: unknown function %q (pipeline %s has %v)", function, s.dag.Name, s.dag.Names())
	}
	if n < 1 || len(ins) == 0 {
		return backend.RunStats{}, fmt.Errorf("sim: invoke %q: %d invocations on %d clips, want at least 1 of each", function, n, len(ins))
	}
	for k, in := range ins {
		if err := in.Validate(); err != nil {
			return backend.RunStats{}, fmt.Errorf("sim: invoke %q: clip %d: %w", function, k, err)
		}
	}
	return s.newRunner(sink, i, n).run(ctx, backend.Workload{Source: &atZero{ins: ins}})
}

// atZero yields one request per clip at time 0.
type atZero struct {
	ins  []video.Input
	next int
}

func (o *atZero) Next(r *backend.Request) bool {
	if o.next >= len(o.ins) {
		return false
	}
	r.At, r.Input = 0, o.ins[o.next]
	o.next++
	return true
}

func (s *Sim) newRunner(sink backend.Sink, only, onlyN int) *runner {
	if sink == nil {
		sink = backend.Discard
	}
	s.runs++
	key := s.seed ^ (s.runs * 0x9e3779b97f4a7c15)
	var tide0 int64
	if s.next.keyed {
		key = mixKey(s.seed, s.next.key)
		tide0 = s.clock
		if s.next.fresh {
			s.retireAll()
		}
		s.next.keyed, s.next.fresh = false, false
	}
	return &runner{
		s: s, sink: sink, only: only, onlyN: onlyN,
		noise:    rand.New(rand.NewPCG(key, streamNoise)),
		cold:     rand.New(rand.NewPCG(key, streamCold)),
		hop:      rand.New(rand.NewPCG(key, streamHop)),
		throttle: rand.New(rand.NewPCG(key, streamThrottle)),
		memory:   rand.New(rand.NewPCG(key, streamMemory)),
		now:      s.clock,
		tide0:    tide0,
	}
}

func (r *runner) run(ctx context.Context, w backend.Workload) (backend.RunStats, error) {
	start := r.s.clock
	if err := r.loop(ctx, w); err != nil {
		return r.stats, err
	}
	r.s.clock = r.now
	r.stats.Elapsed = r.now - start
	r.stats.E2E = backend.Latency{
		Mean: r.e2e.Mean() / 1000, P50: r.e2e.Quantile(0.5) / 1000, P95: r.e2e.Quantile(0.95) / 1000,
		P99: r.e2e.Quantile(0.99) / 1000, Max: r.e2e.Max() / 1000,
	}
	return r.stats, nil
}

func (r *runner) loop(ctx context.Context, w backend.Workload) error {
	offset := r.s.clock
	var next backend.Request
	have := w.Source.Next(&next)
	last := int64(math.MinInt64)
	for {
		if have && w.Duration > 0 && next.At >= w.Duration {
			have = false
		}
		if have && (r.heap.len() == 0 || next.At+offset <= r.heap.items[0].t) {
			if next.At < last {
				return fmt.Errorf("sim: request source is not time-sorted: %d µs after %d µs", next.At, last)
			}
			last = next.At
			if err := next.Input.Validate(); err != nil {
				return fmt.Errorf("sim: request at %d µs: %w", next.At, err)
			}
			r.now = next.At + offset
			r.arrive(&next.Input)
			have = w.Source.Next(&next)
		} else if r.heap.len() > 0 {
			e := r.heap.pop()
			r.now = e.t
			if e.kind == evStart {
				r.start(&e)
			} else {
				r.finish(&e)
			}
		} else {
			return nil
		}
		r.stats.Events++
		if r.stats.Events&(1<<14-1) == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("sim: run cancelled at virtual time %.3f s: %w", float64(r.now-offset)/1e6, err)
			}
			if r.s.Progress != nil && r.stats.Events&(1<<16-1) == 0 {
				r.s.Progress(r.now - offset)
			}
		}
	}
}

// arrive admits a request and starts its entry nodes.
func (r *runner) arrive(in *video.Input) {
	n := len(r.s.nodes)
	var slot int32
	if k := len(r.free); k > 0 {
		slot = r.free[k-1]
		r.free = r.free[:k-1]
	} else {
		slot = int32(len(r.slots))
		r.slots = append(r.slots, request{
			predsLeft: make([]int32, n), instLeft: make([]int32, n), outBytes: make([]float64, n),
			own: make([]fnmodel.Factors, n),
		})
	}
	q := &r.slots[slot]
	r.nextReq++
	q.id = r.nextReq
	q.arrival = r.now
	q.in = *in
	q.factors = r.factorsFor(in, q.own)
	q.nodesLeft = n
	q.inflight = 0
	q.failed = false
	for i := range r.s.dag.Nodes {
		q.predsLeft[i] = int32(len(r.s.dag.Nodes[i].Preds))
		q.outBytes[i] = 0
	}
	r.stats.Requests++
	if r.only >= 0 {
		q.nodesLeft = 1
		r.startInstances(slot, r.only, r.onlyN)
	} else {
		for i := range r.s.dag.Nodes {
			if q.predsLeft[i] == 0 {
				r.startNode(slot, i)
			}
		}
	}
	r.maybeDone(slot)
}

// factorsFor returns the per-node input scaling for a clip, cached by clip ID;
// a clip without an ID is computed into buf.
func (r *runner) factorsFor(in *video.Input, buf []fnmodel.Factors) []fnmodel.Factors {
	compute := func(f []fnmodel.Factors) []fnmodel.Factors {
		for i := range r.s.nodes {
			f[i] = r.s.nodes[i].scale.Factors(*in)
		}
		return f
	}
	id := in.ID
	if id < 0 || id > 1<<16 {
		return compute(buf)
	}
	for id >= len(r.cacheF) {
		r.cacheF = append(r.cacheF, nil)
		r.cacheIn = append(r.cacheIn, video.Input{})
	}
	if r.cacheF[id] == nil || r.cacheIn[id] != *in {
		r.cacheF[id] = compute(make([]fnmodel.Factors, len(r.s.nodes)))
		r.cacheIn[id] = *in
	}
	return r.cacheF[id]
}

// startNode schedules a node's invocations after an orchestration hop, or
// completes it at once when its fan-out count is zero.
func (r *runner) startNode(slot int32, i int) {
	r.startInstances(slot, i, r.s.dag.Nodes[i].Instances(r.slots[slot].in))
}

func (r *runner) startInstances(slot int32, i, k int) {
	q := &r.slots[slot]
	q.instLeft[i] = int32(k)
	if k == 0 {
		r.nodeDone(slot, i)
		return
	}
	h := r.s.plat.Hop
	t := r.now + int64((h.MeanMs+h.JitterMs*(2*r.hop.Float64()-1))*1000)
	for inst := 0; inst < k; inst++ {
		q.inflight++
		r.heap.push(event{t: t, slot: slot, node: int32(i), inst: int32(inst), kind: evStart})
	}
}

// start is an invocation attempt: take a warm environment or create one,
// unless a concurrency limit throttles it.
func (r *runner) start(e *event) {
	q := &r.slots[e.slot]
	if q.failed {
		q.inflight--
		r.maybeDone(e.slot)
		return
	}
	s := r.s
	ns := &s.nodes[e.node]
	p := &ns.pool
	// Keep-alive cursor: skip environments idle for longer than the keep-alive.
	for p.head < len(p.idle) && p.idle[p.head].idleSince+s.keepAliveUs <= r.now {
		p.head++
	}
	if p.head > 1024 && p.head > len(p.idle)/2 {
		p.idle = append(p.idle[:0], p.idle[p.head:]...)
		p.head = 0
	}
	if s.accountBusy >= s.plat.Concurrency.Account {
		r.throttled(e)
		return
	}
	var speed float32
	var uses int32
	var initUs, sandboxUs int64
	if p.head < len(p.idle) {
		env := p.idle[len(p.idle)-1]
		p.idle = p.idle[:len(p.idle)-1]
		speed, uses = env.speed, env.uses
	} else {
		window := int64(s.plat.Concurrency.ScaleUpWindowS * 1e6)
		if r.now >= ns.windowStart+window {
			ns.windowStart, ns.windowNew = r.now, 0
		}
		if ns.windowNew >= s.plat.Concurrency.ScaleUpPerWindow {
			r.throttled(e)
			return
		}
		ns.windowNew++
		cs := &s.plat.ColdStart
		speed = float32(math.Exp(s.plat.Noise.EnvSpeedSigma * r.cold.NormFloat64()))
		initUs = int64(ns.runtime.MedianMs*1000*math.Exp(ns.runtime.Sigma*r.cold.NormFloat64()) + ns.initUs)
		sandboxUs = int64(cs.Sandbox.MedianMs * 1000 * math.Exp(cs.Sandbox.Sigma*r.cold.NormFloat64()))
		r.stats.ColdStarts++
	}
	p.busy++
	s.accountBusy++

	// Execution time.
	inBytes, objects := r.inputData(q, int(e.node))
	d := r.draw(ns.table != nil)
	mean, need, fits := s.warm(int(e.node), &ns.prep, q.factors[e.node], inBytes, objects, d)
	mult := float64(speed) * r.drift()
	if uses == 0 {
		mult *= s.plat.ColdStart.FirstInvocationSlowdown
	}
	dur := mean * mult
	status := backend.OK
	if !fits {
		// The invocation dies when its memory reaches the limit, part-way.
		dur *= float64(ns.mem) / need
		status = backend.OOM
	}
	if int64(dur) > ns.timeoutUs {
		dur = float64(ns.timeoutUs)
		status = backend.Timeout
	}
	us := max(int64(dur), 1)
	r.heap.push(event{
		t: r.now + sandboxUs + initUs + us, slot: e.slot, node: e.node, inst: e.inst, kind: evFinish,
		status: uint8(status), gen: p.gen, speed: speed, uses: uses, dur: us, init: initUs, needMB: float32(need),
	})
}

// draw takes the noise of one invocation from the noise stream, drawing only
// what the function's kind uses.
func (r *runner) draw(table bool) Draw {
	d := Draw{Interference: 1}
	if table {
		d.U = r.noise.Float64()
	} else {
		d.Z = r.noise.NormFloat64()
	}
	if nz := &r.s.plat.Noise; nz.InterferenceProb > 0 && r.noise.Float64() < nz.InterferenceProb {
		d.Interference = interference(nz, r.noise.Float64())
	}
	return d
}

// inputData is the pipeline data an invocation reads: the clip for an entry
// node, else its predecessors' outputs (or the edge's fixed size), and the
// number of S3 objects it touches (inputs plus its own output).
func (r *runner) inputData(q *request, i int) (bytes, objects float64) {
	if r.only >= 0 {
		return r.s.flowInput(i, q.in)
	}
	nd := &r.s.dag.Nodes[i]
	if len(nd.Preds) == 0 {
		return q.in.EncodedBytes(), 2
	}
	for k, p := range nd.Preds {
		if d := nd.InDataMB[k]; !math.IsNaN(d) {
			bytes += d * (1 << 20)
		} else {
			bytes += q.outBytes[p]
		}
		objects++
	}
	return bytes, objects + 1
}

func (r *runner) throttled(e *event) {
	r.stats.Throttled++
	c := &r.s.plat.Concurrency
	if int(e.attempt) < c.Retries {
		backoff := c.RetryBaseMs * 1000 * math.Pow(c.RetryBackoff, float64(e.attempt))
		backoff *= 0.5 + r.throttle.Float64() // jitter
		ne := *e
		ne.attempt++
		ne.t = r.now + int64(backoff)
		r.heap.push(ne)
		return
	}
	q := &r.slots[e.slot]
	r.emit(e, backend.Throttled, 0, 0, 0, 0)
	q.failed = true
	q.inflight--
	r.maybeDone(e.slot)
}

// finish ends an invocation: release its environment, write its record and
// move the request on.
func (r *runner) finish(e *event) {
	s := r.s
	ns := &s.nodes[e.node]
	p := &ns.pool
	p.busy--
	s.accountBusy--
	status := backend.Status(e.status)
	if status == backend.OK && e.gen == p.gen {
		p.idle = append(p.idle, env{idleSince: r.now, speed: e.speed, uses: e.uses + 1})
	}
	maxMem := int32(math.Min(float64(ns.mem), float64(e.needMB)*(1+0.02*math.Abs(r.memory.NormFloat64()))))
	if status == backend.OOM {
		maxMem = int32(ns.mem)
	}
	r.emit(e, status, e.dur, e.init, ns.mem, maxMem)
	q := &r.slots[e.slot]
	q.inflight--
	if status != backend.OK {
		q.failed = true
	} else if !q.failed {
		q.outBytes[e.node] += r.s.outBytesOf(int(e.node), q.factors[e.node])
		q.instLeft[e.node]--
		if q.instLeft[e.node] == 0 {
			r.nodeDone(e.slot, int(e.node))
		}
	}
	r.maybeDone(e.slot)
}

// emit writes one record.
func (r *runner) emit(e *event, status backend.Status, dur, init int64, mem int, maxMem int32) {
	s := r.s
	rec := &r.rec
	r.nextInv++
	rec.InvocationID = r.nextInv
	rec.RequestID = r.slots[e.slot].id
	rec.Function = s.dag.Nodes[e.node].Name
	rec.Node = e.node
	rec.Instance = e.inst
	rec.Start = r.now - dur
	rec.Duration = dur
	rec.MemoryMB = int32(mem)
	rec.MaxMemoryMB = maxMem
	rec.InitDuration = init
	rec.Status = status
	if status == backend.Throttled {
		rec.BilledMs, rec.CostUSD = 0, 0
		rec.MemoryMB = int32(s.nodes[e.node].mem)
	} else {
		billed := dur
		if s.plat.Price.BilledInit {
			billed += init
		}
		rec.BilledMs = s.plat.BilledMs(billed)
		rec.CostUSD = s.plat.Cost(rec.BilledMs, mem)
		r.stats.Invocations++
		r.stats.CostUSD += rec.CostUSD
		r.stats.MBms += float64(rec.BilledMs) * float64(mem)
	}
	r.sink.Record(rec)
}

// nodeDone marks a node finished for a request and starts the successors
// whose predecessors are now all done.
func (r *runner) nodeDone(slot int32, i int) {
	q := &r.slots[slot]
	q.nodesLeft--
	if r.only >= 0 {
		return
	}
	for _, succ := range r.s.dag.Nodes[i].Succs {
		q.predsLeft[succ]--
		if q.predsLeft[succ] == 0 {
			r.startNode(slot, succ)
		}
	}
}

// maybeDone completes a request with nothing left in flight.
func (r *runner) maybeDone(slot int32) {
	q := &r.slots[slot]
	if q.inflight > 0 || (q.nodesLeft > 0 && !q.failed) {
		return
	}
	if q.failed {
		r.stats.Failed++
	} else {
		r.stats.Completed++
		r.e2e.Add(float64(r.now - q.arrival))
	}
	if done := r.s.RequestDone; done != nil {
		done(q.id, r.now-q.arrival, q.failed)
	}
	r.free = append(r.free, slot)
}

// drift is the slow "traffic tide" factor at the current time.
func (r *runner) drift() float64 {
	nz := &r.s.plat.Noise
	if nz.DriftAmplitude == 0 {
		return 1
	}
	return 1 + nz.DriftAmplitude*math.Sin(2*math.Pi*float64(r.now-r.tide0)/(nz.DriftPeriodS*1e6)+r.s.driftPhase)
}
