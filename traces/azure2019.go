package traces

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Headers of the Azure 2019 files.
var (
	invocationsHeader = []string{"HashOwner", "HashApp", "HashFunction", "Trigger"}
	durationsHeader   = []string{"HashOwner", "HashApp", "HashFunction", "Average", "Count", "Minimum", "Maximum",
		"percentile_Average_0", "percentile_Average_1", "percentile_Average_25", "percentile_Average_50",
		"percentile_Average_75", "percentile_Average_99", "percentile_Average_100"}
	memoryAppHeader = []string{"HashOwner", "HashApp", "SampleCount", "AverageAllocatedMb",
		"AverageAllocatedMb_pct1", "AverageAllocatedMb_pct5", "AverageAllocatedMb_pct25", "AverageAllocatedMb_pct50",
		"AverageAllocatedMb_pct75", "AverageAllocatedMb_pct95", "AverageAllocatedMb_pct99", "AverageAllocatedMb_pct100"}
	memoryFuncHeader = append([]string{"HashFunction"}, memoryAppHeader...)
)

// Standard file names of the Azure 2019 dataset, used when a directory is given.
var azure2019Names = regexp.MustCompile(`^(invocations_per_function_md|function_durations_percentiles|app_memory_percentiles)\.anon\.d\d+\.csv(\.gz)?$`)

// dayNumber extracts NN from a standard name "….anon.dNN.csv[.gz]".
var dayNumber = regexp.MustCompile(`\.d(\d+)\.csv(\.gz)?$`)

// LoadAzure2019 reads Azure Functions 2019 files as one per-minute trace.
// Each path is a file (.csv or .csv.gz; its kind is told by its header:
// invocations, durations, or memory per app or per function) or a directory,
// whose files with the dataset's standard names are read. At least one
// invocations file is required. Invocation files whose names carry a day
// number (".dNN.csv") are placed on the day's minute axis and must join
// without gap or overlap; files without one are appended in the order given.
// A function missing from a file has zero invocations in its minutes.
// Durations and memory rows are attached to the functions they describe and
// merged over days (see DurationStats, MemoryStats); rows of functions not in
// the invocation files are ignored.
func LoadAzure2019(paths ...string) (*Trace, error) {
	files, err := expandAzure2019(paths)
	if err != nil {
		return nil, err
	}
	var blocks []*invBlock
	durs := map[string]*durAcc{}
	mems := map[string]*memAcc{}
	for _, path := range files {
		if err := loadAzure2019File(path, &blocks, durs, mems); err != nil {
			return nil, err
		}
	}
	if len(blocks) == 0 {
		return nil, errorf("azure2019: no invocations file among %s", strings.Join(paths, ", "))
	}
	t, err := combineBlocks(blocks)
	if err != nil {
		return nil, err
	}
	for i := range t.Functions {
		f := &t.Functions[i]
		if d := durs[f.Key()]; d != nil {
			f.Duration = d.result()
		}
		if m := mems[f.Key()]; m != nil {
			f.Memory = m.result()
		} else if m := mems[f.Owner+"/"+f.App]; m != nil {
			f.Memory = m.result()
		}
	}
	return t, nil
}

func expandAzure2019(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, errorf("%v", err)
		}
		if !st.IsDir() {
			out = append(out, p)
			continue
		}
		ents, err := os.ReadDir(p)
		if err != nil {
			return nil, errorf("%v", err)
		}
		n := 0
		for _, e := range ents {
			if !e.IsDir() && azure2019Names.MatchString(e.Name()) {
				out = append(out, filepath.Join(p, e.Name()))
				n++
			}
		}
		if n == 0 {
			return nil, errorf("azure2019: directory %s has no files named like invocations_per_function_md.anon.dNN.csv", p)
		}
	}
	if len(out) == 0 {
		return nil, errorf("azure2019: no files given")
	}
	return out, nil
}

func loadAzure2019File(path string, blocks *[]*invBlock, durs map[string]*durAcc, mems map[string]*memAcc) error {
	lr, closeFn, err := openLines(path)
	if err != nil {
		return err
	}
	defer closeFn()
	return loadAzure2019Lines(lr, blocks, durs, mems)
}

// loadAzure2019Lines parses one file of any 2019 kind; durs and mems may be
// nil to accept invocation files only.
func loadAzure2019Lines(lr *lineReader, blocks *[]*invBlock, durs map[string]*durAcc, mems map[string]*memAcc) error {
	path := lr.name
	head, ok := lr.next()
	if !ok {
		if err := lr.readErr(); err != nil {
			return err
		}
		return perr(path, 1, 1, ErrEmpty, "no header line")
	}
	h := headerFields(head)
	switch {
	case len(h) >= 4 && slices.Equal(h[:4], invocationsHeader):
		b, err := parseInvocations(lr, h)
		if err != nil {
			return err
		}
		*blocks = append(*blocks, b)
		return nil
	case durs != nil && (slices.Contains(h, "Average") || slices.Contains(h, "percentile_Average_50")):
		return parseDurations(lr, h, durs)
	case mems != nil && (slices.Contains(h, "SampleCount") || slices.Contains(h, "AverageAllocatedMb")):
		return parseMemory(lr, h, mems)
	}
	return perr(path, 1, 1, ErrHeader, "not an Azure 2019 invocations, durations or memory file: header starts %s",
		quoteField(head))
}

// invBlock is one parsed invocations file.
type invBlock struct {
	name  string
	day   int // from the file name; 0 if none
	first int // first minute column label (1-based)
	n     int // number of minute columns
	fns   []Function
}

// parseInvocations reads the rows of an invocations file whose header h has
// been read. It is the hot loop of CSV loading: counts go straight into the
// run-length encoding without allocating.
func parseInvocations(lr *lineReader, h []string) (*invBlock, error) {
	name := lr.name
	if len(h) < 5 {
		return nil, perr(name, 1, len(h)+1, ErrHeader, "no minute columns after %s", strings.Join(invocationsHeader, ","))
	}
	first := 0
	for i, s := range h[4:] {
		m, err := strconv.Atoi(s)
		if err != nil || m < 1 || m > 1440 {
			return nil, perr(name, 1, i+5, ErrHeader, "column %q is not a minute of the day (1..1440)", s)
		}
		if i == 0 {
			first = m
		} else if m != first+i {
			return nil, perr(name, 1, i+5, ErrHeader, "minute column %q breaks the run starting at %d (want %d)", s, first, first+i)
		}
	}
	ncols := len(h) - 4
	b := &invBlock{name: name, first: first, n: ncols}
	if m := dayNumber.FindStringSubmatch(filepath.Base(name)); m != nil {
		b.day, _ = strconv.Atoi(m[1])
		if b.day < 1 {
			b.day = 0
		}
	}
	index := map[string]int{}
	intern := map[string]string{}
	internB := func(f []byte) string {
		if s, ok := intern[string(f)]; ok {
			return s
		}
		s := string(f)
		intern[s] = s
		return s
	}
	var enc rleEncoder
	for {
		line, ok := lr.next()
		if !ok {
			break
		}
		if len(line) == 0 {
			continue
		}
		ln := lr.line
		// The four identifying fields.
		var ids [4][]byte
		p := line
		for k := 0; k < 4; k++ {
			i := bytes.IndexByte(p, ',')
			if i < 0 {
				return nil, perr(name, ln, k+2, ErrFields, "line has %d fields, the header has %d", k+1, len(h))
			}
			ids[k] = unquote(p[:i])
			if len(ids[k]) == 0 {
				return nil, perr(name, ln, k+1, ErrValue, "empty %s", h[k])
			}
			p = p[i+1:]
		}
		// The counts.
		enc = rleEncoder{buf: enc.buf[:0]}
		i := 0
		for k := 0; k < ncols; k++ {
			col := k + 5
			start := i
			var v uint64
			for i < len(p) && p[i]-'0' <= 9 {
				v = v*10 + uint64(p[i]-'0')
				i++
				if i-start > 10 {
					break
				}
			}
			if i == start || (i < len(p) && p[i] != ',') || v > math.MaxUint32 {
				end := bytes.IndexByte(p[start:], ',')
				if end < 0 {
					end = len(p) - start
				}
				f := p[start : start+end]
				switch {
				case len(f) > 0 && f[0] == '-':
					return nil, perr(name, ln, col, ErrValue, "count %s in column %q is negative", quoteField(f), h[col-1])
				case v > math.MaxUint32 || i-start > 10:
					return nil, perr(name, ln, col, ErrValue, "count %s in column %q is too large", quoteField(f), h[col-1])
				}
				return nil, perr(name, ln, col, ErrValue, "count %s in column %q is not a non-negative integer", quoteField(f), h[col-1])
			}
			enc.add(uint32(v))
			if k < ncols-1 {
				if i >= len(p) {
					return nil, perr(name, ln, col+1, ErrFields, "line has %d fields, the header has %d (truncated line?)", col, len(h))
				}
				i++ // the comma
			} else if i < len(p) {
				n := col + bytes.Count(p[i:], []byte{','})
				return nil, perr(name, ln, col+1, ErrFields, "line has %d fields, the header has %d", n, len(h))
			}
		}
		key := string(ids[0]) + "/" + string(ids[1]) + "/" + string(ids[2])
		if j, dup := index[key]; dup {
			// A repeated function: add its counts to the first row's.
			f := &b.fns[j]
			f.counts = addRLE(f.counts, enc.buf, ncols)
			f.Invocations += enc.total
			continue
		}
		index[key] = len(b.fns)
		b.fns = append(b.fns, Function{
			Owner: internB(ids[0]), App: internB(ids[1]), Name: string(ids[2]), Trigger: internB(ids[3]),
			Invocations: enc.total, counts: slices.Clone(enc.buf),
		})
	}
	if err := lr.readErr(); err != nil {
		return nil, err
	}
	return b, nil
}

// addRLE returns the encoding of the minute-wise sum of two series.
func addRLE(a, b []byte, n int) []byte {
	ca, cb := newCursor(a), newCursor(b)
	var e rleEncoder
	for m := 0; m < n; m++ {
		s := uint64(ca.next()) + uint64(cb.next())
		e.add(uint32(min(s, math.MaxUint32)))
	}
	return e.buf
}

// combineBlocks joins invocation files into one trace (see LoadAzure2019).
func combineBlocks(blocks []*invBlock) (*Trace, error) {
	allDays := true
	for _, b := range blocks {
		if b.day == 0 {
			allDays = false
		}
	}
	first := blocks[0].first - 1
	if allDays {
		slices.SortStableFunc(blocks, func(a, b *invBlock) int { return a.day - b.day })
		abs := func(b *invBlock) int { return (b.day-1)*1440 + b.first - 1 }
		first = abs(blocks[0])
		for i := 1; i < len(blocks); i++ {
			p, b := blocks[i-1], blocks[i]
			switch end := abs(p) + p.n; {
			case abs(b) < end:
				return nil, errorf("azure2019: %s (day %d, minutes %d–%d) overlaps %s (day %d, minutes %d–%d)",
					b.name, b.day, b.first, b.first+b.n-1, p.name, p.day, p.first, p.first+p.n-1)
			case abs(b) > end:
				return nil, errorf("azure2019: gap between %s (day %d, ends at minute %d) and %s (day %d, starts at minute %d): day files must join",
					p.name, p.day, p.first+p.n-1, b.name, b.day, b.first)
			}
		}
	}
	t := &Trace{Source: SourceAzure2019, Kind: PerMinute, FirstMinute: first}
	for _, b := range blocks {
		t.Minutes += b.n
		t.Origin = append(t.Origin, filepath.Base(b.name))
	}
	if len(blocks) == 1 {
		t.Functions = blocks[0].fns
		return t, nil
	}
	// Union of functions in order of first appearance.
	index := map[string]int{}
	type part struct{ block, fn int }
	var parts [][]part
	for bi, b := range blocks {
		for fi := range b.fns {
			f := &b.fns[fi]
			k := f.Key()
			j, ok := index[k]
			if !ok {
				j = len(t.Functions)
				index[k] = j
				g := *f
				g.counts, g.Invocations = nil, 0
				t.Functions = append(t.Functions, g)
				parts = append(parts, nil)
			}
			parts[j] = append(parts[j], part{bi, fi})
		}
	}
	for j := range t.Functions {
		var e rleEncoder
		pi := 0
		for bi, b := range blocks {
			if pi < len(parts[j]) && parts[j][pi].block == bi {
				c := newCursor(b.fns[parts[j][pi].fn].counts)
				for m := 0; m < b.n; m++ {
					e.add(c.next())
				}
				pi++
				// A function repeated within one block was already summed.
				for pi < len(parts[j]) && parts[j][pi].block == bi {
					pi++
				}
			} else {
				e.addZeros(b.n)
			}
		}
		t.Functions[j].counts = e.buf
		t.Functions[j].Invocations = e.total
	}
	return t, nil
}

// columnMap checks a header against the required names (any order) and
// returns the position of each required name.
func columnMap(lr *lineReader, h []string, want []string) ([]int, error) {
	pos := make(map[string]int, len(h))
	for i, s := range h {
		if _, dup := pos[s]; dup {
			return nil, perr(lr.name, 1, i+1, ErrHeader, "column %q appears twice", s)
		}
		pos[s] = i
	}
	idx := make([]int, len(want))
	for k, w := range want {
		i, ok := pos[w]
		if !ok {
			return nil, perr(lr.name, 1, len(h)+1, ErrHeader, "missing column %q", w)
		}
		idx[k] = i
	}
	if len(h) > len(want) {
		for i, s := range h {
			if !slices.Contains(want, s) {
				return nil, perr(lr.name, 1, i+1, ErrHeader, "unexpected column %q", s)
			}
		}
	}
	return idx, nil
}

// rowReader iterates the data rows of a small CSV file with a fixed number of
// columns and parses typed fields with error positions.
type rowReader struct {
	lr     *lineReader
	header []string
	fields [][]byte
	err    error
}

func (r *rowReader) next() bool {
	for {
		line, ok := r.lr.next()
		if !ok {
			r.err = r.lr.readErr()
			return false
		}
		if len(line) == 0 {
			continue
		}
		r.fields = splitFields(r.fields, line)
		if n := len(r.fields); n != len(r.header) {
			col := min(n, len(r.header)) + 1
			msg := "line has %d fields, the header has %d"
			if n < len(r.header) {
				msg += " (truncated line?)"
			}
			r.err = perr(r.lr.name, r.lr.line, col, ErrFields, msg, n, len(r.header))
			return false
		}
		return true
	}
}

func (r *rowReader) str(col int) string {
	f := r.fields[col]
	if len(f) == 0 && r.err == nil {
		r.err = perr(r.lr.name, r.lr.line, col+1, ErrValue, "empty %s", r.header[col])
	}
	return string(f)
}

// float parses a finite, non-negative number.
func (r *rowReader) float(col int) float64 {
	f := r.fields[col]
	v, err := strconv.ParseFloat(string(bytes.TrimSpace(f)), 64)
	if r.err == nil {
		switch {
		case err != nil || math.IsNaN(v) || math.IsInf(v, 0):
			r.err = perr(r.lr.name, r.lr.line, col+1, ErrValue, "%s %s is not a number", r.header[col], quoteField(f))
		case v < 0:
			r.err = perr(r.lr.name, r.lr.line, col+1, ErrValue, "%s %s is negative", r.header[col], quoteField(f))
		}
	}
	return v
}

// count parses a non-negative integer.
func (r *rowReader) count(col int) int64 {
	f := r.fields[col]
	v, err := strconv.ParseInt(string(bytes.TrimSpace(f)), 10, 64)
	if r.err == nil {
		switch {
		case err == nil && v < 0:
			r.err = perr(r.lr.name, r.lr.line, col+1, ErrValue, "%s %s is negative", r.header[col], quoteField(f))
		case err != nil:
			r.err = perr(r.lr.name, r.lr.line, col+1, ErrValue, "%s %s is not a non-negative integer", r.header[col], quoteField(f))
		}
	}
	return v
}

type durAcc struct {
	w, n          float64 // weight sum, rows
	count         int64
	avg, min, max float64
	pct           [7]float64
	uavg          float64 // unweighted sums, used when all counts are 0
	upct          [7]float64
	first         bool
}

func (a *durAcc) add(count int64, avg, mn, mx float64, pct [7]float64) {
	w := float64(count)
	a.w += w
	a.n++
	a.count += count
	a.avg += w * avg
	a.uavg += avg
	if !a.first || mn < a.min {
		a.min = mn
	}
	if !a.first || mx > a.max {
		a.max = mx
	}
	a.first = true
	for i := range pct {
		a.pct[i] += w * pct[i]
		a.upct[i] += pct[i]
	}
}

func (a *durAcc) result() *DurationStats {
	d := &DurationStats{Count: a.count, MinimumMs: a.min, MaximumMs: a.max}
	if a.w > 0 {
		d.AverageMs = a.avg / a.w
		for i := range d.Percentiles {
			d.Percentiles[i] = a.pct[i] / a.w
		}
	} else {
		d.AverageMs = a.uavg / a.n
		for i := range d.Percentiles {
			d.Percentiles[i] = a.upct[i] / a.n
		}
	}
	return d
}

func parseDurations(lr *lineReader, h []string, durs map[string]*durAcc) error {
	idx, err := columnMap(lr, h, durationsHeader)
	if err != nil {
		return err
	}
	r := &rowReader{lr: lr, header: h}
	pending := map[string]*durAcc{}
	for r.next() {
		key := r.str(idx[0]) + "/" + r.str(idx[1]) + "/" + r.str(idx[2])
		avg, count := r.float(idx[3]), r.count(idx[4])
		mn, mx := r.float(idx[5]), r.float(idx[6])
		var pct [7]float64
		for i := range pct {
			pct[i] = r.float(idx[7+i])
		}
		if r.err != nil {
			return r.err
		}
		a := pending[key]
		if a == nil {
			a = &durAcc{}
			pending[key] = a
		}
		a.add(count, avg, mn, mx, pct)
	}
	if r.err != nil {
		return r.err
	}
	mergeAcc(durs, pending, func(dst, src *durAcc) {
		dst.w += src.w
		dst.n += src.n
		dst.count += src.count
		dst.avg += src.avg
		dst.uavg += src.uavg
		dst.min = math.Min(dst.min, src.min)
		dst.max = math.Max(dst.max, src.max)
		for i := range dst.pct {
			dst.pct[i] += src.pct[i]
			dst.upct[i] += src.upct[i]
		}
	})
	return nil
}

// mergeAcc moves a file's accumulators into the running ones only once the
// whole file parsed, so that a bad file leaves nothing behind.
func mergeAcc[A any](dst, src map[string]*A, merge func(dst, src *A)) {
	keys := make([]string, 0, len(src))
	for k := range src {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if d, ok := dst[k]; ok {
			merge(d, src[k])
		} else {
			dst[k] = src[k]
		}
	}
}

type memAcc struct {
	w, n      float64
	samples   int64
	avg, uavg float64
	pct, upct [8]float64
	perApp    bool
}

func (a *memAcc) result() *MemoryStats {
	m := &MemoryStats{Samples: a.samples, PerApp: a.perApp}
	w, avg, pct := a.w, a.avg, a.pct
	if w == 0 {
		w, avg, pct = a.n, a.uavg, a.upct
	}
	m.AverageMB = avg / w
	for i := range m.Percentiles {
		m.Percentiles[i] = pct[i] / w
	}
	return m
}

func parseMemory(lr *lineReader, h []string, mems map[string]*memAcc) error {
	perApp := !slices.Contains(h, "HashFunction")
	want := memoryFuncHeader
	if perApp {
		want = memoryAppHeader
	}
	idx, err := columnMap(lr, h, want)
	if err != nil {
		return err
	}
	if !perApp {
		// Put HashFunction after owner and app so that idx reads the same
		// as for the per-app layout, shifted by one.
		idx = slices.Concat(idx[1:3], idx[:1], idx[3:])
	}
	off := 2
	if !perApp {
		off = 3
	}
	r := &rowReader{lr: lr, header: h}
	pending := map[string]*memAcc{}
	for r.next() {
		key := r.str(idx[0]) + "/" + r.str(idx[1])
		if !perApp {
			key += "/" + r.str(idx[2])
		}
		samples := r.count(idx[off])
		avg := r.float(idx[off+1])
		var pct [8]float64
		for i := range pct {
			pct[i] = r.float(idx[off+2+i])
		}
		if r.err != nil {
			return r.err
		}
		a := pending[key]
		if a == nil {
			a = &memAcc{perApp: perApp}
			pending[key] = a
		}
		w := float64(samples)
		a.w += w
		a.n++
		a.samples += samples
		a.avg += w * avg
		a.uavg += avg
		for i := range pct {
			a.pct[i] += w * pct[i]
			a.upct[i] += pct[i]
		}
	}
	if r.err != nil {
		return r.err
	}
	mergeAcc(mems, pending, func(dst, src *memAcc) {
		dst.w += src.w
		dst.n += src.n
		dst.samples += src.samples
		dst.avg += src.avg
		dst.uavg += src.uavg
		for i := range dst.pct {
			dst.pct[i] += src.pct[i]
			dst.upct[i] += src.upct[i]
		}
	})
	return nil
}
