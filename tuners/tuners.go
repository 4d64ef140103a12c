package tuners

import (
	"fmt"
	"sort"
	"strings"

	"github.com/confignav/confignav/baselines"
	"github.com/confignav/confignav/navigator"
	"github.com/confignav/confignav/oracle"
	"github.com/confignav/confignav/tuner"
)

// Deps are what some tuners need besides the problem: the simulator's ground
// truth (exhaustive only; nil live) and ConfigNavigator's prediction model.
type Deps struct {
	Oracle    *oracle.Oracle
	Predictor navigator.Predictor
	// Navigator overrides ConfigNavigator's options (nil: defaults).
	Navigator *navigator.Navigator
}

type entry struct {
	summary string
	make    func(d Deps) (tuner.Tuner, error)
}

var registry = map[string]entry{
	"random": {"uniform random search: the best feasible of 40 measured configurations",
		func(Deps) (tuner.Tuner, error) { return baselines.Random{}, nil }},
	"exhaustive": {"exact optimum of the simulator's ground truth (the regret yardstick; simulation only)",
		func(d Deps) (tuner.Tuner, error) {
			if d.Oracle == nil {
				return nil, fmt.Errorf("tuners: exhaustive needs the simulator's ground truth; it cannot run live")
			}
			return baselines.Exhaustive{Oracle: d.Oracle}, nil
		}},
	"navigator": {"ConfigNavigator: profile once, predict, partition and search, confirm with one measurement",
		func(d Deps) (tuner.Tuner, error) {
			if d.Predictor == nil {
				return nil, fmt.Errorf("tuners: navigator needs a prediction model (cnav model train, or results/reference/model.json)")
			}
			n := &navigator.Navigator{}
			if d.Navigator != nil {
				c := *d.Navigator
				n = &c
			}
			n.Predictor = d.Predictor
			return n, nil
		}},
}

// register adds a tuner; baseline files call it from init.
func register(name, summary string, make func(d Deps) (tuner.Tuner, error)) {
	registry[name] = entry{summary, make}
}

// Names lists the tuners in name order.
func Names() []string {
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Summary is a tuner's one-line description.
func Summary(name string) string { return registry[name].summary }

// New makes the named tuner.
func New(name string, d Deps) (tuner.Tuner, error) {
	e, ok := registry[name]
	if !ok {
		return nil, fmt.Errorf("tuners: unknown tuner %q (known: %s)", name, strings.Join(Names(), ", "))
	}
	return e.make(d)
}
