package traces

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// The parsers' fuzz targets (go test -fuzz=FuzzAzure2019 ./traces, …). Their
// seed corpora run with the ordinary tests, and TestShortFuzz runs a few
// thousand seeded mutations of the seeds through the same checks.

var seeds2019 = []string{
	"HashOwner,HashApp,HashFunction,Trigger,1,2,3\no,a,f,http,1,0,2\no,a,g,timer,0,0,1\n",
	"HashOwner,HashApp,HashFunction,Trigger,480,481\r\no,a,f,http,4303,0\r\n",
	"HashOwner,HashApp,HashFunction,Trigger,1440\no,a,f,queue,7",
	"HashOwner,HashApp,HashFunction,Trigger,1,2\no,a,f,http,1,-2\n",
	"",
}

var seeds2021 = []string{
	"app,func,end_timestamp,duration\na,f,0.07949090003967285,0.078\nb,g,57.15786004066467,57.154\n",
	"app,func,end_timestamp,duration\na,f,1,2\n",
	"app,func,end_timestamp,duration\r\na,f,10,1",
}

var seedsStats = []string{
	strings.Join(durationsHeader, ",") + "\no,a,f,3,137430,0.0,6664.0,0,0,1,1,3,27,492\n",
	strings.Join(memoryAppHeader, ",") + "\no,a,21872,198.0,180.0,183.0,195.0,200.0,204.0,209.0,211.0,378.0\n",
	strings.Join(memoryFuncHeader, ",") + "\nf,o,a,21872,198.0,180.0,183.0,195.0,200.0,204.0,209.0,211.0,378.0\n",
}

var seedsCatalogue = []string{
	"id,name,resolution,fps,seconds,motion,faces,weight\n10,intro,720p,30,5,0.4,1,2\n",
	"width,height,fps,seconds,motion,faces\n1920,1080,60,5,0.9,4\n",
	`[{"resolution":"720p","fps":30,"seconds":5,"motion":0.5,"faces":1}]`,
	`{"clips":[{"id":3,"width":640,"height":360,"fps":24,"seconds":5,"motion":0,"faces":0,"weight":1}]}`,
}

var seedsChange = []string{"10m:resolution=360p", "90s:fps=60,motion=0.9", "1h:faces=0,resolution=*", "0s:resolution=1280x720"}

var seedsSelect = []string{"all", "top:3", "rank:2-4", "trigger:http|timer,sample:2", "func:f", "app:a,top:1"}

// checkErr: an error is a *ParseError or a "traces: " error, and comes
// without a result.
func checkErr(t *testing.T, gotResult bool, err error) {
	t.Helper()
	if gotResult {
		t.Fatalf("a result came with the error %v", err)
	}
	var pe *ParseError
	if !errors.As(err, &pe) && !strings.HasPrefix(err.Error(), "traces: ") {
		t.Fatalf("error %q is neither a ParseError nor prefixed", err)
	}
	if pe != nil && (pe.Line < 1 || pe.Column < 1) {
		t.Fatalf("error %v has no position", err)
	}
}

func check2019(t *testing.T, data []byte) {
	tr, err := ReadAzure2019(bytes.NewReader(data), "f.csv")
	if err != nil {
		checkErr(t, tr != nil, err)
		return
	}
	for i := range tr.Functions {
		f := &tr.Functions[i]
		total, ok := checkRLE(f.counts, tr.Minutes)
		if !ok || total != f.Invocations {
			t.Fatalf("function %d: counts invalid or total %d != %d", i, total, f.Invocations)
		}
	}
	// CSV and Parquet round trips give the same trace.
	var csv, pq bytes.Buffer
	if err := tr.WriteCSV(&csv); err != nil {
		t.Fatal(err)
	}
	back, err := ReadAzure2019(bytes.NewReader(csv.Bytes()), "f.csv")
	if err != nil || !traceEqual(back, tr) {
		t.Fatalf("CSV round trip: %v\n%s", err, csv.Bytes())
	}
	if err := tr.WriteParquet(&pq); err != nil {
		t.Fatal(err)
	}
	back, err = ReadParquet(bytes.NewReader(pq.Bytes()), "f.parquet")
	if err != nil || !traceEqual(back, tr) {
		t.Fatalf("Parquet round trip: %v", err)
	}
}

func check2021(t *testing.T, data []byte) {
	tr, err := ReadAzure2021(bytes.NewReader(data), "f.csv")
	if err != nil {
		checkErr(t, tr != nil, err)
		return
	}
	if !slices.IsSortedFunc(tr.Calls, func(a, b Call) int { return cmpInt64(a.Start, b.Start) }) {
		t.Fatal("calls not sorted")
	}
	for _, c := range tr.Calls {
		if c.Start < 0 || c.Duration < 0 {
			t.Fatalf("call %+v", c)
		}
	}
	var pq bytes.Buffer
	if err := tr.WriteParquet(&pq); err != nil {
		t.Fatal(err)
	}
	back, err := ReadParquet(bytes.NewReader(pq.Bytes()), "f.parquet")
	if err != nil || !traceEqual(back, tr) {
		t.Fatalf("Parquet round trip: %v", err)
	}
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func checkStatsFile(t *testing.T, data []byte) {
	lr, err := newLineReader(bytes.NewReader(data), "s.csv")
	if err != nil {
		checkErr(t, false, err)
		return
	}
	var blocks []*invBlock
	durs, mems := map[string]*durAcc{}, map[string]*memAcc{}
	if err := loadAzure2019Lines(lr, &blocks, durs, mems); err != nil {
		checkErr(t, false, err)
		if len(durs)+len(mems) > 0 {
			t.Fatal("a bad file left statistics behind")
		}
		return
	}
	for _, d := range durs {
		d.result()
	}
	for _, m := range mems {
		m.result()
	}
}

func checkCatalogue(t *testing.T, data []byte) {
	for _, name := range []string{"c.csv", "c.json"} {
		c, err := ParseCatalogue(data, name)
		if err != nil {
			checkErr(t, c != nil, err)
			continue
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("%s: parsed catalogue does not validate: %v", name, err)
		}
	}
}

func checkChange(t *testing.T, s string) {
	c, err := ParseChange(s)
	if err != nil {
		checkErr(t, false, err)
		return
	}
	back, err := ParseChange(c.String())
	if err != nil || back != c {
		t.Fatalf("%q → %q → %+v, %v", s, c.String(), back, err)
	}
}

var selectTrace = func() *Trace {
	tr, err := NewPerMinute(SourceSynthetic, 0, 3, []Function{
		{Owner: "o", App: "a", Name: "f1", Trigger: "http"},
		{Owner: "o", App: "b", Name: "f2", Trigger: "timer"},
		{Owner: "o", App: "a", Name: "g3", Trigger: "queue"},
	}, [][]uint32{{1, 2, 3}, {0, 0, 1}, {5, 0, 0}})
	if err != nil {
		panic(err)
	}
	return tr
}()

func checkSelect(t *testing.T, expr string) {
	idx, err := selectTrace.Select(expr, 1)
	if err != nil {
		checkErr(t, idx != nil, err)
		return
	}
	if len(idx) == 0 || !slices.IsSorted(idx) || slices.Compact(slices.Clone(idx)) == nil || idx[len(idx)-1] >= 3 || idx[0] < 0 {
		t.Fatalf("%q selected %v", expr, idx)
	}
}

func checkParquet(t *testing.T, data []byte) {
	tr, err := ReadParquet(bytes.NewReader(data), "f.parquet")
	if err != nil {
		checkErr(t, tr != nil, err)
		return
	}
	tr.Stats()
	src, err := OpenTrace(tr, Options{Seed: 1, Duration: 5 * MinuteMicros})
	if err == nil {
		collect(src, 1000)
	}
}

func parquetSeeds(tb testing.TB) [][]byte {
	var out [][]byte
	for _, s := range []string{seeds2019[0], seeds2021[0]} {
		var tr *Trace
		var err error
		if strings.HasPrefix(s, "app") {
			tr, err = ReadAzure2021(strings.NewReader(s), "s.csv")
		} else {
			tr, err = ReadAzure2019(strings.NewReader(s), "s.csv")
		}
		if err != nil {
			tb.Fatal(err)
		}
		var b bytes.Buffer
		if err := tr.WriteParquet(&b); err != nil {
			tb.Fatal(err)
		}
		out = append(out, b.Bytes())
	}
	return out
}

func FuzzAzure2019(f *testing.F) {
	for _, s := range seeds2019 {
		f.Add([]byte(s))
	}
	f.Fuzz(check2019)
}

func FuzzAzure2021(f *testing.F) {
	for _, s := range seeds2021 {
		f.Add([]byte(s))
	}
	f.Fuzz(check2021)
}

func FuzzDurationsMemory(f *testing.F) {
	for _, s := range seedsStats {
		f.Add([]byte(s))
	}
	f.Fuzz(checkStatsFile)
}

func FuzzCatalogue(f *testing.F) {
	for _, s := range seedsCatalogue {
		f.Add([]byte(s))
	}
	f.Fuzz(checkCatalogue)
}

func FuzzParseChange(f *testing.F) {
	for _, s := range seedsChange {
		f.Add(s)
	}
	f.Fuzz(checkChange)
}

func FuzzSelect(f *testing.F) {
	for _, s := range seedsSelect {
		f.Add(s)
	}
	f.Fuzz(checkSelect)
}

func FuzzReadParquet(f *testing.F) {
	for _, b := range parquetSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(checkParquet)
}

func FuzzRLE(f *testing.F) {
	f.Add([]byte{2, 4, 7, 0x80, 0x01}, 10)
	f.Add([]byte{1}, 3)
	f.Fuzz(func(t *testing.T, b []byte, minutes int) {
		if minutes < 0 || minutes > 1<<16 {
			return
		}
		ref, refOK := naiveDecode(b, minutes)
		tot, ok := checkRLE(b, minutes)
		if ok != refOK {
			t.Fatalf("checkRLE ok=%v, naive %v", ok, refOK)
		}
		if ok {
			var s int64
			for _, v := range ref {
				s += int64(v)
			}
			if s != tot {
				t.Fatalf("total %d, naive %d", tot, s)
			}
		}
	})
}

// mutate returns a seeded random edit of s: flipped, inserted, deleted or
// duplicated bytes, biased to the characters the formats care about.
func mutate(r *rand.Rand, s []byte) []byte {
	out := slices.Clone(s)
	special := []byte(",\n\r\"-.0123456789ex:=|*[]{}\x00\x80\xff")
	for k := 1 + r.IntN(4); k > 0; k-- {
		var c byte
		if r.IntN(2) == 0 {
			c = special[r.IntN(len(special))]
		} else {
			c = byte(r.IntN(256))
		}
		switch op := r.IntN(4); {
		case len(out) == 0 || op == 0:
			i := r.IntN(len(out) + 1)
			out = slices.Insert(out, i, c)
		case op == 1:
			out[r.IntN(len(out))] = c
		case op == 2:
			i := r.IntN(len(out))
			out = slices.Delete(out, i, min(len(out), i+1+r.IntN(4)))
		default:
			i, j := r.IntN(len(out)), r.IntN(len(out))
			if i > j {
				i, j = j, i
			}
			out = slices.Insert(out, r.IntN(len(out)+1), out[i:j]...)
		}
	}
	return out
}

// TestShortFuzz is the short fuzzing run of the ordinary tests: seeded
// mutations of every seed through every parser's checks.
func TestShortFuzz(t *testing.T) {
	n := 400
	if testing.Short() {
		n = 60
	}
	r := rand.New(rand.NewPCG(42, 0))
	byteChecks := []struct {
		seeds []string
		check func(*testing.T, []byte)
	}{{seeds2019, check2019}, {seeds2021, check2021}, {seedsStats, checkStatsFile}, {seedsCatalogue, checkCatalogue}}
	for _, c := range byteChecks {
		for _, s := range c.seeds {
			for i := 0; i < n; i++ {
				c.check(t, mutate(r, []byte(s)))
			}
		}
	}
	for _, s := range seedsChange {
		for i := 0; i < n; i++ {
			checkChange(t, string(mutate(r, []byte(s))))
		}
	}
	for _, s := range seedsSelect {
		for i := 0; i < n; i++ {
			checkSelect(t, string(mutate(r, []byte(s))))
		}
	}
	for _, b := range parquetSeeds(t) {
		for i := 0; i < n/4; i++ {
			checkParquet(t, mutate(r, b))
		}
	}
}
