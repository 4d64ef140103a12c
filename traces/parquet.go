package traces

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"slices"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// Parquet key-value metadata of the cache (see the package documentation for
// the Arrow schema).
const (
	metaVersion     = "confignav.traces.version"
	metaKind        = "confignav.traces.kind"
	metaSource      = "confignav.traces.source"
	metaFirstMinute = "confignav.traces.first_minute"
	metaMinutes     = "confignav.traces.minutes"
	metaOrigin      = "confignav.traces.origin"
	metaCountsCRC   = "confignav.traces.counts_crc32c"
	cacheVersion    = "1"
)

var durationCols = [...]string{"duration_p0_ms", "duration_p1_ms", "duration_p25_ms", "duration_p50_ms",
	"duration_p75_ms", "duration_p99_ms", "duration_p100_ms"}

var memoryCols = [...]string{"memory_p1_mb", "memory_p5_mb", "memory_p25_mb", "memory_p50_mb",
	"memory_p75_mb", "memory_p95_mb", "memory_p99_mb", "memory_p100_mb"}

// perMinuteSchema is the Arrow schema of a per-minute cache; the duration and
// memory columns are present only when some function has those statistics.
func perMinuteSchema(withDur, withMem bool) *arrow.Schema {
	str, i64, f64 := arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Float64
	fs := []arrow.Field{
		{Name: "owner", Type: str},
		{Name: "app", Type: str},
		{Name: "function", Type: str},
		{Name: "trigger", Type: str},
		{Name: "invocations", Type: i64},
		{Name: "counts", Type: arrow.BinaryTypes.Binary},
	}
	if withDur {
		fs = append(fs,
			arrow.Field{Name: "duration_count", Type: i64, Nullable: true},
			arrow.Field{Name: "duration_avg_ms", Type: f64, Nullable: true},
			arrow.Field{Name: "duration_min_ms", Type: f64, Nullable: true},
			arrow.Field{Name: "duration_max_ms", Type: f64, Nullable: true})
		for _, n := range durationCols {
			fs = append(fs, arrow.Field{Name: n, Type: f64, Nullable: true})
		}
	}
	if withMem {
		fs = append(fs,
			arrow.Field{Name: "memory_samples", Type: i64, Nullable: true},
			arrow.Field{Name: "memory_avg_mb", Type: f64, Nullable: true})
		for _, n := range memoryCols {
			fs = append(fs, arrow.Field{Name: n, Type: f64, Nullable: true})
		}
		fs = append(fs, arrow.Field{Name: "memory_per_app", Type: arrow.FixedWidthTypes.Boolean, Nullable: true})
	}
	return arrow.NewSchema(fs, nil)
}

func perInvocationSchema() *arrow.Schema {
	return arrow.NewSchema([]arrow.Field{
		{Name: "function_id", Type: arrow.PrimitiveTypes.Int32},
		{Name: "app", Type: arrow.BinaryTypes.String},
		{Name: "function", Type: arrow.BinaryTypes.String},
		{Name: "start_us", Type: arrow.PrimitiveTypes.Int64},
		{Name: "duration_us", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
}

const invocationRowGroup = 1 << 20

// WriteParquet writes the trace as a Parquet cache. The output depends only on
// the trace: the same trace gives the same bytes.
func (t *Trace) WriteParquet(w io.Writer) error {
	mem := memory.NewGoAllocator()
	var rec arrow.RecordBatch
	var sc *arrow.Schema
	props := []parquet.WriterProperty{
		parquet.WithCompression(compress.Codecs.Snappy),
		parquet.WithCreatedBy("confignav traces"),
		parquet.WithAllocator(mem),
	}
	switch t.Kind {
	case PerMinute:
		sc, rec = t.perMinuteRecord(mem)
		// The run-length counts are already compact and the hashes do not
		// compress; leaving the file uncompressed makes it several times
		// faster to read for a small size cost (it stays several times
		// smaller than the CSV).
		props[0] = parquet.WithCompression(compress.Codecs.Uncompressed)
		props = append(props, parquet.WithDictionaryFor("counts", false), parquet.WithDictionaryFor("function", false))
	case PerInvocation:
		sc = perInvocationSchema()
		props = append(props,
			parquet.WithMaxRowGroupLength(invocationRowGroup),
			parquet.WithDictionaryFor("start_us", false),
			parquet.WithEncodingFor("start_us", parquet.Encodings.DeltaBinaryPacked))
		props[0] = parquet.WithCompression(compress.Codecs.Uncompressed)
	default:
		return errorf("write parquet: trace kind %v", t.Kind)
	}
	// The Parquet writer closes a writer that is an io.Closer; the caller
	// owns w, so hide its Close.
	w = struct{ io.Writer }{w}
	fw, err := pqarrow.NewFileWriter(sc, w, parquet.NewWriterProperties(props...), pqarrow.NewArrowWriterProperties(pqarrow.WithAllocator(mem)))
	if err != nil {
		return errorf("write parquet: %v", err)
	}
	if t.Kind == PerMinute {
		err = fw.Write(rec)
		rec.Release()
	} else {
		for lo := 0; lo < len(t.Calls) && err == nil; lo += invocationRowGroup {
			rec := t.perInvocationRecord(mem, sc, lo, min(lo+invocationRowGroup, len(t.Calls)))
			err = fw.Write(rec)
			rec.Release()
		}
	}
	if err != nil {
		fw.Close()
		return errorf("write parquet: %v", err)
	}
	origin, _ := json.Marshal(t.Origin)
	kvs := [][2]string{
		{metaVersion, cacheVersion},
		{metaKind, t.Kind.String()},
		{metaSource, t.Source},
		{metaFirstMinute, strconv.Itoa(t.FirstMinute)},
		{metaMinutes, strconv.Itoa(t.Minutes)},
		{metaOrigin, string(origin)},
	}
	if t.Kind == PerMinute {
		kvs = append(kvs, [2]string{metaCountsCRC, strconv.FormatUint(uint64(t.countsCRC()), 16)})
	}
	for _, kv := range kvs {
		if err := fw.AppendKeyValueMetadata(kv[0], kv[1]); err != nil {
			fw.Close()
			return errorf("write parquet: %v", err)
		}
	}
	if err := fw.Close(); err != nil {
		return errorf("write parquet: %v", err)
	}
	return nil
}

func (t *Trace) perMinuteRecord(mem memory.Allocator) (*arrow.Schema, arrow.RecordBatch) {
	withDur, withMem := false, false
	size := 0
	for i := range t.Functions {
		f := &t.Functions[i]
		withDur = withDur || f.Duration != nil
		withMem = withMem || f.Memory != nil
		size += len(f.counts)
	}
	sc := perMinuteSchema(withDur, withMem)
	b := array.NewRecordBuilder(mem, sc)
	defer b.Release()
	b.Reserve(len(t.Functions))
	owner := b.Field(0).(*array.StringBuilder)
	app := b.Field(1).(*array.StringBuilder)
	name := b.Field(2).(*array.StringBuilder)
	trig := b.Field(3).(*array.StringBuilder)
	inv := b.Field(4).(*array.Int64Builder)
	counts := b.Field(5).(*array.BinaryBuilder)
	counts.ReserveData(size)
	for i := range t.Functions {
		f := &t.Functions[i]
		owner.Append(f.Owner)
		app.Append(f.App)
		name.Append(f.Name)
		trig.Append(f.Trigger)
		inv.Append(f.Invocations)
		counts.Append(f.counts)
		col := 6
		if withDur {
			d := f.Duration
			i64 := b.Field(col).(*array.Int64Builder)
			if d == nil {
				for k := col; k < col+4+len(durationCols); k++ {
					b.Field(k).AppendNull()
				}
			} else {
				i64.Append(d.Count)
				vals := append([]float64{d.AverageMs, d.MinimumMs, d.MaximumMs}, d.Percentiles[:]...)
				for k, v := range vals {
					b.Field(col + 1 + k).(*array.Float64Builder).Append(v)
				}
			}
			col += 4 + len(durationCols)
		}
		if withMem {
			m := f.Memory
			if m == nil {
				for k := col; k < col+3+len(memoryCols); k++ {
					b.Field(k).AppendNull()
				}
			} else {
				b.Field(col).(*array.Int64Builder).Append(m.Samples)
				vals := append([]float64{m.AverageMB}, m.Percentiles[:]...)
				for k, v := range vals {
					b.Field(col + 1 + k).(*array.Float64Builder).Append(v)
				}
				b.Field(col + 2 + len(memoryCols)).(*array.BooleanBuilder).Append(m.PerApp)
			}
		}
	}
	return sc, b.NewRecordBatch()
}

func (t *Trace) perInvocationRecord(mem memory.Allocator, sc *arrow.Schema, lo, hi int) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, sc)
	defer b.Release()
	b.Reserve(hi - lo)
	id := b.Field(0).(*array.Int32Builder)
	app := b.Field(1).(*array.StringBuilder)
	name := b.Field(2).(*array.StringBuilder)
	start := b.Field(3).(*array.Int64Builder)
	dur := b.Field(4).(*array.Int64Builder)
	for _, c := range t.Calls[lo:hi] {
		f := &t.Functions[c.Func]
		id.Append(c.Func)
		app.Append(f.App)
		name.Append(f.Name)
		start.Append(c.Start)
		dur.Append(c.Duration)
	}
	return b.NewRecordBatch()
}

// WriteParquetFile writes the trace's Parquet cache to path atomically.
func WriteParquetFile(path string, t *Trace) error {
	return WriteFileAtomic(path, t.WriteParquet)
}

// ReaderAtSeeker is what ReadParquet reads from (an *os.File or a
// *bytes.Reader).
type ReaderAtSeeker interface {
	io.ReaderAt
	io.Seeker
}

// LoadParquet reads a Parquet cache file.
func LoadParquet(path string) (*Trace, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, errorf("%v", err)
	}
	defer f.Close()
	return ReadParquet(f, path)
}

// ReadParquet reads a Parquet cache written by WriteParquet; name is used in
// errors. The file is validated as a whole (schema, metadata, each function's
// counts against its total) before the trace is returned.
func ReadParquet(r ReaderAtSeeker, name string) (t *Trace, err error) {
	defer func() {
		// The Parquet decoder may panic on corrupt input; a cache file is
		// input, so report it as an error rather than crash.
		if p := recover(); p != nil {
			t, err = nil, errorf("%s: corrupt parquet file: %v", name, p)
		}
	}()
	// A buffered stream reads column chunks through a small buffer instead
	// of allocating each whole chunk.
	rprops := parquet.NewReaderProperties(memory.NewGoAllocator())
	rprops.BufferedStreamEnabled = true
	rprops.BufferSize = 1 << 16
	size, err := r.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, errorf("%s: %v", name, err)
	}
	rd, err := file.NewParquetReader(r, file.WithReadProps(rprops))
	if err != nil {
		return nil, errorf("%s: not a parquet file: %v", name, err)
	}
	defer rd.Close()
	kv := rd.MetaData().KeyValueMetadata()
	meta := func(k string) string {
		if v := kv.FindValue(k); v != nil {
			return *v
		}
		return ""
	}
	if v := meta(metaVersion); v != cacheVersion {
		if v == "" {
			return nil, errorf("%s: not a confignav trace cache (no %s metadata); convert CSV with `cnav traces import`", name, metaVersion)
		}
		return nil, errorf("%s: trace cache version %q, this build reads %q", name, v, cacheVersion)
	}
	t = &Trace{Source: meta(metaSource)}
	if t.FirstMinute, err = strconv.Atoi(meta(metaFirstMinute)); err != nil || t.FirstMinute < 0 {
		return nil, errorf("%s: bad %s metadata %q", name, metaFirstMinute, meta(metaFirstMinute))
	}
	if t.Minutes, err = strconv.Atoi(meta(metaMinutes)); err != nil || t.Minutes < 0 {
		return nil, errorf("%s: bad %s metadata %q", name, metaMinutes, meta(metaMinutes))
	}
	if o := meta(metaOrigin); o != "" {
		if err := json.Unmarshal([]byte(o), &t.Origin); err != nil {
			return nil, errorf("%s: bad %s metadata: %v", name, metaOrigin, err)
		}
	}
	switch meta(metaKind) {
	case PerMinute.String():
		t.Kind = PerMinute
		err = t.readPerMinute(rd, meta(metaCountsCRC), size)
	case PerInvocation.String():
		t.Kind = PerInvocation
		err = t.readPerInvocation(rd, size)
	default:
		return nil, errorf("%s: unknown trace kind %q", name, meta(metaKind))
	}
	if err != nil {
		return nil, errorf("%s: %v", name, err)
	}
	return t, nil
}

// The per-minute cache is read with Parquet's column readers directly: its
// columns are flat, and skipping the Arrow arrays (and copying the counts
// once, into one arena) makes the cache an order of magnitude faster to load
// than the CSV it came from.

// pageReader is the ReadBatchInPage method every typed column reader has.
type pageReader[T any] interface {
	HasNext() bool
	ReadBatchInPage(batchSize int64, values []T, defLvls, repLvls []int16) (int64, int, error)
}

// scanColumn calls fn with each batch of a column's values and, for a
// nullable column, the definition levels (def[i] == maxDef: row i has the
// next value). Byte-array values are only valid during the call.
func scanColumn[T any](rd *file.Reader, name string, required bool, fn func(vals []T, def []int16, maxDef int16) error) (bool, error) {
	col := rd.MetaData().Schema.ColumnIndexByName(name)
	if col < 0 {
		if required {
			return false, fmt.Errorf("missing column %q", name)
		}
		return false, nil
	}
	maxDef := rd.MetaData().Schema.Column(col).MaxDefinitionLevel()
	if maxDef > 1 || rd.MetaData().Schema.Column(col).MaxRepetitionLevel() != 0 {
		return false, fmt.Errorf("column %q is nested", name)
	}
	// Batches no larger than the file's rows, so a small trace does not
	// allocate (and zero) buffers for 16k values per column; but at least
	// 1,024, since a corrupt footer may claim one row over large pages.
	batch := int64(1 << 14)
	if rows := rd.NumRows(); rows > 0 && rows < batch {
		batch = max(rows, 1<<10)
	}
	vals := make([]T, batch)
	var def []int16
	if maxDef > 0 {
		def = make([]int16, batch)
	}
	for rg := 0; rg < rd.NumRowGroups(); rg++ {
		cc, err := rd.RowGroup(rg).Column(col)
		if err != nil {
			return false, err
		}
		r, ok := cc.(pageReader[T])
		if !ok {
			return false, fmt.Errorf("column %q has physical type %v, want %T", name, cc.Type(), *new(T))
		}
		stalled := 0
		for r.HasNext() {
			total, n, err := r.ReadBatchInPage(batch, vals, def, nil)
			if err != nil {
				return false, fmt.Errorf("column %q: %v", name, err)
			}
			// A corrupt page can report data it never yields.
			if total == 0 {
				if stalled++; stalled > 2 {
					return false, fmt.Errorf("column %q: corrupt page (no progress)", name)
				}
				continue
			}
			stalled = 0
			d := def
			if d != nil {
				d = d[:total]
			}
			if err := fn(vals[:n], d, maxDef); err != nil {
				return false, err
			}
		}
		if err := cc.Err(); err != nil {
			return false, fmt.Errorf("column %q: %v", name, err)
		}
	}
	return true, nil
}

// byteColumn reads a required byte-array column into one arena.
func byteColumn(rd *file.Reader, name string, limit int64) ([][]byte, error) {
	arena, ends, err := arenaColumn(rd, name, limit)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(ends))
	lo := 0
	for i, hi := range ends {
		out[i] = arena[lo:hi:hi]
		lo = hi
	}
	return out, nil
}

// arenaColumn reads a required byte-array column into one arena and the end
// offset of each value.
func arenaColumn(rd *file.Reader, name string, limit int64) ([]byte, []int, error) {
	arena, ends := columnArena(rd, name, limit)
	_, err := scanColumn(rd, name, true, func(vals []parquet.ByteArray, def []int16, maxDef int16) error {
		if maxDef != 0 {
			return fmt.Errorf("column %q is nullable", name)
		}
		for _, v := range vals {
			arena = append(arena, v...)
			ends = append(ends, len(arena))
		}
		return nil
	})
	return arena, ends, err
}

// columnArena sizes the buffers for a byte-array column from the row
// groups' metadata (an upper bound: it includes page headers and lengths).
func columnArena(rd *file.Reader, name string, limit int64) ([]byte, []int) {
	col := rd.MetaData().Schema.ColumnIndexByName(name)
	size, rows := int64(0), rd.NumRows()
	for rg := 0; col >= 0 && rg < rd.NumRowGroups(); rg++ {
		if md, err := rd.MetaData().RowGroup(rg).ColumnChunk(col); err == nil {
			size += max(md.TotalUncompressedSize(), 0)
		}
	}
	// A hint only: a corrupt footer must not make us allocate more than
	// the file's size.
	return make([]byte, 0, min(size, limit)), make([]int, 0, min(rows, limit))
}

// stringColumn reads a required string column with one allocation.
func stringColumn(rd *file.Reader, name string, limit int64) ([]string, error) {
	arena, ends, err := arenaColumn(rd, name, limit)
	if err != nil {
		return nil, err
	}
	all := string(arena)
	out := make([]string, len(ends))
	lo := 0
	for i, hi := range ends {
		out[i] = all[lo:hi]
		lo = hi
	}
	return out, nil
}

// numbers reads an optional nullable numeric column as float64 with a
// validity mask; present=false if the column is absent.
func numbers[T int64 | float64 | bool](rd *file.Reader, name string, n int) (vals []float64, valid []bool, present bool, err error) {
	vals, valid = make([]float64, 0, n), make([]bool, 0, n)
	present, err = scanColumn(rd, name, false, func(vs []T, def []int16, maxDef int16) error {
		k := 0
		next := func() float64 {
			v := vs[k]
			k++
			switch x := any(v).(type) {
			case int64:
				return float64(x)
			case float64:
				return x
			case bool:
				if x {
					return 1
				}
			}
			return 0
		}
		if def == nil {
			for range vs {
				vals = append(vals, next())
				valid = append(valid, true)
			}
			return nil
		}
		for _, d := range def {
			if d == maxDef {
				if k >= len(vs) {
					return fmt.Errorf("column %q: more defined rows than values", name)
				}
				vals = append(vals, next())
				valid = append(valid, true)
			} else {
				vals = append(vals, 0)
				valid = append(valid, false)
			}
		}
		return nil
	})
	if present && len(vals) != n {
		return nil, nil, false, fmt.Errorf("column %q has %d rows, want %d", name, len(vals), n)
	}
	return vals, valid, present, err
}

// countsCRC is the CRC-32C of all functions' encoded counts, in order.
func (t *Trace) countsCRC() uint32 {
	var c uint32
	for i := range t.Functions {
		c = crc32.Update(c, castagnoli, t.Functions[i].counts)
	}
	return c
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func (t *Trace) readPerMinute(rd *file.Reader, crc string, limit int64) error {
	n := int(rd.NumRows())
	var strs [4][]string
	for k, c := range []string{"owner", "app", "function", "trigger"} {
		var err error
		if strs[k], err = stringColumn(rd, c, limit); err != nil {
			return err
		}
		if len(strs[k]) != n {
			return fmt.Errorf("column %q has %d rows, want %d", c, len(strs[k]), n)
		}
	}
	counts, err := byteColumn(rd, "counts", limit)
	if err != nil {
		return err
	}
	if len(counts) != n {
		return fmt.Errorf("column %q has %d rows, want %d", "counts", len(counts), n)
	}
	inv, valid, ok, err := numbers[int64](rd, "invocations", n)
	switch {
	case err != nil:
		return err
	case !ok:
		return fmt.Errorf("missing column %q", "invocations")
	case slices.Contains(valid, false):
		return fmt.Errorf("column %q has nulls", "invocations")
	}
	t.Functions = make([]Function, n)
	for i := range t.Functions {
		f := &t.Functions[i]
		f.Owner, f.App, f.Name, f.Trigger = strs[0][i], strs[1][i], strs[2][i], strs[3][i]
		f.Invocations = int64(inv[i])
		f.counts = counts[i]
	}
	// A cache this package wrote carries the CRC of its counts: matching it
	// proves them intact and consistent (the writer only writes valid
	// traces), at a fraction of the cost of decoding them. Without it, for
	// instance from another writer, every series is decoded and checked.
	if crc != "" {
		want, err := strconv.ParseUint(crc, 16, 32)
		if err != nil {
			return fmt.Errorf("bad %s metadata %q", metaCountsCRC, crc)
		}
		if got := t.countsCRC(); uint64(got) != want {
			return fmt.Errorf("counts checksum %08x, want %08x: the file is corrupt", got, want)
		}
		return t.readStats(rd, n)
	}
	for i := range t.Functions {
		f := &t.Functions[i]
		if total, ok := checkRLE(f.counts, t.Minutes); !ok || total != f.Invocations {
			return fmt.Errorf("row %d: counts do not decode to %d minutes totalling %d invocations", i, t.Minutes, f.Invocations)
		}
	}
	return t.readStats(rd, n)
}

// readStats reads the optional duration and memory columns.
func (t *Trace) readStats(rd *file.Reader, n int) error {
	// Optional statistics: a group is present when its first column is.
	group := func(names []string, read func(k int, name string) ([]float64, []bool, bool, error), set func(i int, v []float64)) error {
		cols := make([][]float64, len(names))
		valids := make([][]bool, len(names))
		for k, nm := range names {
			vals, valid, ok, err := read(k, nm)
			if err != nil {
				return err
			}
			if !ok {
				if k == 0 {
					return nil
				}
				return fmt.Errorf("missing column %q", nm)
			}
			cols[k], valids[k] = vals, valid
		}
		row := make([]float64, len(names))
	rows:
		for i := 0; i < n; i++ {
			for k := range names {
				if !valids[k][i] {
					continue rows
				}
				row[k] = cols[k][i]
			}
			set(i, row)
		}
		return nil
	}
	durNames := append([]string{"duration_count", "duration_avg_ms", "duration_min_ms", "duration_max_ms"}, durationCols[:]...)
	if err := group(durNames, func(k int, name string) ([]float64, []bool, bool, error) {
		if k == 0 {
			return numbers[int64](rd, name, n)
		}
		return numbers[float64](rd, name, n)
	}, func(i int, v []float64) {
		d := &DurationStats{Count: int64(v[0]), AverageMs: v[1], MinimumMs: v[2], MaximumMs: v[3]}
		copy(d.Percentiles[:], v[4:])
		t.Functions[i].Duration = d
	}); err != nil {
		return err
	}
	memNames := append(append([]string{"memory_samples", "memory_avg_mb"}, memoryCols[:]...), "memory_per_app")
	return group(memNames, func(k int, name string) ([]float64, []bool, bool, error) {
		switch k {
		case 0:
			return numbers[int64](rd, name, n)
		case len(memNames) - 1:
			return numbers[bool](rd, name, n)
		}
		return numbers[float64](rd, name, n)
	}, func(i int, v []float64) {
		m := &MemoryStats{Samples: int64(v[0]), AverageMB: v[1], PerApp: v[len(v)-1] == 1}
		copy(m.Percentiles[:], v[2:])
		t.Functions[i].Memory = m
	})
}

func (t *Trace) readPerInvocation(rd *file.Reader, limit int64) error {
	rows := rd.NumRows()
	ids := make([]int32, 0, min(rows, limit)) // a hint: see columnArena
	if _, err := scanColumn(rd, "function_id", true, func(vs []int32, def []int16, maxDef int16) error {
		if maxDef != 0 {
			return fmt.Errorf("column %q is nullable", "function_id")
		}
		for _, id := range vs {
			if id < 0 || int64(id) >= rows {
				return fmt.Errorf("function_id %d out of range", id)
			}
		}
		ids = append(ids, vs...)
		return nil
	}); err != nil {
		return err
	}
	n := len(ids)
	t.Calls = make([]Call, n)
	for i, id := range ids {
		t.Calls[i].Func = id
	}
	for k, name := range []string{"start_us", "duration_us"} {
		i := 0
		if _, err := scanColumn(rd, name, true, func(vs []int64, def []int16, maxDef int16) error {
			if maxDef != 0 {
				return fmt.Errorf("column %q is nullable", name)
			}
			if i+len(vs) > n {
				return fmt.Errorf("column %q has more rows than function_id", name)
			}
			calls := t.Calls[i : i+len(vs)]
			neg := false
			if k == 0 {
				for j, v := range vs {
					calls[j].Start = v
					neg = neg || v < 0
				}
			} else {
				for j, v := range vs {
					calls[j].Duration = v
					neg = neg || v < 0
				}
			}
			if neg {
				return fmt.Errorf("negative %s near row %d", name, i)
			}
			i += len(vs)
			return nil
		}); err != nil {
			return err
		}
		if i != n {
			return fmt.Errorf("column %q has %d rows, want %d", name, i, n)
		}
	}
	for i := 1; i < n; i++ {
		if t.Calls[i].Start < t.Calls[i-1].Start {
			return fmt.Errorf("row %d: calls not sorted by start_us", i)
		}
	}
	// Names: taken at each function's first call.
	maxID := int32(-1)
	for _, id := range ids {
		maxID = max(maxID, id)
	}
	if int(maxID) >= n {
		return fmt.Errorf("function_id %d out of range for %d calls", maxID, n)
	}
	t.Functions = make([]Function, maxID+1)
	for _, id := range ids {
		t.Functions[id].Invocations++
	}
	for id := range t.Functions {
		if t.Functions[id].Invocations == 0 {
			return fmt.Errorf("function_id %d has no calls", id)
		}
	}
	// The names are read only up to the last function's first call.
	errNamed := errors.New("all named")
	apps := map[string]string{}
	for k, col := range []string{"app", "function"} {
		i := 0
		left := len(t.Functions)
		named := make([]bool, len(t.Functions))
		_, err := scanColumn(rd, col, true, func(vs []parquet.ByteArray, def []int16, maxDef int16) error {
			if maxDef != 0 {
				return fmt.Errorf("column %q is nullable", col)
			}
			if i+len(vs) > n {
				return fmt.Errorf("column %q has more rows than function_id", col)
			}
			for _, v := range vs {
				if id := ids[i]; !named[id] {
					named[id] = true
					left--
					if k == 0 {
						a, ok := apps[string(v)]
						if !ok {
							a = string(v)
							apps[a] = a
						}
						t.Functions[id].App = a
					} else {
						t.Functions[id].Name = string(v)
					}
				}
				i++
			}
			if left == 0 {
				return errNamed
			}
			return nil
		})
		if err != nil && err != errNamed {
			return err
		}
		if left != 0 {
			return fmt.Errorf("column %q has %d rows, want %d", col, i, n)
		}
	}
	if n > 0 && t.Minutes != int(t.Calls[n-1].Start/MinuteMicros)+1 {
		return fmt.Errorf("minutes metadata %d does not match the last start %d µs", t.Minutes, t.Calls[n-1].Start)
	}
	return nil
}

// WriteFileAtomic writes a file through write: to a temporary file in the
// same directory, synced, then renamed over path, so that readers never see a
// partial file and a failed write leaves any old file in place.
func WriteFileAtomic(path string, write func(io.Writer) error) (err error) {
	dir, base := splitPath(path)
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return errorf("%v", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = tmp.Chmod(0o644); err != nil {
		return errorf("%v", err)
	}
	if err = write(tmp); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return errorf("%v", err)
	}
	if err = tmp.Close(); err != nil {
		return errorf("%v", err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return errorf("%v", err)
	}
	if d, derr := os.Open(dir); derr == nil {
		d.Sync() // best effort: make the rename durable
		d.Close()
	}
	return nil
}
