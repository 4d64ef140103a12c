package traces

import (
	"bytes"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

func roundTrip(t *testing.T, tr *Trace) (*Trace, []byte) {
	t.Helper()
	var b bytes.Buffer
	if err := tr.WriteParquet(&b); err != nil {
		t.Fatal(err)
	}
	got, err := ReadParquet(bytes.NewReader(b.Bytes()), "mem.parquet")
	if err != nil {
		t.Fatal(err)
	}
	return got, b.Bytes()
}

func TestParquetRoundTrip(t *testing.T) {
	load := map[string]func(t *testing.T) (*Trace, error){
		"azure2019-500fn-with-stats": func(t *testing.T) (*Trace, error) {
			return LoadAzure2019(data2019(t, "invocations-500fn-min480-959.csv"),
				data2019(t, "durations-500fn.csv"), data2019(t, "memory-500fn-per-function.csv"))
		},
		"azure2019-10fn": func(t *testing.T) (*Trace, error) {
			return LoadAzure2019(data2019(t, "invocations-10fn-fullday.csv"), data2019(t, "memory-10fn-fullday.csv"))
		},
		"azure2021": func(t *testing.T) (*Trace, error) { return LoadAzure2021(data2021(t)) },
		"synthetic": func(t *testing.T) (*Trace, error) {
			p := DefaultSynthParams()
			p.Functions, p.Minutes = 50, 120
			return Synthesize(p, 7)
		},
		"azure2021-subset": func(t *testing.T) (*Trace, error) {
			tr, err := LoadAzure2021(data2021(t))
			if err != nil {
				return nil, err
			}
			return tr.Subset([]int{5, 2, 9}), nil
		},
	}
	for name, f := range load {
		t.Run(name, func(t *testing.T) {
			tr, err := f(t)
			if err != nil {
				t.Fatal(err)
			}
			got, b1 := roundTrip(t, tr)
			if !traceEqual(got, tr) {
				t.Fatal("the trace read back differs from the one written")
			}
			_, b2 := roundTrip(t, got)
			if !bytes.Equal(b1, b2) {
				t.Error("writing the same trace twice gave different bytes")
			}
		})
	}
}

// TestParquetCSVSameTrace: every command reads either form; both give the
// same trace and the same requests.
func TestParquetCSVSameTrace(t *testing.T) {
	csv := data2019(t, "invocations-10fn-fullday.csv")
	tr, err := LoadAzure2019(csv)
	if err != nil {
		t.Fatal(err)
	}
	pq := filepath.Join(t.TempDir(), "t.parquet")
	if err := WriteParquetFile(pq, tr); err != nil {
		t.Fatal(err)
	}
	o := Options{Seed: 3, Duration: 10 * MinuteMicros}
	a, err := Open("azure2019:"+csv, o)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(pq, o)
	if err != nil {
		t.Fatal(err)
	}
	ra, rb := collect(a, 0), collect(b, 0)
	if len(ra) == 0 || len(ra) != len(rb) {
		t.Fatalf("%d and %d requests", len(ra), len(rb))
	}
	for i := range ra {
		if ra[i] != rb[i] {
			t.Fatalf("request %d differs: %+v vs %+v", i, ra[i], rb[i])
		}
	}
}

func TestParquetRejects(t *testing.T) {
	p := DefaultSynthParams()
	p.Functions, p.Minutes = 20, 60
	tr, err := Synthesize(p, 1)
	if err != nil {
		t.Fatal(err)
	}
	var good bytes.Buffer
	if err := tr.WriteParquet(&good); err != nil {
		t.Fatal(err)
	}
	// A foreign Parquet file (no confignav metadata).
	sc := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}}, nil)
	bld := array.NewRecordBuilder(memory.NewGoAllocator(), sc)
	bld.Field(0).(*array.Int64Builder).Append(1)
	rec := bld.NewRecordBatch()
	var foreign bytes.Buffer
	fw, err := pqarrow.NewFileWriter(sc, &foreign, nil, pqarrow.DefaultWriterProps())
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(rec)
	fw.Close()
	// A flipped byte in the counts column: find the first function's
	// encoded counts in the file and change one.
	corrupt := bytes.Clone(good.Bytes())
	i := bytes.Index(corrupt, tr.Functions[0].counts)
	if i < 0 || len(tr.Functions[0].counts) == 0 {
		t.Fatal("counts not found in the file")
	}
	corrupt[i] ^= 0x02
	for name, data := range map[string][]byte{
		"not parquet": []byte("HashOwner,HashApp\n"),
		"truncated":   good.Bytes()[:good.Len()/2],
		"foreign":     foreign.Bytes(),
		"corrupt":     corrupt,
		"empty":       nil,
	} {
		got, err := ReadParquet(bytes.NewReader(data), name+".parquet")
		if err == nil || got != nil {
			t.Errorf("%s: trace %v, err %v; want an error", name, got != nil, err)
			continue
		}
		if !strings.HasPrefix(err.Error(), "traces: "+name+".parquet: ") {
			t.Errorf("%s: error %q does not name the file", name, err)
		}
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.parquet")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := WriteFileAtomic(path, func(w io.Writer) error {
		w.Write([]byte("partial"))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Errorf("a failed write changed the file to %q", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("temporary files left behind: %v", ents)
	}
	if err := WriteFileAtomic(path, func(w io.Writer) error { _, err := w.Write([]byte("new")); return err }); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Errorf("file holds %q, want new", b)
	}
}

// naiveDecode is the reference for the run-length encoding.
func naiveDecode(b []byte, minutes int) ([]uint32, bool) {
	var out []uint32
	for len(b) > 0 {
		v, n := uvarintRef(b)
		if n <= 0 {
			return nil, false
		}
		b = b[n:]
		if v&1 == 1 {
			if v>>1 == 0 {
				return nil, false
			}
			for k := uint64(0); k < v>>1; k++ {
				out = append(out, 0)
				if len(out) > minutes {
					return nil, false
				}
			}
			continue
		}
		if v>>1 == 0 || v>>1 > math.MaxUint32 {
			return nil, false
		}
		out = append(out, uint32(v>>1))
		if len(out) > minutes {
			return nil, false
		}
	}
	for len(out) < minutes {
		out = append(out, 0)
	}
	return out, true
}

func uvarintRef(b []byte) (uint64, int) {
	var x uint64
	for i, c := range b {
		if i == 10 {
			return 0, -1
		}
		x |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			if i == 9 && c > 1 {
				return 0, -1
			}
			return x, i + 1
		}
	}
	return 0, 0
}

// TestRLEProperty checks the encoder, the cursor and the fast validator
// against the naive decoder on random series and random bytes.
func TestRLEProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for iter := 0; iter < 3000; iter++ {
		n := r.IntN(300)
		series := make([]uint32, n)
		for i := range series {
			switch r.IntN(4) {
			case 0:
				series[i] = uint32(r.IntN(3))
			case 1:
				series[i] = uint32(r.IntN(200))
			case 2:
				series[i] = uint32(r.ExpFloat64() * 1e5)
			}
			if r.IntN(50) == 0 {
				series[i] = math.MaxUint32
			}
		}
		var e rleEncoder
		var total int64
		for _, c := range series {
			e.add(c)
			total += int64(c)
		}
		got, ok := naiveDecode(e.buf, n)
		if !ok || !equalU32(got, series) {
			t.Fatalf("naive decode of the encoding differs: %v vs %v", got, series)
		}
		if tot, ok := checkRLE(e.buf, n); !ok || tot != total {
			t.Fatalf("checkRLE = %d %v, want %d true", tot, ok, total)
		}
		c := newCursor(e.buf)
		for i, want := range series {
			if v := c.next(); v != want {
				t.Fatalf("cursor minute %d = %d, want %d", i, v, want)
			}
		}
		// Random bytes: the validator agrees with the naive decoder, and
		// the cursor never fails.
		junk := make([]byte, r.IntN(40))
		for i := range junk {
			junk[i] = byte(r.IntN(256))
			if r.IntN(3) == 0 {
				junk[i] &= 0x7f
			}
		}
		m := r.IntN(100)
		ref, refOK := naiveDecode(junk, m)
		tot, ok := checkRLE(junk, m)
		if ok != refOK {
			t.Fatalf("checkRLE(%x, %d) ok=%v, naive %v", junk, m, ok, refOK)
		}
		if ok {
			var s int64
			for _, v := range ref {
				s += int64(v)
			}
			if s != tot {
				t.Fatalf("checkRLE(%x) total %d, naive %d", junk, tot, s)
			}
		}
		c = newCursor(junk)
		for i := 0; i < m+5; i++ {
			c.next()
		}
	}
}

func equalU32(a, b []uint32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
