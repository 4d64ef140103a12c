package traces

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestAzure2019Totals(t *testing.T) {
	for _, c := range []struct {
		file               string
		functions, minutes int
		firstMinute        int
		invocations        int64
	}{
		{"invocations-500fn-min480-959.csv", 500, 480, 479, 3_037_902},
		{"invocations-10fn-fullday.csv", 10, 1440, 0, 13_037_064},
		{"invocations-9fn-fullday.csv", 9, 1440, 0, 1_061},
	} {
		t.Run(c.file, func(t *testing.T) {
			tr, err := LoadAzure2019(data2019(t, c.file))
			if err != nil {
				t.Fatal(err)
			}
			if got := tr.Invocations(); got != c.invocations {
				t.Errorf("invocations = %d, want %d", got, c.invocations)
			}
			if len(tr.Functions) != c.functions || tr.Minutes != c.minutes || tr.FirstMinute != c.firstMinute {
				t.Errorf("functions, minutes, first minute = %d, %d, %d; want %d, %d, %d",
					len(tr.Functions), tr.Minutes, tr.FirstMinute, c.functions, c.minutes, c.firstMinute)
			}
			// Each function's total is the sum of its decoded counts.
			var sum int64
			for i := range tr.Functions {
				var s int64
				for _, v := range tr.Counts(i) {
					s += int64(v)
				}
				if s != tr.Functions[i].Invocations {
					t.Fatalf("function %d: counts sum to %d, Invocations %d", i, s, tr.Functions[i].Invocations)
				}
				sum += s
			}
			if sum != c.invocations {
				t.Errorf("sum of counts = %d, want %d", sum, c.invocations)
			}
		})
	}
}

func TestAzure2019KnownFunctions(t *testing.T) {
	// The first row of the 9-function full day: an HTTP function called
	// every five minutes from minute 4 on.
	tr, err := LoadAzure2019(data2019(t, "invocations-9fn-fullday.csv"))
	if err != nil {
		t.Fatal(err)
	}
	f := tr.Functions[0]
	if !strings.HasPrefix(f.Name, "520dbd6bd9068400") || f.Trigger != "http" || f.Invocations != 288 {
		t.Fatalf("first function = %s %s %d, want 520dbd6bd9068400… http 288", f.Name, f.Trigger, f.Invocations)
	}
	want := []uint32{0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0}
	if got := tr.Counts(0)[:30]; !slices.Equal(got, want) {
		t.Errorf("minutes 1–30 = %v, want %v", got, want)
	}
	// The busiest function of the 500-function slice.
	tr, err = LoadAzure2019(data2019(t, "invocations-500fn-min480-959.csv"))
	if err != nil {
		t.Fatal(err)
	}
	idx, err := tr.Select("top:1", 0)
	if err != nil {
		t.Fatal(err)
	}
	f = tr.Functions[idx[0]]
	if !strings.HasPrefix(f.Name, "1992918c23cc9224") || f.Trigger != "event" || f.Invocations != 1_915_521 {
		t.Fatalf("busiest = %s %s %d, want 1992918c23cc9224… event 1915521", f.Name, f.Trigger, f.Invocations)
	}
	want = []uint32{4303, 4097, 4172, 3974, 4325, 4209, 3927, 3967, 3311, 3795}
	if got := tr.Counts(idx[0])[:10]; !slices.Equal(got, want) {
		t.Errorf("minutes 480–489 = %v, want %v", got, want)
	}
}

func TestAzure2019Triggers(t *testing.T) {
	tr, err := LoadAzure2019(data2019(t, "invocations-500fn-min480-959.csv"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"timer": 247, "http": 139, "queue": 69, "orchestration": 25, "event": 14, "storage": 5, "others": 1}
	got := tr.Stats().Triggers
	if len(got) != len(want) {
		t.Fatalf("triggers = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("trigger %s: %d functions, want %d", k, got[k], v)
		}
	}
}

func TestAzure2019DurationsAndMemory(t *testing.T) {
	tr, err := LoadAzure2019(data2019(t, "invocations-500fn-min480-959.csv"),
		data2019(t, "durations-500fn.csv"), data2019(t, "memory-500fn-per-function.csv"))
	if err != nil {
		t.Fatal(err)
	}
	find := func(prefix string) *Function {
		for i := range tr.Functions {
			if strings.HasPrefix(tr.Functions[i].Name, prefix) {
				return &tr.Functions[i]
			}
		}
		t.Fatalf("no function %s…", prefix)
		return nil
	}
	// First rows of the durations and memory files.
	d := find("6b6c3f35ccaa762d").Duration
	if d == nil || d.Count != 137430 || d.AverageMs != 3 || d.MaximumMs != 6664 || d.Percentiles != [7]float64{0, 0, 1, 1, 3, 27, 492} {
		t.Errorf("durations = %+v", d)
	}
	m := find("12565e2d8b270177").Memory
	if m == nil || m.Samples != 21872 || m.AverageMB != 198 || m.Percentiles[7] != 378 || m.PerApp {
		t.Errorf("memory = %+v", m)
	}
	n := 0
	for i := range tr.Functions {
		if tr.Functions[i].Duration != nil && tr.Functions[i].Memory != nil {
			n++
		}
	}
	if n != 500 {
		t.Errorf("%d functions have durations and memory, want 500", n)
	}
}

// writeFile writes content under dir, gzipped if the name ends in .gz.
func writeFile(t *testing.T, dir, name string, content []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if strings.HasSuffix(name, ".gz") {
		var b bytes.Buffer
		z := gzip.NewWriter(&b)
		z.Write(content)
		z.Close()
		content = b.Bytes()
	}
	if err := os.WriteFile(p, content, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAzure2019SeveralFiles(t *testing.T) {
	src, err := os.ReadFile(data2019(t, "invocations-9fn-fullday.csv"))
	if err != nil {
		t.Fatal(err)
	}
	one, err := LoadAzure2019(data2019(t, "invocations-9fn-fullday.csv"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	d1 := writeFile(t, dir, "invocations_per_function_md.anon.d01.csv", src)
	d2 := writeFile(t, dir, "invocations_per_function_md.anon.d02.csv.gz", src)
	t.Run("days", func(t *testing.T) {
		// Given out of order: day numbers place them.
		tr, err := LoadAzure2019(d2, d1)
		if err != nil {
			t.Fatal(err)
		}
		if tr.Minutes != 2880 || tr.Invocations() != 2*one.Invocations() || len(tr.Functions) != 9 {
			t.Fatalf("minutes %d, invocations %d, functions %d", tr.Minutes, tr.Invocations(), len(tr.Functions))
		}
		for i := range tr.Functions {
			c, c1 := tr.Counts(i), one.Counts(i)
			if !slices.Equal(c[:1440], c1) || !slices.Equal(c[1440:], c1) {
				t.Fatalf("function %d: days are not the file twice", i)
			}
		}
	})
	t.Run("directory", func(t *testing.T) {
		tr, err := LoadAzure2019(dir)
		if err != nil {
			t.Fatal(err)
		}
		if tr.Minutes != 2880 {
			t.Fatalf("minutes %d, want 2880", tr.Minutes)
		}
	})
	t.Run("gap", func(t *testing.T) {
		d3 := writeFile(t, t.TempDir(), "invocations_per_function_md.anon.d03.csv", src)
		_, err := LoadAzure2019(d1, d3)
		if err == nil || !strings.Contains(err.Error(), "gap") {
			t.Fatalf("err = %v, want a gap error", err)
		}
	})
	t.Run("overlap", func(t *testing.T) {
		d1b := writeFile(t, t.TempDir(), "invocations_per_function_md.anon.d01.csv", src)
		_, err := LoadAzure2019(d1, d1b)
		if err == nil || !strings.Contains(err.Error(), "overlaps") {
			t.Fatalf("err = %v, want an overlap error", err)
		}
	})
	t.Run("slices", func(t *testing.T) {
		// The 500-function slice cut into minutes 480–719 and 720–959,
		// and one half without the busiest function: appended in order
		// they give the slice back, with zeros where a function is absent.
		whole, err := LoadAzure2019(data2019(t, "invocations-500fn-min480-959.csv"))
		if err != nil {
			t.Fatal(err)
		}
		var a, b bytes.Buffer
		dropped := ""
		lines := strings.Split(strings.TrimRight(readString(t, data2019(t, "invocations-500fn-min480-959.csv")), "\n"), "\n")
		for i, l := range lines {
			f := strings.Split(l, ",")
			a.WriteString(strings.Join(append(f[:4:4], f[4:244]...), ",") + "\n")
			if i == 1 {
				dropped = f[2]
				continue
			}
			b.WriteString(strings.Join(append(f[:4:4], f[244:]...), ",") + "\n")
		}
		dir := t.TempDir()
		tr, err := LoadAzure2019(writeFile(t, dir, "a.csv", a.Bytes()), writeFile(t, dir, "b.csv", b.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		if tr.Minutes != 480 || tr.FirstMinute != 479 || len(tr.Functions) != 500 {
			t.Fatalf("minutes %d first %d functions %d", tr.Minutes, tr.FirstMinute, len(tr.Functions))
		}
		for i := range tr.Functions {
			got, want := tr.Counts(i), whole.Counts(i)
			if tr.Functions[i].Name == dropped {
				clear(want[240:])
			}
			if !slices.Equal(got, want) {
				t.Fatalf("function %d differs", i)
			}
		}
	})
}

func readString(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestAzure2019RepeatedRowsAdd(t *testing.T) {
	csv := "HashOwner,HashApp,HashFunction,Trigger,1,2,3\no,a,f,http,1,0,2\no,a,g,timer,0,0,1\no,a,f,http,0,5,1\n"
	tr, err := ReadAzure2019(strings.NewReader(csv), "x.csv")
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Functions) != 2 || !slices.Equal(tr.Counts(0), []uint32{1, 5, 3}) || tr.Functions[0].Invocations != 9 {
		t.Fatalf("functions %d, counts %v", len(tr.Functions), tr.Counts(0))
	}
}

func TestAzure2019Formats(t *testing.T) {
	// CRLF, a byte-order mark, quoted fields, a blank trailing line and a
	// gzip stream are all the same trace.
	plain := "HashOwner,HashApp,HashFunction,Trigger,1,2\no,a,f,http,1,2\n"
	want, err := ReadAzure2019(strings.NewReader(plain), "p.csv")
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	z := gzip.NewWriter(&gz)
	z.Write([]byte(plain))
	z.Close()
	for name, in := range map[string][]byte{
		"crlf.csv":   []byte(strings.ReplaceAll(plain, "\n", "\r\n")),
		"bom.csv":    append([]byte("\xef\xbb\xbf"), plain...),
		"quoted.csv": []byte("HashOwner,HashApp,HashFunction,Trigger,1,2\n\"o\",\"a\",\"f\",\"http\",1,2\n\n"),
		"x.csv.gz":   gz.Bytes(),
		"nogz.csv":   gz.Bytes(), // gzip recognised by its magic number
	} {
		got, err := ReadAzure2019(bytes.NewReader(in), name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		got.Origin = want.Origin
		if !traceEqual(got, want) {
			t.Errorf("%s: %+v, want %+v", name, got.Functions, want.Functions)
		}
	}
}
