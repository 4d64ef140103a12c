package sim

// event kinds
const (
	evStart  uint8 = iota // an invocation attempt
	evFinish              // an invocation ends
)

// event is one scheduled happening. It carries what the finish needs to
// release the environment and write the record, so nothing is looked up.
type event struct {
	t       int64
	seq     uint64
	slot    int32 // request slot
	node    int32
	inst    int32
	kind    uint8
	attempt uint8
	status  uint8
	gen     uint32  // pool generation of the environment
	speed   float32 // environment speed factor
	uses    int32   // invocations the environment had served before this one
	dur     int64   // execution time (µs)
	init    int64   // reported init duration (µs), 0 when warm
	needMB  float32 // memory the invocation needed
}

// eventHeap is a binary min-heap on (t, seq). It is typed rather than built on
// container/heap to avoid interface conversions on the hot path.
type eventHeap struct {
	items []event
	seq   uint64
}

func (h *eventHeap) less(a, b *event) bool {
	return a.t < b.t || (a.t == b.t && a.seq < b.seq)
}

func (h *eventHeap) push(e event) {
	h.seq++
	e.seq = h.seq
	h.items = append(h.items, e)
	i := len(h.items) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(&h.items[i], &h.items[p]) {
			break
		}
		h.items[i], h.items[p] = h.items[p], h.items[i]
		i = p
	}
}

func (h *eventHeap) pop() event {
	top := h.items[0]
	n := len(h.items) - 1
	h.items[0] = h.items[n]
	h.items = h.items[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && h.less(&h.items[r], &h.items[l]) {
			m = r
		}
		if !h.less(&h.items[m], &h.items[i]) {
			break
		}
		h.items[i], h.items[m] = h.items[m], h.items[i]
		i = m
	}
	return top
}

func (h *eventHeap) len() int { return len(h.items) }
