package platform

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/confignav/confignav/internal/yamljson"
)

// Version is the profile format version this package reads and writes.
const Version = 1

// Profile is the whole platform model.
type Profile struct {
	Version     int               `json:"version"`
	Name        string            `json:"name"`
	Arch        string            `json:"arch"` // x86_64 or arm64: selects the price
	Memory      Memory            `json:"memory"`
	CPU         CPU               `json:"cpu"`
	Price       Price             `json:"price"`
	ColdStart   ColdStart         `json:"cold_start"`
	KeepAliveS  float64           `json:"keep_alive_s"`
	Concurrency Concurrency       `json:"concurrency"`
	Network     Network           `json:"network"`
	LocalIO     []Point           `json:"local_io_mib_per_s"` // ephemeral storage throughput by memory
	Hop         Hop               `json:"orchestration"`
	Noise       Noise             `json:"noise"`
	Pressure    Pressure          `json:"memory_pressure"`
	TimeoutS    float64           `json:"default_timeout_s"`
	Extra       map[string]string `json:"notes,omitempty"`
	// Sources says where each knob's default comes from (knob path →
	// citation or "assumption: …"); a profile written for another platform
	// should say where its numbers come from too.
	Sources map[string]string `json:"sources,omitempty"`
}

// Memory is the valid memory range and the tuning grid.
type Memory struct {
	MinMB      int `json:"min_mb"`
	MaxMB      int `json:"max_mb"`
	GridMinMB  int `json:"grid_min_mb"`
	GridMaxMB  int `json:"grid_max_mb"`
	GridStepMB int `json:"grid_step_mb"`
}

// CPU is the CPU share rule: memory/MBPerVCPU vCPUs, at most MaxVCPU, and
// the number of cores a function sees (nproc, /proc/cpuinfo), which steps
// with memory while the share grows linearly.
type CPU struct {
	MBPerVCPU float64 `json:"mb_per_vcpu"`
	MaxVCPU   float64 `json:"max_vcpu"`
	// VisibleCores lists, in ascending memory, the largest memory size with
	// each core count: a size gets the cores of the first step at or above it.
	VisibleCores []CoreStep `json:"visible_cores"`
}

// CoreStep is one step of the visible-core table: sizes up to UpToMB see Cores.
type CoreStep struct {
	UpToMB int `json:"up_to_mb"`
	Cores  int `json:"cores"`
}

// Price is the billing model.
type Price struct {
	X86PerGBSecond   float64 `json:"x86_per_gb_second"`
	ArmPerGBSecond   float64 `json:"arm64_per_gb_second"`
	PerRequest       float64 `json:"per_request"`
	GranularityMs    int64   `json:"granularity_ms"`
	BilledInit       bool    `json:"billed_init"`
	ArmSpeedRelative float64 `json:"arm64_speed_relative"` // arm64 CPU work runs at this speed relative to x86
}

// LogNormal is a distribution given by its median and the standard deviation
// of its logarithm.
type LogNormal struct {
	MedianMs float64 `json:"median_ms"`
	Sigma    float64 `json:"sigma"`
}

// ColdStart is the cold-start model: runtime init (REPORT's Init Duration) by
// runtime family, plus time per MB of deployment package, plus a sandbox
// set-up the user sees as latency but Lambda does not report.
type ColdStart struct {
	Runtimes       map[string]LogNormal `json:"runtimes"`
	PackageMsPerMB float64              `json:"package_ms_per_mb"`
	Sandbox        LogNormal            `json:"sandbox"`
	// FirstInvocationSlowdown multiplies the first invocation's execution in a
	// new environment (lazy loading, cold caches, JIT warm-up).
	FirstInvocationSlowdown float64 `json:"first_invocation_slowdown"`
}

// Concurrency is the account and per-function scaling limits and the retry
// policy of the orchestrator on throttling.
type Concurrency struct {
	Account          int     `json:"account"`
	ScaleUpPerWindow int     `json:"scale_up_per_function"`
	ScaleUpWindowS   float64 `json:"scale_up_window_s"`
	Retries          int     `json:"throttle_retries"`
	RetryBaseMs      float64 `json:"retry_base_ms"`
	RetryBackoff     float64 `json:"retry_backoff"`
}

// Network is the S3/network model.
type Network struct {
	Bandwidth        []Point `json:"bandwidth_mib_per_s"` // by memory MB, linear between points, flat outside
	RequestLatencyMs float64 `json:"request_latency_ms"`  // per S3 object get/put
	PacketCPUUs      float64 `json:"packet_cpu_us"`       // CPU per packet at 1 vCPU
	MTUBytes         float64 `json:"mtu_bytes"`
}

// Point is one (memory, value) pair of a piecewise-linear table.
type Point struct {
	MB    float64 `json:"mb"`
	Value float64 `json:"value"`
}

// Hop is the orchestration latency between pipeline stages.
type Hop struct {
	MeanMs   float64 `json:"mean_ms"`
	JitterMs float64 `json:"jitter_ms"` // uniform ± jitter
}

// Noise is the per-invocation variability.
type Noise struct {
	Sigma             float64 `json:"sigma"`              // log-normal multiplicative noise
	EnvSpeedSigma     float64 `json:"env_speed_sigma"`    // per-environment speed (host heterogeneity)
	InterferenceProb  float64 `json:"interference_prob"`  // chance an invocation meets a noisy neighbour
	InterferenceAlpha float64 `json:"interference_alpha"` // Pareto tail index of the slowdown
	InterferenceMax   float64 `json:"interference_max"`   // cap on the slowdown factor
	DriftAmplitude    float64 `json:"drift_amplitude"`    // "traffic tide": relative amplitude
	DriftPeriodS      float64 `json:"drift_period_s"`
	MeasureSigma      float64 `json:"profile_sigma"` // noise of a profiling measurement
}

// Pressure is the slowdown when memory is close to the working set: below
// Knee × working set, CPU work slows by 1 + Strength·((Knee − r)/(Knee − 1))²
// where r = memory / working set; below 1 the invocation runs out of memory.
type Pressure struct {
	Knee     float64 `json:"knee"`
	Strength float64 `json:"strength"`
}

// Default returns the AWS Lambda profile of DESIGN.md §3 as billed today
// (us-east-1, x86_64, INIT billed). Sources gives the origin of every number.
func Default() *Profile {
	return &Profile{
		Version: Version,
		Name:    "aws-lambda-us-east-1-2026",
		Arch:    "x86_64",
		Memory:  Memory{MinMB: 128, MaxMB: 10240, GridMinMB: 128, GridMaxMB: 4096, GridStepMB: 128},
		CPU: CPU{MBPerVCPU: 1769, MaxVCPU: 6, VisibleCores: []CoreStep{
			{UpToMB: 3008, Cores: 2}, {UpToMB: 5307, Cores: 3}, {UpToMB: 7076, Cores: 4},
			{UpToMB: 8845, Cores: 5}, {UpToMB: 10240, Cores: 6}}},
		Price: Price{
			X86PerGBSecond: 0.0000166667, ArmPerGBSecond: 0.0000133334,
			PerRequest: 0.20 / 1e6, GranularityMs: 1, ArmSpeedRelative: 1, BilledInit: true,
		},
		ColdStart: ColdStart{
			Runtimes:                DefaultRuntimes(),
			PackageMsPerMB:          2.0,
			Sandbox:                 LogNormal{MedianMs: 80, Sigma: 0.3},
			FirstInvocationSlowdown: 1.25,
		},
		KeepAliveS: 600,
		Concurrency: Concurrency{
			Account: 1000, ScaleUpPerWindow: 1000, ScaleUpWindowS: 10,
			Retries: 5, RetryBaseMs: 1000, RetryBackoff: 2,
		},
		Network: Network{
			Bandwidth:        []Point{{128, 75}, {10240, 75}},
			RequestLatencyMs: 25, PacketCPUUs: 2, MTUBytes: 1448,
		},
		LocalIO:  []Point{{128, 120}, {1024, 300}, {1769, 400}},
		Hop:      Hop{MeanMs: 21, JitterMs: 10},
		Noise:    Noise{Sigma: 0.05, EnvSpeedSigma: 0.03, InterferenceProb: 0.02, InterferenceAlpha: 2.5, InterferenceMax: 3.5, DriftAmplitude: 0.04, DriftPeriodS: 6 * 3600, MeasureSigma: 0.03},
		Pressure: Pressure{Knee: 1.5, Strength: 0.6},
		TimeoutS: 900,
		Sources:  DefaultSources(),
	}
}

// DefaultSources cites every default of Default, knob by knob. "Assumption"
// marks numbers no public measurement was found for; they are the first a
// user with an account should replace (cnav live validate, cnav calibrate).
func DefaultSources() map[string]string {
	return map[string]string{
		"memory":                      "AWS Lambda Developer Guide, \"Configure Lambda function memory\" (128–10,240 MB in 1-MB steps), https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html; grid 128–4,096 step 128: the paper §3.1",
		"cpu.mb_per_vcpu":             "AWS Lambda Developer Guide: \"At 1,769 MB, a function has the equivalent of one vCPU (one vCPU-second of credits per second)\", same page; linear in memory",
		"cpu.max_vcpu":                "AWS News Blog, \"New for AWS Lambda – Functions with Up to 10 GB of Memory and 6 vCPUs\", 1 Dec 2020 (the credit at 10,240 MB is 5.79 vCPU; the cap never binds)",
		"cpu.visible_cores":           "Sentia (L. van Donkersgoed), \"AWS re:Invent 2020 Day 3: Optimizing Lambda Cost with Multi-Threading\", 6 Dec 2020 (128–3,008 MB: 2 cores, 3,009–5,307: 3, 5,308–7,076: 4, 7,077–8,845: 5, 8,846–10,240: 6); the same table measured by github.com/rwnx/lambda-cpuinfo; Go sees NumCPU = 2 (aws/aws-sdk-go#1793, 2018). No public measurement shows runtime steps at these boundaries: a function's threads follow the visible cores (fnmodel AutoThreads) and its CPU follows the share",
		"price":                       "AWS News Blog, \"New for AWS Lambda – 1ms Billing Granularity Adds Cost Savings\", 1 Dec 2020 ($0.0000166667 per GB-s x86, $0.20 per 1M requests, us-east-1, 1 ms rounding); arm64 20 % lower: AWS News Blog, Graviton2 for Lambda, 29 Sep 2021",
		"price.billed_init":           "AWS Compute Blog, \"AWS Lambda standardizes billing for INIT Phase\" (S. Gupta, J. Gebhart), Apr 2025: INIT billed for on-demand ZIP functions on managed runtimes from 1 August 2025 (the named profile paper-2025 keeps the earlier rule)",
		"cold_start.runtimes":         "maxday/lambda-perf daily measurements, 2026-08-22 (cnav platform calibrate; ../shared/data/lambda-perf)",
		"cold_start.other":            "assumption: package load 2 ms per MB, sandbox set-up median 80 ms (σ 0.3) and a first-invocation slowdown of 1.25 are not published per function; the paper §2.2 reports cold-start spikes up to 213 %",
		"keep_alive_s":                "assumption: 10 minutes, the value DESIGN.md §3 takes from idle-reclaim measurements 2019–2022 (e.g. Wang et al., \"Peeking Behind the Curtains of Serverless Platforms\", USENIX ATC 2018); not re-verified here against a primary source",
		"concurrency":                 "AWS Lambda Developer Guide, \"Lambda scaling behavior\" (1,000 concurrent executions per account by default; 1,000 new environments per function every 10 s since Nov 2023)",
		"network.request_latency_ms":  "github.com/blacha/s3-response-time, response-times.csv: Go client, 2,048 MB, us-east-1, 64 KB GET median 24.5 ms (n = 50), Go at 128 MB 21.5 ms (ap-southeast-2, n = 20); AWS whitepaper \"Best Practices Design Patterns: Optimizing Amazon S3 Performance\" (2019): median latencies for requests under 512 KB \"often in the tens of milliseconds\". PUT assumed equal",
		"network.packet_cpu_us":       "assumption, consistent with blacha/s3-response-time: the Go client's 64 KB GET is no slower at 128 MB (0.07 vCPU) than at 2,048 MB, so per-packet CPU is at most a few µs; Node.js at 128 MB takes 108 ms (client CPU)",
		"network.bandwidth_mib_per_s": "assumption, weakly sourced: no published per-stream S3 throughput by memory size was found; a practitioner's report gives 400–700 Mbit/s (48–83 MiB/s) effective for large S3 downloads from one Lambda function; 75 MiB/s per stream at every size, with small sizes slowed by the per-packet CPU. Candidate source to replace it: Bodner et al., \"An Empirical Evaluation of Serverless Cloud Infrastructure for Large-Scale Data Processing\", arXiv 2501.07771 (2025)",
		"orchestration":               "Step Functions Express → Lambda task overhead: mean 24.1 ms (SD 10.7) and 17.6 ms (SD 5.4), 100 executions each, 128 MB, us-east-2, Jan 2020 (experiment notebook StepFunctionsDelay.ipynb of Lin & Khazaei, \"Modeling and Optimization of Performance and Cost of Serverless Applications\", IEEE TPDS 2021); mean 21 ms, uniform ±10 ms (SD 5.8)",
		"local_io_mib_per_s":          "assumption: no published /tmp throughput by memory size; used only by the synthetic training functions (the calibrated functions' local I/O is inside their measured time)",
		"noise":                       "the paper §2.2 (multi-tenant interference, \"traffic tide\" drift); magnitudes chosen, not measured. The real functions' run-to-run spread measured locally is 1–15 % (log SD, cnav calibrate)",
		"memory_pressure":             "assumption: slowdown near the memory limit (knee 1.5 × working set); the measured small-quota slowdowns are fitted per function (fnmodel SmallQuota)",
		"default_timeout_s":           "AWS Lambda quotas: 900 s maximum",
	}
}

// Named returns a built-in profile by name: "aws-lambda" (Default, billed as
// today) or "paper-2025" (the rule the paper ran under: INIT not billed for
// managed runtimes, before 1 August 2025).
func Named(name string) (*Profile, bool) {
	switch name {
	case "aws-lambda", "default", Default().Name:
		return Default(), true
	case "paper-2025":
		p := Default()
		p.Name = "paper-2025"
		p.Price.BilledInit = false
		p.Sources["price.billed_init"] = "the paper's evaluation ran before 1 August 2025, when on-demand managed-runtime functions' INIT phase was not billed"
		return p, true
	}
	return nil, false
}

// Names lists the built-in profiles Named knows.
func Names() []string { return []string{"aws-lambda", "paper-2025"} }

// Parse reads a profile from JSON or YAML. Fields not given keep their
// defaults, so a file may override a single knob.
func Parse(data []byte) (*Profile, error) {
	p := Default()
	js, err := yamljson.ToJSON(data)
	if err != nil {
		return nil, fmt.Errorf("platform: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(p); err != nil {
		return nil, fmt.Errorf("platform: %w", err)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

// JSON returns the profile as indented JSON, the format Parse reads.
func (p *Profile) JSON() []byte {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		panic(err) // the profile has only plain fields
	}
	return append(b, '\n')
}

// Validate reports the first knob that is out of range.
func (p *Profile) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("platform: "+format, args...)) }
	num := func(name string, v, lo, hi float64) {
		if math.IsNaN(v) || v < lo || v > hi {
			bad("%s = %v, want a number in [%v, %v]", name, v, lo, hi)
		}
	}
	if p.Version != Version {
		bad("version %d, this build reads version %d", p.Version, Version)
	}
	if p.Arch != "x86_64" && p.Arch != "arm64" {
		bad("arch %q, want x86_64 or arm64", p.Arch)
	}
	m := p.Memory
	if m.MinMB < 1 || m.MaxMB < m.MinMB {
		bad("memory range [%d, %d] MB is empty", m.MinMB, m.MaxMB)
	}
	if m.GridStepMB < 1 || m.GridMinMB < m.MinMB || m.GridMaxMB > m.MaxMB || m.GridMaxMB < m.GridMinMB {
		bad("memory grid %d..%d step %d must lie inside [%d, %d] MB", m.GridMinMB, m.GridMaxMB, m.GridStepMB, m.MinMB, m.MaxMB)
	}
	num("cpu.mb_per_vcpu", p.CPU.MBPerVCPU, 1, 1e6)
	num("cpu.max_vcpu", p.CPU.MaxVCPU, 0.01, 1024)
	if len(p.CPU.VisibleCores) == 0 {
		bad("cpu.visible_cores is empty")
	}
	for i, st := range p.CPU.VisibleCores {
		if st.Cores < 1 || st.Cores > 1024 || (i > 0 && (st.UpToMB <= p.CPU.VisibleCores[i-1].UpToMB || st.Cores < p.CPU.VisibleCores[i-1].Cores)) {
			bad("cpu.visible_cores[%d] = {%d MB, %d cores}: memory must increase, cores be 1..1024 and not decrease", i, st.UpToMB, st.Cores)
		}
	}
	if n := len(p.CPU.VisibleCores); n > 0 && p.CPU.VisibleCores[n-1].UpToMB < m.MaxMB {
		bad("cpu.visible_cores ends at %d MB, below the largest memory size %d MB", p.CPU.VisibleCores[n-1].UpToMB, m.MaxMB)
	}
	num("price.x86_per_gb_second", p.Price.X86PerGBSecond, 0, 1)
	num("price.arm64_per_gb_second", p.Price.ArmPerGBSecond, 0, 1)
	num("price.per_request", p.Price.PerRequest, 0, 1)
	num("price.arm64_speed_relative", p.Price.ArmSpeedRelative, 0.1, 10)
	if p.Price.GranularityMs < 1 {
		bad("price.granularity_ms = %d, want at least 1", p.Price.GranularityMs)
	}
	if len(p.ColdStart.Runtimes) == 0 {
		bad("cold_start.runtimes is empty")
	}
	for _, name := range sortedKeys(p.ColdStart.Runtimes) {
		r := p.ColdStart.Runtimes[name]
		num("cold_start.runtimes."+name+".median_ms", r.MedianMs, 0, 600000)
		num("cold_start.runtimes."+name+".sigma", r.Sigma, 0, 5)
	}
	num("cold_start.package_ms_per_mb", p.ColdStart.PackageMsPerMB, 0, 1e4)
	num("cold_start.sandbox.median_ms", p.ColdStart.Sandbox.MedianMs, 0, 600000)
	num("cold_start.sandbox.sigma", p.ColdStart.Sandbox.Sigma, 0, 5)
	num("cold_start.first_invocation_slowdown", p.ColdStart.FirstInvocationSlowdown, 1, 100)
	num("keep_alive_s", p.KeepAliveS, 0, 7*24*3600)
	c := p.Concurrency
	if c.Account < 1 || c.ScaleUpPerWindow < 1 || c.Retries < 0 {
		bad("concurrency: account %d and scale_up_per_function %d must be at least 1, throttle_retries %d not negative", c.Account, c.ScaleUpPerWindow, c.Retries)
	}
	num("concurrency.scale_up_window_s", c.ScaleUpWindowS, 0.001, 86400)
	num("concurrency.retry_base_ms", c.RetryBaseMs, 0, 3.6e6)
	num("concurrency.retry_backoff", c.RetryBackoff, 1, 100)
	checkTable := func(name string, t []Point) {
		if len(t) == 0 {
			bad("%s is empty", name)
		}
		for i, pt := range t {
			if math.IsNaN(pt.MB) || math.IsNaN(pt.Value) || pt.Value <= 0 || (i > 0 && pt.MB <= t[i-1].MB) {
				bad("%s[%d] = {%v MB, %v}: memory must increase and values be positive", name, i, pt.MB, pt.Value)
			}
		}
	}
	checkTable("network.bandwidth_mib_per_s", p.Network.Bandwidth)
	checkTable("local_io_mib_per_s", p.LocalIO)
	num("network.request_latency_ms", p.Network.RequestLatencyMs, 0, 1e5)
	num("network.packet_cpu_us", p.Network.PacketCPUUs, 0, 1e5)
	num("network.mtu_bytes", p.Network.MTUBytes, 1, 1e6)
	num("orchestration.mean_ms", p.Hop.MeanMs, 0, 1e6)
	num("orchestration.jitter_ms", p.Hop.JitterMs, 0, p.Hop.MeanMs)
	n := p.Noise
	num("noise.sigma", n.Sigma, 0, 2)
	num("noise.env_speed_sigma", n.EnvSpeedSigma, 0, 2)
	num("noise.interference_prob", n.InterferenceProb, 0, 1)
	num("noise.interference_alpha", n.InterferenceAlpha, 0.1, 100)
	num("noise.interference_max", n.InterferenceMax, 1, 1000)
	num("noise.drift_amplitude", n.DriftAmplitude, 0, 0.9)
	num("noise.drift_period_s", n.DriftPeriodS, 1, 1e9)
	num("noise.profile_sigma", n.MeasureSigma, 0, 2)
	num("memory_pressure.knee", p.Pressure.Knee, 1, 100)
	num("memory_pressure.strength", p.Pressure.Strength, 0, 100)
	num("default_timeout_s", p.TimeoutS, 0.001, 900)
	return errors.Join(errs...)
}

// CheckMemory reports whether mb is a memory size the platform accepts.
func (p *Profile) CheckMemory(mb int) error {
	if mb < p.Memory.MinMB || mb > p.Memory.MaxMB {
		return fmt.Errorf("platform: memory %d MB is out of range: valid sizes are %d–%d MB", mb, p.Memory.MinMB, p.Memory.MaxMB)
	}
	return nil
}

// Grid returns the tuning grid (the paper's 32 sizes, 128–4,096 MB).
func (p *Profile) Grid() []int {
	var g []int
	for m := p.Memory.GridMinMB; m <= p.Memory.GridMaxMB; m += p.Memory.GridStepMB {
		g = append(g, m)
	}
	return g
}

// VCPU is the CPU share, in vCPUs, of a function with mb of memory.
func (p *Profile) VCPU(mb int) float64 {
	return math.Min(float64(mb)/p.CPU.MBPerVCPU, p.CPU.MaxVCPU)
}

// VisibleCores is the number of cores a function with mb of memory sees.
func (p *Profile) VisibleCores(mb int) int {
	for _, st := range p.CPU.VisibleCores {
		if mb <= st.UpToMB {
			return st.Cores
		}
	}
	return p.CPU.VisibleCores[len(p.CPU.VisibleCores)-1].Cores
}

// PricePerGBSecond is the compute price of the profile's architecture.
func (p *Profile) PricePerGBSecond() float64 {
	if p.Arch == "arm64" {
		return p.Price.ArmPerGBSecond
	}
	return p.Price.X86PerGBSecond
}

// BilledMs rounds a duration (µs) up to the billing granularity.
func (p *Profile) BilledMs(durationUs int64) int64 {
	g := p.Price.GranularityMs * 1000
	if durationUs <= 0 {
		return 0
	}
	return (durationUs + g - 1) / g * p.Price.GranularityMs
}

// Cost is the price of one invocation of billedMs at mb, request fee included.
func (p *Profile) Cost(billedMs int64, mb int) float64 {
	return float64(billedMs)/1000*float64(mb)/1024*p.PricePerGBSecond() + p.Price.PerRequest
}

// Interp evaluates a piecewise-linear table at mb (flat outside its range).
func Interp(t []Point, mb float64) float64 {
	i := sort.Search(len(t), func(i int) bool { return t[i].MB >= mb })
	switch {
	case i == 0:
		return t[0].Value
	case i == len(t):
		return t[len(t)-1].Value
	}
	a, b := t[i-1], t[i]
	return a.Value + (b.Value-a.Value)*(mb-a.MB)/(b.MB-a.MB)
}

// BandwidthBytesPerUs is the network bandwidth at mb in bytes per microsecond.
func (p *Profile) BandwidthBytesPerUs(mb int) float64 {
	return Interp(p.Network.Bandwidth, float64(mb)) * (1 << 20) / 1e6
}

// LocalIOBytesPerUs is the ephemeral-storage throughput at mb in bytes per µs.
func (p *Profile) LocalIOBytesPerUs(mb int) float64 {
	return Interp(p.LocalIO, float64(mb)) * (1 << 20) / 1e6
}

// Runtime returns the cold-start distribution of a runtime family.
func (p *Profile) Runtime(name string) (LogNormal, error) {
	r, ok := p.ColdStart.Runtimes[name]
	if !ok {
		return LogNormal{}, fmt.Errorf("platform: unknown runtime %q (known: %v)", name, sortedKeys(p.ColdStart.Runtimes))
	}
	return r, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
