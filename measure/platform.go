package measure

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/confignav/confignav/platform"
)

// Platform is the platform the tables in dir were measured on: base with the
// CPU the measurement granted. cnav measure gives each size Lambda's CFS
// quota but no more than the machine's CPUs, and the function sees every
// core of the machine; the sizes whose share the machine could not give are
// marked Capped in the table's details. Above the cap the tables are flat, so
// a profile promising Lambda's 2.3 vCPUs and 3 cores at 4,096 MB would
// describe another platform: ConfigNavigator's model inputs (the CPU
// allocation at a size) and the scaling of a table to other clips (its
// modelled twin's ratio at the same size, sim) would assume CPU the
// measurement never had. So the profile's vCPU cap is the capped rows' CPUs
// and every size sees that many cores; tables without capped rows leave
// base as it is (a copy). The name says what changed; Sources cites the
// machine.
//
// Tables capped at different CPU counts (measured on different machines)
// cannot share one profile: that is an error naming them.
func Platform(dir string, base *platform.Profile) (*platform.Profile, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	granted := math.NaN()
	var grantedFile string
	models := map[string]bool{}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			return nil, fmt.Errorf("measure: %w", err)
		}
		var t struct {
			Machine Machine     `json:"machine"`
			Details []RowDetail `json:"details"`
		}
		if err := json.Unmarshal(b, &t); err != nil {
			return nil, fmt.Errorf("measure: %s: %w", n, err)
		}
		for _, d := range t.Details {
			if !d.Capped || d.Status != "ok" {
				continue
			}
			if !(d.CPUs > 0) {
				return nil, fmt.Errorf("measure: %s: %d MB is marked capped with %v CPUs", n, d.MemoryMB, d.CPUs)
			}
			switch {
			case math.IsNaN(granted):
				granted, grantedFile = d.CPUs, n
			case math.Abs(d.CPUs-granted) > 1e-6:
				return nil, fmt.Errorf("measure: %s is capped at %g CPUs (%d MB), %s at %g: tables measured on different machines cannot form one platform",
					n, d.CPUs, d.MemoryMB, grantedFile, granted)
			}
			models[fmt.Sprintf("%s, %d CPUs", t.Machine.CPUModel, t.Machine.CPUs)] = true
		}
	}
	p, err := platform.Parse(base.JSON()) // a deep copy
	if err != nil {
		return nil, fmt.Errorf("measure: base profile: %w", err)
	}
	if math.IsNaN(granted) || granted >= p.CPU.MaxVCPU {
		return p, nil
	}
	p.CPU.MaxVCPU = granted
	cores := int(math.Ceil(granted - 1e-9))
	for i := range p.CPU.VisibleCores { // a CFS quota hides no core
		p.CPU.VisibleCores[i].Cores = cores
	}
	machines := make([]string, 0, len(models))
	for m := range models {
		machines = append(machines, m)
	}
	sort.Strings(machines)
	p.Name = fmt.Sprintf("%s+measured-%gcpu", base.Name, granted)
	if p.Sources == nil {
		p.Sources = map[string]string{}
	}
	src := fmt.Sprintf("the measured tables (cnav measure on %s): each size's CFS quota is Lambda's share capped at %g CPUs, and every size sees all %d cores",
		strings.Join(machines, "; "), granted, cores)
	p.Sources["cpu.max_vcpu"] = src
	p.Sources["cpu.visible_cores"] = src
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("measure: the measured platform: %w", err)
	}
	return p, nil
}
