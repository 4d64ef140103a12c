package traces

import (
	"container/heap"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/confignav/confignav/backend"
)

// Options say how a trace becomes a request stream.
type Options struct {
	// Seed drives every random choice: arrival times, scaling, sampling,
	// inputs, and the synthetic trace itself. Same seed, same requests.
	Seed uint64
	// Duration cuts the stream: requests at or after it (µs from the start
	// of the trace) are not produced. 0 means the whole trace.
	Duration int64
	// Select chooses the trace functions (grammar in the package
	// documentation); "" means all.
	Select string
	// Scale multiplies every function's rate; 0 means 1.
	Scale float64
	// Within places a per-minute trace's arrivals inside their minute:
	// "uniform" (default), "poisson" or "equidistant".
	Within string
	// Catalogue is the clips requests draw from; nil means DefaultCatalogue(Seed).
	Catalogue *Catalogue
	// Changes are scheduled input changes, applied in time order.
	Changes []Change
}

// Within modes.
const (
	WithinUniform     = "uniform"
	WithinPoisson     = "poisson"
	WithinEquidistant = "equidistant"
)

// Validate reports the first invalid option.
func (o Options) Validate() error {
	switch {
	case o.Duration < 0:
		return errorf("duration %d µs must not be negative", o.Duration)
	case math.IsNaN(o.Scale) || math.IsInf(o.Scale, 0) || o.Scale < 0:
		return errorf("scale %v must be a non-negative number", o.Scale)
	}
	switch o.Within {
	case "", WithinUniform, WithinPoisson, WithinEquidistant:
	default:
		return errorf("within %q: want uniform, poisson or equidistant", o.Within)
	}
	if o.Catalogue != nil {
		if err := o.Catalogue.Validate(); err != nil {
			return err
		}
	}
	for _, c := range o.Changes {
		if c.At < 0 || c.Set&c.Reset != 0 {
			return errorf("change %v is invalid", c)
		}
	}
	return nil
}

func (o Options) scale() float64 {
	if o.Scale == 0 {
		return 1
	}
	return o.Scale
}

// Open loads a workload and returns its request stream: the selected
// functions' arrivals merged in time order onto one pipeline (the default
// mapping), each request carrying a clip drawn from the catalogue with the
// scheduled changes applied. spec is "synthetic[:key=value,…]",
// "azure2019:PATH[,PATH…]", "azure2021:PATH", or a file (.parquet cache or a
// CSV whose header tells its format); see Load.
func Open(spec string, o Options) (backend.Source, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	t, err := Load(spec, o)
	if err != nil {
		return nil, err
	}
	return OpenTrace(t, o)
}

// OpenTrace is Open for a loaded trace.
func OpenTrace(t *Trace, o Options) (backend.Source, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	sel, err := t.Select(o.Select, o.Seed)
	if err != nil {
		return nil, err
	}
	return newSource(t, sel, o, 0)
}

// Streams is the per-function mapping: one request stream per selected
// function (in trace order; the indices are returned alongside), each with its
// own random streams, for driving one pipeline per trace function. Merge
// combines any of them onto one pipeline.
func Streams(t *Trace, o Options) ([]backend.Source, []int, error) {
	if err := o.Validate(); err != nil {
		return nil, nil, err
	}
	sel, err := t.Select(o.Select, o.Seed)
	if err != nil {
		return nil, nil, err
	}
	var perFn [][]int32
	if t.Kind == PerInvocation {
		// Index each function's calls once, so that a stream does not scan
		// the whole trace.
		want := make(map[int32]int, len(sel))
		for k, f := range sel {
			want[int32(f)] = k
		}
		perFn = make([][]int32, len(sel))
		for i, c := range t.Calls {
			if k, ok := want[c.Func]; ok {
				perFn[k] = append(perFn[k], int32(i))
			}
		}
	}
	out := make([]backend.Source, len(sel))
	for k, f := range sel {
		var src backend.Source
		if t.Kind == PerInvocation {
			src, err = newCallSource(t, nil, perFn[k], o, uint64(f)+1)
		} else {
			src, err = newSource(t, []int{f}, o, uint64(f)+1)
		}
		if err != nil {
			return nil, nil, err
		}
		out[k] = src
	}
	return out, sel, nil
}

func newSource(t *Trace, sel []int, o Options, stream uint64) (backend.Source, error) {
	switch t.Kind {
	case PerMinute:
		return newMinuteSource(t, sel, o, stream)
	case PerInvocation:
		mask := make([]bool, len(t.Functions))
		for _, f := range sel {
			mask[f] = true
		}
		return newCallSource(t, mask, nil, o, stream)
	}
	return nil, errorf("trace kind %v", t.Kind)
}

// minuteSource streams a per-minute trace minute by minute: it keeps one
// cursor per selected function and never holds more than one minute's state,
// so memory is O(functions) whatever the trace's length.
//
// Uniform and Poisson placement need only the minute's total over the selected
// functions: the union of independent uniform points is uniform, and the
// superposition of Poisson processes is Poisson with the summed rate, so the
// merged stream is drawn directly, without a per-function heap. Equidistant
// placement merges the functions' lattices with a heap.
type minuteSource struct {
	cur     []cursor
	fn      []int32 // trace index of each cursor (for equidistant ties)
	phase   []float64
	minute  int
	minutes int
	within  string
	scale   float64
	rArr    *rand.Rand
	rScale  *rand.Rand
	draw    *drawer
	limit   int64
	base    int64 // start of the current minute, µs
	left    int64 // uniform: arrivals left in the minute
	rem     float64
	rate    float64 // poisson: arrivals per µs in the minute
	t       float64
	eq      eqHeap
	done    bool
}

func newMinuteSource(t *Trace, sel []int, o Options, stream uint64) (*minuteSource, error) {
	d, err := newDrawer(o.Catalogue, o.Changes, o.Seed, stream)
	if err != nil {
		return nil, err
	}
	s := &minuteSource{
		minutes: t.Minutes,
		within:  o.Within,
		scale:   o.scale(),
		rArr:    rand.New(rand.NewPCG(o.Seed, streamID(streamArrivals, stream))),
		rScale:  rand.New(rand.NewPCG(o.Seed, streamID(streamScale, stream))),
		draw:    d,
		limit:   o.Duration,
	}
	if s.within == "" {
		s.within = WithinUniform
	}
	if o.Duration > 0 {
		s.minutes = int(min(int64(s.minutes), (o.Duration+MinuteMicros-1)/MinuteMicros))
	}
	for _, f := range sel {
		s.cur = append(s.cur, newCursor(t.Functions[f].counts))
		s.fn = append(s.fn, int32(f))
		if s.within == WithinEquidistant {
			s.phase = append(s.phase, s.rArr.Float64())
		}
	}
	return s, nil
}

// advance loads the next minute; false at the end of the trace.
func (s *minuteSource) advance() bool {
	if s.minute >= s.minutes {
		return false
	}
	s.base = int64(s.minute) * MinuteMicros
	s.minute++
	if s.within == WithinEquidistant {
		s.eq = s.eq[:0]
		for k := range s.cur {
			c := scaleCount(s.rScale, s.cur[k].next(), s.scale)
			if c > 0 {
				step := float64(MinuteMicros) / float64(c)
				s.eq = append(s.eq, eqItem{at: float64(s.base) + s.phase[k]*step, step: step, left: c, fn: s.fn[k]})
			}
		}
		s.eq.init()
		return true
	}
	var n int64
	for k := range s.cur {
		n += int64(scaleCount(s.rScale, s.cur[k].next(), s.scale))
	}
	if s.within == WithinUniform {
		s.left, s.rem = n, 1
	} else {
		s.rate, s.t = float64(n)/MinuteMicros, float64(s.base)
	}
	return true
}

// Next implements backend.Source.
func (s *minuteSource) Next(r *backend.Request) bool {
	if s.done {
		return false
	}
	end := float64(s.base + MinuteMicros)
	for {
		var at int64
		switch s.within {
		case WithinUniform:
			if s.left > 0 {
				// Ascending uniform order statistics one at a time: the
				// remaining fraction shrinks by U^(1/left).
				s.rem *= math.Exp(-s.rArr.ExpFloat64() / float64(s.left))
				s.left--
				at = s.base + int64((1-s.rem)*MinuteMicros)
				return s.emit(r, at)
			}
		case WithinPoisson:
			if s.rate > 0 {
				s.t += s.rArr.ExpFloat64() / s.rate
				if s.t < end {
					return s.emit(r, int64(s.t))
				}
			}
		default:
			if len(s.eq) > 0 {
				it := &s.eq[0]
				at = int64(it.at)
				it.left--
				if it.left == 0 {
					s.eq.popTop()
				} else {
					it.at += it.step
					s.eq.down(0)
				}
				return s.emit(r, at)
			}
		}
		if !s.advance() {
			s.done = true
			return false
		}
		end = float64(s.base + MinuteMicros)
	}
}

func (s *minuteSource) emit(r *backend.Request, at int64) bool {
	if s.limit > 0 && at >= s.limit {
		s.done = true
		return false
	}
	r.At = at
	s.draw.draw(at, &r.Input)
	return true
}

type eqItem struct {
	at, step float64
	left     uint32
	fn       int32
}

// eqHeap is a binary min-heap on (at, fn), written out rather than through
// container/heap: it is on the per-arrival path.
type eqHeap []eqItem

func (a *eqItem) before(b *eqItem) bool {
	return a.at < b.at || (a.at == b.at && a.fn < b.fn)
}

func (h eqHeap) init() {
	for i := len(h)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}

// down sifts item i down, moving the hole rather than swapping.
func (h eqHeap) down(i int) {
	n := len(h)
	x := h[i]
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && h[r].before(&h[l]) {
			m = r
		}
		if !h[m].before(&x) {
			break
		}
		h[i] = h[m]
		i = m
	}
	h[i] = x
}

func (h *eqHeap) popTop() {
	old := *h
	n := len(old) - 1
	old[0] = old[n]
	*h = old[:n]
	if n > 0 {
		h.down(0)
	}
}

// callSource streams a per-invocation trace in start order. Scaling by s
// emits each call ⌊s⌋ or ⌈s⌉ times (expectation s; a call is dropped with
// probability 1−s when s < 1): the call itself at its start, the copies at
// uniformly random offsets within the following minute.
type callSource struct {
	calls   []Call
	mask    []bool  // selected functions (merged mapping)
	idx     []int32 // or: the calls to play (per-function mapping)
	i       int
	scale   float64
	rScale  *rand.Rand
	pending int64Heap
	peek    Call
	hasPeek bool
	copies  uint32
	draw    *drawer
	limit   int64
	done    bool
}

func newCallSource(t *Trace, mask []bool, idx []int32, o Options, stream uint64) (*callSource, error) {
	d, err := newDrawer(o.Catalogue, o.Changes, o.Seed, stream)
	if err != nil {
		return nil, err
	}
	return &callSource{calls: t.Calls, mask: mask, idx: idx, scale: o.scale(),
		rScale: rand.New(rand.NewPCG(o.Seed, streamID(streamScale, stream))), draw: d, limit: o.Duration}, nil
}

func (s *callSource) nextCall() (Call, bool) {
	if s.mask == nil {
		if s.i >= len(s.idx) {
			return Call{}, false
		}
		s.i++
		return s.calls[s.idx[s.i-1]], true
	}
	for s.i < len(s.calls) {
		c := s.calls[s.i]
		s.i++
		if s.mask[c.Func] {
			return c, true
		}
	}
	return Call{}, false
}

// Next implements backend.Source.
func (s *callSource) Next(r *backend.Request) bool {
	for !s.done {
		if !s.hasPeek {
			s.peek, s.hasPeek = s.nextCall()
			if s.hasPeek && s.scale != 1 {
				s.copies = scaleCount(s.rScale, 1, s.scale)
			}
		}
		if len(s.pending) > 0 && (!s.hasPeek || s.pending[0] <= s.peek.Start) {
			return s.emit(r, heap.Pop(&s.pending).(int64))
		}
		if !s.hasPeek {
			break
		}
		c := s.peek
		s.hasPeek = false
		if s.scale != 1 {
			if s.copies == 0 {
				continue
			}
			for j := uint32(1); j < s.copies; j++ {
				heap.Push(&s.pending, c.Start+int64(s.rScale.Float64()*MinuteMicros))
			}
		}
		return s.emit(r, c.Start)
	}
	s.done = true
	return false
}

func (s *callSource) emit(r *backend.Request, at int64) bool {
	if s.limit > 0 && at >= s.limit {
		s.done = true
		return false
	}
	r.At = at
	s.draw.draw(at, &r.Input)
	return true
}

type int64Heap []int64

func (h int64Heap) Len() int           { return len(h) }
func (h int64Heap) Less(i, j int) bool { return h[i] < h[j] }
func (h int64Heap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *int64Heap) Push(x any)        { *h = append(*h, x.(int64)) }
func (h *int64Heap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// Poisson returns an endless Poisson stream of rate requests per second
// starting at time 0, with inputs drawn from cat (nil: DefaultCatalogue(seed))
// and the changes applied; cnav simulate --rate uses it. Cut it with the
// Workload's Duration. A rate that is not a positive finite number, an
// invalid catalogue or an invalid change is an error.
func Poisson(rate float64, seed uint64, cat *Catalogue, changes []Change) (backend.Source, error) {
	if !(rate > 0) || math.IsInf(rate, 0) {
		return nil, errorf("poisson rate %v: want a positive finite number of requests per second", rate)
	}
	d, err := newDrawer(cat, changes, seed, 0)
	if err != nil {
		return nil, err
	}
	return &poissonSource{perMicro: rate / 1e6, r: rand.New(rand.NewPCG(seed, streamID(streamArrivals, 0))), draw: d}, nil
}

type poissonSource struct {
	perMicro float64
	t        float64
	r        *rand.Rand
	draw     *drawer
}

func (s *poissonSource) Next(r *backend.Request) bool {
	if s.t > math.MaxInt64/2 {
		return false
	}
	s.t += s.r.ExpFloat64() / s.perMicro
	r.At = int64(s.t)
	s.draw.draw(r.At, &r.Input)
	return true
}

// Merge combines request streams into one in time order; ties go to the
// source listed first. Use it to put several per-function streams (Streams)
// onto one pipeline.
func Merge(srcs ...backend.Source) backend.Source {
	m := &merged{}
	for i, s := range srcs {
		var r backend.Request
		if s.Next(&r) {
			m.h = append(m.h, mergeItem{r: r, src: s, idx: i})
		}
	}
	heap.Init(&m.h)
	return m
}

type merged struct{ h mergeHeap }

func (m *merged) Next(r *backend.Request) bool {
	if len(m.h) == 0 {
		return false
	}
	top := &m.h[0]
	*r = top.r
	if top.src.Next(&top.r) {
		heap.Fix(&m.h, 0)
	} else {
		heap.Pop(&m.h)
	}
	return true
}

type mergeItem struct {
	r   backend.Request
	src backend.Source
	idx int
}

type mergeHeap []mergeItem

func (h mergeHeap) Len() int { return len(h) }
func (h mergeHeap) Less(i, j int) bool {
	if h[i].r.At != h[j].r.At {
		return h[i].r.At < h[j].r.At
	}
	return h[i].idx < h[j].idx
}
func (h mergeHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *mergeHeap) Push(x any)   { *h = append(*h, x.(mergeItem)) }
func (h *mergeHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// specKind splits "kind:rest" for the known kinds.
func specKind(spec string) (kind, rest string) {
	for _, k := range []string{"synthetic", SourceAzure2019, SourceAzure2021, "parquet"} {
		if spec == k {
			return k, ""
		}
		if strings.HasPrefix(spec, k+":") {
			return k, spec[len(k)+1:]
		}
	}
	return "", spec
}
