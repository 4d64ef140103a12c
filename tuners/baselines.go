package tuners

import (
	"github.com/confignav/confignav/baselines"
	"github.com/confignav/confignav/tuner"
)

// The ported baselines (../shared/BASELINES.md); none needs Deps.
func init() {
	fixed := func(name, summary string, t tuner.Tuner) {
		register(name, summary, func(Deps) (tuner.Tuner, error) { return t, nil })
	}
	fixed("charmseeker", "CharmSeeker: per-stage sequential BO, cost step then budget splits, Cartesian pick; 20 evaluations per stage, each the stage invoked alone (12 for 5+ stages)",
		baselines.CharmSeeker{})
	fixed("aquatope", "Aquatope as published: batch qNEI BO, 10 + 20×3 pipeline runs, outlier filter; keeps the code's defects",
		baselines.Aquatope{})
	fixed("aquatope-fixed", "Aquatope with its code's defects corrected (infeasible cost, fitted LOO GP, std, unpenalised filter)",
		baselines.Aquatope{Fixed: true})
	fixed("powertuning", "AWS Lambda Power Tuning, balanced strategy, per function; ignores the pipeline budget",
		baselines.PowerTuning{Strategy: "balanced"})
	fixed("powertuning-cost", "AWS Lambda Power Tuning, cost strategy (the tool's default), per function; ignores the pipeline budget",
		baselines.PowerTuning{Strategy: "cost"})
	fixed("powertuning-speed", "AWS Lambda Power Tuning, speed strategy, per function; ignores the pipeline budget",
		baselines.PowerTuning{Strategy: "speed"})
	fixed("parrotfish", "Parrotfish: parametric time-vs-memory fit per function, workflow mode raising the critical path within the cost bound",
		baselines.Parrotfish{})
}
