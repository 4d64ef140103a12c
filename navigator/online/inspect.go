package online

import (
	"math"
	"sort"
	"strings"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/pipeline"
)

// Request is one pipeline request as rebuilt from its records.
type Request struct {
	ID          uint64
	Start       int64 // earliest start, init included (µs)
	End         int64 // latest end (µs)
	CostUSD     float64
	Failed      bool
	Invocations map[string][]backend.Record
}

// E2EMs is the request's end-to-end latency as the logs show it.
func (r *Request) E2EMs() float64 { return float64(r.End-r.Start) / 1000 }

// Counts is how many times each function ran.
func (r *Request) Counts() map[string]int {
	out := make(map[string]int, len(r.Invocations))
	for f, recs := range r.Invocations {
		out[f] = len(recs)
	}
	return out
}

// Anomalies counts records the inspector skipped or found odd.
type Anomalies struct {
	UnknownFunction int `json:"unknown_function"`
	OutOfOrder      int `json:"out_of_order"`
	Duplicate       int `json:"duplicate"`
	MissingFields   int `json:"missing_fields"`
	Late            int `json:"late"` // records for an already closed request
}

// Inspector rebuilds requests from a stream of records.
type Inspector struct {
	dag       *pipeline.DAG
	known     map[string]bool
	exits     []string
	fanout    map[string]bool
	open      map[uint64]*Request
	closed    map[uint64]bool
	closedQ   []uint64
	seen      map[uint64]bool
	seenQ     []uint64
	watermark int64
	// Unknown collects the names of functions outside the DAG (evidence of a
	// structure change).
	Unknown   map[string]int
	Anomalies Anomalies
}

// memory bounds for the duplicate and late-record detectors.
const recentIDs = 1 << 16

// NewInspector makes an inspector for a known pipeline structure.
func NewInspector(dag *pipeline.DAG) *Inspector {
	in := &Inspector{open: map[uint64]*Request{}, closed: map[uint64]bool{}, seen: map[uint64]bool{}, Unknown: map[string]int{}}
	in.SetDAG(dag)
	return in
}

// SetDAG replaces the known structure (after a structure update).
func (in *Inspector) SetDAG(dag *pipeline.DAG) {
	in.dag = dag
	in.known = map[string]bool{}
	in.fanout = map[string]bool{}
	in.exits = nil
	for _, nd := range dag.Nodes {
		in.known[nd.Name] = true
		if nd.FanOut != "" {
			in.fanout[nd.Name] = true
		}
	}
	for _, x := range dag.Exits() {
		in.exits = append(in.exits, dag.Nodes[x].Name)
	}
}

// Feed takes one record and returns the requests it closed (none or one).
func (in *Inspector) Feed(r *backend.Record) *Request {
	end := r.Start + r.Duration
	switch {
	case r.Function == "" || r.MemoryMB <= 0 || r.Duration < 0 || (r.Status == backend.OK && r.BilledMs <= 0):
		in.Anomalies.MissingFields++
		return nil
	case in.seen[r.InvocationID] && r.InvocationID != 0:
		in.Anomalies.Duplicate++
		return nil
	case end < in.watermark:
		in.Anomalies.OutOfOrder++
		return nil
	}
	in.remember(r.InvocationID)
	in.watermark = end
	if !in.known[r.Function] {
		in.Anomalies.UnknownFunction++
		in.Unknown[r.Function]++
	}
	if in.closed[r.RequestID] {
		in.Anomalies.Late++
		return nil
	}
	q := in.open[r.RequestID]
	if q == nil {
		q = &Request{ID: r.RequestID, Start: math.MaxInt64, Invocations: map[string][]backend.Record{}}
		in.open[r.RequestID] = q
	}
	q.Invocations[r.Function] = append(q.Invocations[r.Function], *r)
	q.Start = min(q.Start, r.Start-r.InitDuration)
	q.End = max(q.End, end)
	q.CostUSD += r.CostUSD
	if r.Status != backend.OK {
		q.Failed = true
	}
	if q.Failed || in.complete(q) {
		delete(in.open, r.RequestID)
		in.closed[r.RequestID] = true
		in.closedQ = append(in.closedQ, r.RequestID)
		if len(in.closedQ) > recentIDs {
			delete(in.closed, in.closedQ[0])
			in.closedQ = in.closedQ[1:]
		}
		return q
	}
	return nil
}

func (in *Inspector) remember(id uint64) {
	in.seen[id] = true
	in.seenQ = append(in.seenQ, id)
	if len(in.seenQ) > recentIDs {
		delete(in.seen, in.seenQ[0])
		in.seenQ = in.seenQ[1:]
	}
}

// complete: every exit node has reported. A fan-out exit cannot know its
// count from the logs; one report closes it.
func (in *Inspector) complete(q *Request) bool {
	for _, x := range in.exits {
		if len(q.Invocations[x]) == 0 {
			return false
		}
	}
	return true
}

// Open is the number of requests still waiting for records.
func (in *Inspector) Open() int { return len(in.open) }

// CriticalPath is the chain of functions that set a request's end-to-end
// latency: from the function that finished last, back through the
// predecessor that finished last, to an entry.
func CriticalPath(dag *pipeline.DAG, q *Request) []string {
	end := func(name string) (int64, bool) {
		recs := q.Invocations[name]
		if len(recs) == 0 {
			return 0, false
		}
		var e int64
		for _, r := range recs {
			e = max(e, r.Start+r.Duration)
		}
		return e, true
	}
	last, lastEnd := -1, int64(-1)
	for i, nd := range dag.Nodes {
		if e, ok := end(nd.Name); ok && e > lastEnd {
			last, lastEnd = i, e
		}
	}
	var path []string
	for v := last; v >= 0; {
		path = append(path, dag.Nodes[v].Name)
		next, nextEnd := -1, int64(-1)
		for _, p := range dag.Nodes[v].Preds {
			if e, ok := end(dag.Nodes[p].Name); ok && e > nextEnd {
				next, nextEnd = p, e
			}
		}
		v = next
	}
	for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
		path[i], path[j] = path[j], path[i]
	}
	return path
}

// signature describes which functions ran (fan-out counts excluded).
func signature(q *Request) string {
	names := make([]string, 0, len(q.Invocations))
	for f := range q.Invocations {
		names = append(names, f)
	}
	sort.Strings(names)
	return strings.Join(names, ",")
}
