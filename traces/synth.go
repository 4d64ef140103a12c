package traces

import (
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// SynthParams are the knobs of the synthetic Azure-like generator. Each
// default is fitted to a statistic of the real 2019 trace; the package
// documentation lists them with their sources.
type SynthParams struct {
	Functions   int // number of functions
	Minutes     int // length of the trace
	StartMinute int // minute of the day the trace starts at (sets the diurnal phase)

	// Triggers: the share of functions per trigger and, for triggers other
	// than "timer", the log-normal distribution of the function's mean rate
	// (invocations per minute): its median and the σ of its logarithm.
	Triggers []TriggerParams

	// Timers fire every period (minutes, weights TimerPeriods) at a random
	// phase aligned to the clock; a period below a minute (1/6 is every 10 s)
	// gives round(1/period) invocations every minute. A share TimerIrregular
	// of timers slip each minute's firing to the next minute with
	// probability TimerSlip.
	TimerPeriods   []Weighted
	TimerIrregular float64
	TimerSlip      float64

	// A share RegularShare of non-timer functions arrive regularly at their
	// drawn rate (as when an outside scheduler calls an HTTP function): every
	// round(1/rate) minutes below one a minute, round(rate) each minute above.
	RegularShare float64

	// A share DiurnalShare of non-timer functions follow a daily cycle
	// 1 + A·cos(2π(t − peak)/1 day), A uniform in DiurnalAmplitude, peak
	// normal around DiurnalPeak (minute of day) with DiurnalSpread minutes
	// of standard deviation.
	DiurnalShare     float64
	DiurnalAmplitude [2]float64
	DiurnalPeak      float64
	DiurnalSpread    float64

	// A share BurstyShare of non-timer functions alternate between calm and
	// burst periods (a two-state Markov chain per minute): bursts last
	// BurstMinutes on average, cover BurstTime of the time, and run at
	// BurstFactor times the calm rate; the function's mean rate is kept.
	BurstyShare  float64
	BurstMinutes float64
	BurstTime    float64
	BurstFactor  float64

	// Dispersion is the shape κ of a Gamma(κ, 1/κ) multiplier drawn every
	// minute for non-timer functions (over-dispersion of minute counts); 0
	// disables it.
	Dispersion float64

	// MaxRate caps any function's rate, invocations per minute.
	MaxRate float64
}

// TriggerParams is one trigger's share and rate distribution.
type TriggerParams struct {
	Trigger    string
	Share      float64
	MedianRate float64 // invocations per minute
	Sigma      float64 // of ln(rate)
}

// Weighted is a value with a relative weight.
type Weighted struct {
	Value, Weight float64
}

// DefaultSynthParams returns the generator's defaults: 500 functions over one
// day from midnight, fitted as the package documentation says.
func DefaultSynthParams() SynthParams {
	return SynthParams{
		Functions: 500,
		Minutes:   1440,
		Triggers: []TriggerParams{
			{"timer", 247.0 / 500, 0, 0},
			{"http", 139.0 / 500, 0.0667, 2.60},
			{"queue", 69.0 / 500, 0.0479, 4.42},
			{"orchestration", 25.0 / 500, 0.177, 2.65},
			{"event", 14.0 / 500, 1.20, 3.50},
			{"storage", 5.0 / 500, 0.0365, 3.26},
			{"others", 1.0 / 500, 0.0365, 3.26},
		},
		TimerPeriods: []Weighted{{1.0 / 60, 1}, {1.0 / 30, 1}, {1.0 / 12, 3}, {1.0 / 6, 4}, {1.0 / 4, 1}, {1.0 / 3, 1},
			{1.0 / 2, 8}, {1, 28}, {2, 9}, {3, 9}, {4, 6}, {5, 55}, {10, 19}, {15, 17}, {20, 3}, {30, 8}, {60, 32},
			{120, 6}, {240, 2}, {1440, 36}},
		TimerIrregular:   0.6,
		TimerSlip:        0.2,
		RegularShare:     0.19,
		DiurnalShare:     0.2,
		DiurnalAmplitude: [2]float64{0.1, 0.4},
		DiurnalPeak:      14 * 60,
		DiurnalSpread:    120,
		BurstyShare:      0.5,
		BurstMinutes:     1.5,
		BurstTime:        0.005,
		BurstFactor:      1000,
		Dispersion:       0,
		MaxRate:          5000,
	}
}

// Validate reports the first invalid parameter.
func (p *SynthParams) Validate() error {
	share := func(name string, v float64) error {
		if math.IsNaN(v) || v < 0 || v > 1 {
			return errorf("synthetic: %s %v must be in [0, 1]", name, v)
		}
		return nil
	}
	weights := func(name string, ws []Weighted) error {
		sum := 0.0
		for _, w := range ws {
			if !(w.Value >= 1.0/3600) || w.Value > 14*1440 || !(w.Weight >= 0) || math.IsInf(w.Weight, 0) {
				return errorf("synthetic: %s entry %+v: value must be in [1/3600, 20160] and weight ≥ 0", name, w)
			}
			sum += w.Weight
		}
		if sum == 0 {
			return errorf("synthetic: %s has no positive weight", name)
		}
		return nil
	}
	switch {
	case p.Functions < 1 || p.Functions > 10_000_000:
		return errorf("synthetic: functions %d must be in 1..10000000", p.Functions)
	case p.Minutes < 1 || p.Minutes > 14*1440*10:
		return errorf("synthetic: minutes %d must be in 1..%d", p.Minutes, 14*1440*10)
	case p.StartMinute < 0 || p.StartMinute >= 1440:
		return errorf("synthetic: start minute %d must be in 0..1439", p.StartMinute)
	case len(p.Triggers) == 0:
		return errorf("synthetic: no triggers")
	case !(p.MaxRate > 0):
		return errorf("synthetic: max rate %v must be positive", p.MaxRate)
	case p.Dispersion < 0 || math.IsNaN(p.Dispersion):
		return errorf("synthetic: dispersion %v must not be negative", p.Dispersion)
	case !(p.BurstMinutes >= 1) || !(p.BurstFactor >= 1):
		return errorf("synthetic: burst minutes %v and factor %v must be at least 1", p.BurstMinutes, p.BurstFactor)
	case p.DiurnalAmplitude[0] < 0 || p.DiurnalAmplitude[1] > 1 || p.DiurnalAmplitude[0] > p.DiurnalAmplitude[1]:
		return errorf("synthetic: diurnal amplitude range %v must be within [0, 1]", p.DiurnalAmplitude)
	case math.IsNaN(p.DiurnalPeak) || math.IsNaN(p.DiurnalSpread) || p.DiurnalSpread < 0:
		return errorf("synthetic: bad diurnal peak %v or spread %v", p.DiurnalPeak, p.DiurnalSpread)
	}
	for _, s := range []struct {
		n string
		v float64
	}{{"timer irregular share", p.TimerIrregular}, {"timer slip", p.TimerSlip}, {"diurnal share", p.DiurnalShare},
		{"bursty share", p.BurstyShare}, {"burst time", p.BurstTime}, {"regular share", p.RegularShare}} {
		if err := share(s.n, s.v); err != nil {
			return err
		}
	}
	if p.BurstTime >= 1 {
		return errorf("synthetic: burst time %v must be below 1", p.BurstTime)
	}
	sum := 0.0
	for _, t := range p.Triggers {
		if t.Trigger == "" || !(t.Share >= 0) || math.IsInf(t.Share, 0) {
			return errorf("synthetic: trigger %+v needs a name and a non-negative share", t)
		}
		if t.Trigger != "timer" && (!(t.MedianRate > 0) || !(t.Sigma >= 0) || math.IsInf(t.Sigma, 0) || math.IsInf(t.MedianRate, 0)) {
			return errorf("synthetic: trigger %q: median rate %v must be positive and sigma %v non-negative", t.Trigger, t.MedianRate, t.Sigma)
		}
		sum += t.Share
	}
	if sum == 0 {
		return errorf("synthetic: trigger shares are all zero")
	}
	return weights("timer periods", p.TimerPeriods)
}

// ParseSynthSpec applies "key=value,…" settings (functions, minutes, start)
// to p, as in the workload spec "synthetic:functions=100,minutes=60".
func (p *SynthParams) ParseSynthSpec(s string) error {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if !ok || err != nil {
			return errorf("synthetic: %q: want key=integer (functions, minutes, start)", kv)
		}
		switch strings.TrimSpace(k) {
		case "functions":
			p.Functions = n
		case "minutes":
			p.Minutes = n
		case "start":
			p.StartMinute = n
		default:
			return errorf("synthetic: unknown setting %q (want functions, minutes or start)", k)
		}
	}
	return p.Validate()
}

func pick(r *rand.Rand, ws []Weighted) float64 {
	sum := 0.0
	for _, w := range ws {
		sum += w.Weight
	}
	u := r.Float64() * sum
	for _, w := range ws {
		if u < w.Weight {
			return w.Value
		}
		u -= w.Weight
	}
	return ws[len(ws)-1].Value
}

// Synthesize generates a per-minute trace. Each function draws its parameters
// and its counts from its own random stream, so function i is the same
// whatever the number of functions. Every function is invoked at least once
// (as every function listed in an Azure trace was): one whose draws are all
// zero gets a single invocation at a random minute.
func Synthesize(p SynthParams, seed uint64) (*Trace, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	t := &Trace{Source: SourceSynthetic, Kind: PerMinute, FirstMinute: p.StartMinute, Minutes: p.Minutes,
		Functions: make([]Function, p.Functions),
		Origin:    []string{fmt.Sprintf("synthetic seed=%d functions=%d minutes=%d start=%d", seed, p.Functions, p.Minutes, p.StartMinute)}}
	trig := make([]Weighted, len(p.Triggers))
	for i, tp := range p.Triggers {
		trig[i] = Weighted{Value: float64(i), Weight: tp.Share}
	}
	appName := func(a int) string {
		r := newRand(seed, streamSynth, uint64(a))
		return hash64(r)
	}
	for i := range t.Functions {
		r := newRand(seed, streamSynthFn, uint64(i))
		tp := p.Triggers[int(pick(r, trig))]
		f := &t.Functions[i]
		f.Name = hash64(r)
		f.App = appName(i / 2)
		f.Owner = f.App
		f.Trigger = tp.Trigger
		var e rleEncoder
		if tp.Trigger == "timer" {
			p.timer(r, &e)
		} else {
			p.series(r, tp, &e)
		}
		if e.total == 0 {
			m := r.IntN(p.Minutes)
			e = rleEncoder{}
			e.addZeros(m)
			e.add(1)
		}
		f.counts, f.Invocations = e.buf, e.total
	}
	return t, nil
}

func hash64(r *rand.Rand) string {
	var b [32]byte
	for k := 0; k < 4; k++ {
		v := r.Uint64()
		for j := 0; j < 8; j++ {
			b[k*8+j] = byte(v >> (8 * j))
		}
	}
	return hex.EncodeToString(b[:])
}

func (p *SynthParams) timer(r *rand.Rand, e *rleEncoder) {
	pv := pick(r, p.TimerPeriods)
	period, batch := int(math.Round(pv)), uint32(1)
	if pv < 1 {
		period, batch = 1, uint32(math.Round(1/pv))
	}
	phase := r.IntN(period)
	slip := 0.0
	if r.Float64() < p.TimerIrregular {
		slip = p.TimerSlip
	}
	late := false // the previous firing slipped into this minute
	for m := 0; m < p.Minutes; m++ {
		c := uint32(0)
		if late {
			c += batch
			late = false
		}
		if (p.StartMinute+m-phase)%period == 0 {
			if slip > 0 && r.Float64() < slip {
				late = true
			} else {
				c += batch
			}
		}
		e.add(c)
	}
}

func (p *SynthParams) series(r *rand.Rand, tp TriggerParams, e *rleEncoder) {
	rate := math.Min(tp.MedianRate*math.Exp(tp.Sigma*r.NormFloat64()), p.MaxRate)
	if r.Float64() < p.RegularShare {
		period, batch := 1, uint32(math.Max(1, math.Round(rate)))
		if rate < 1 {
			period = int(math.Min(math.Round(1/rate), 1440))
		}
		phase := r.IntN(period)
		for m := 0; m < p.Minutes; m++ {
			if (p.StartMinute+m-phase)%period == 0 {
				e.add(batch)
			} else {
				e.add(0)
			}
		}
		return
	}
	amp, peak := 0.0, 0.0
	if r.Float64() < p.DiurnalShare {
		amp = p.DiurnalAmplitude[0] + r.Float64()*(p.DiurnalAmplitude[1]-p.DiurnalAmplitude[0])
		peak = p.DiurnalPeak + p.DiurnalSpread*r.NormFloat64()
	}
	bursty := r.Float64() < p.BurstyShare
	calm, hot := rate, rate
	var pOff, pOn float64
	on := false
	if bursty {
		// Keep the mean: q·hot + (1−q)·calm = rate with hot = B·calm.
		q, b := p.BurstTime, p.BurstFactor
		calm = rate / (q*b + 1 - q)
		hot = b * calm
		pOff = 1 / p.BurstMinutes
		pOn = q / (1 - q) * pOff
		on = r.Float64() < q
	}
	for m := 0; m < p.Minutes; m++ {
		lam := calm
		if bursty {
			if on {
				lam = hot
				on = r.Float64() >= pOff
			} else {
				on = r.Float64() < pOn
			}
		}
		if amp > 0 {
			lam *= 1 + amp*math.Cos(2*math.Pi*(float64(p.StartMinute+m)-peak)/1440)
		}
		if p.Dispersion > 0 {
			lam *= gamma(r, p.Dispersion) / p.Dispersion
		}
		e.add(uint32(poisson(r, math.Min(lam, p.MaxRate))))
	}
}
