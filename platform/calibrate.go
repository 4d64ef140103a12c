package platform

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
)

// perfCase is one entry of a lambda-perf daily file (maxday/lambda-perf).
type perfCase struct {
	Runtime string    `json:"d"`
	Package string    `json:"p"`
	Samples []float64 `json:"i"`
	Memory  int       `json:"m"`
	Arch    string    `json:"a"`
}

// Family maps a lambda-perf runtime label ("python3.12", "go (prov.al2023)",
// "dotnet8 aot (prov.al2023)") to the runtime family used in profiles and
// function specs ("python", "go", "dotnet-aot"). Versions within a family are
// pooled: function specs name a language, not a minor version.
func Family(label string) string {
	fields := strings.Fields(label)
	if len(fields) == 0 {
		return ""
	}
	head := fields[0]
	if i := strings.Index(head, ".al"); i >= 0 {
		head = head[:i] // "java8.al2"
	}
	head = strings.TrimRight(head, "0123456789.x")
	switch head {
	case "c++":
		head = "cpp"
	case "apple":
		head = "swift"
	}
	if len(fields) > 1 && fields[1] == "aot" {
		head += "-aot"
	}
	return head
}

// Calibrate fits a log-normal init-duration distribution per runtime family
// to a lambda-perf file, using zip packages on both architectures and every
// memory size (the data shows no memory dependence of Init Duration for these
// minimal functions: medians at 128 and 1,024 MB agree within a few percent).
// The median is the sample median; sigma is the standard deviation of the log
// samples.
func Calibrate(data []byte) (map[string]LogNormal, error) {
	var file struct {
		RuntimeData []perfCase `json:"runtimeData"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		return nil, fmt.Errorf("platform: lambda-perf data: %w", err)
	}
	if len(file.RuntimeData) == 0 {
		return nil, fmt.Errorf("platform: lambda-perf data has no runtimeData entries")
	}
	samples := map[string][]float64{}
	for i, c := range file.RuntimeData {
		if c.Package != "zip" {
			continue
		}
		fam := Family(c.Runtime)
		if fam == "" {
			return nil, fmt.Errorf("platform: lambda-perf entry %d has no runtime label", i)
		}
		for _, s := range c.Samples {
			if !(s > 0) || math.IsInf(s, 0) {
				return nil, fmt.Errorf("platform: lambda-perf entry %d (%s): init sample %v is not a positive number", i, c.Runtime, s)
			}
			samples[fam] = append(samples[fam], s)
		}
	}
	out := make(map[string]LogNormal, len(samples))
	for fam, xs := range samples {
		sort.Float64s(xs)
		med := xs[len(xs)/2]
		if len(xs)%2 == 0 {
			med = (xs[len(xs)/2-1] + xs[len(xs)/2]) / 2
		}
		var mean, ss float64
		for _, x := range xs {
			mean += math.Log(x)
		}
		mean /= float64(len(xs))
		for _, x := range xs {
			d := math.Log(x) - mean
			ss += d * d
		}
		sigma := 0.0
		if len(xs) > 1 {
			sigma = math.Sqrt(ss / float64(len(xs)-1))
		}
		out[fam] = LogNormal{MedianMs: round(med, 1), Sigma: round(sigma, 3)}
	}
	return out, nil
}

func round(x float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}
