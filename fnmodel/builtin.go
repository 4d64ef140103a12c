package fnmodel

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
)

// calibratedJSON holds the functions of the paper's three pipelines (Table
// 3) as fitted by cnav calibrate to measurements of the real functions in
// functions/ (results/reference/measured): the default platform's ground
// truth. Regenerate it with
//
//	cnav calibrate --measured results/reference/measured --out fnmodel/calibrated.json
//
//go:embed calibrated.json
var calibratedJSON []byte

// builtins are the calibrated profiles by function name, parsed on first use.
var builtins = embedded

// ParseProfiles reads a calibrated-profiles document (cnav calibrate --out):
// {"functions": {NAME: {"profile": {...}}}}, validating every profile.
func ParseProfiles(data []byte) (map[string]Profile, error) {
	var doc struct {
		Functions map[string]struct {
			Profile *Profile `json:"profile"`
		} `json:"functions"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("fnmodel: calibrated profiles: %w", err)
	}
	if len(doc.Functions) == 0 {
		return nil, fmt.Errorf("fnmodel: calibrated profiles: no functions")
	}
	out := make(map[string]Profile, len(doc.Functions))
	for name, f := range doc.Functions {
		if f.Profile == nil {
			return nil, fmt.Errorf("fnmodel: calibrated profiles: %s has no profile", name)
		}
		if err := f.Profile.Validate(); err != nil {
			return nil, fmt.Errorf("fnmodel: calibrated profiles: %s: %w", name, err)
		}
		out[name] = *f.Profile
	}
	return out, nil
}

func mustParseProfiles(data []byte) map[string]Profile {
	m, err := ParseProfiles(data)
	if err != nil {
		panic(err) // the embedded file is generated and tested
	}
	return m
}

// UseProfiles overrides built-in profiles with a refit (cnav calibrate
// --from, CNAV_FUNCTIONS): functions it names take the refit profile, the
// others keep the embedded one. Call it before any simulation.
func UseProfiles(m map[string]Profile) error {
	merged := BuiltinProfiles()
	for n, p := range m {
		if err := p.Validate(); err != nil {
			return fmt.Errorf("fnmodel: profile %s: %w", n, err)
		}
		merged[n] = p
	}
	builtins = func() map[string]Profile { return merged }
	return nil
}

// ResetProfiles undoes UseProfiles: the embedded calibration again.
func ResetProfiles() { builtins = embedded }

// embedded parses the embedded calibration once.
var embedded = sync.OnceValue(func() map[string]Profile { return mustParseProfiles(calibratedJSON) })

// Builtin returns a copy of the named built-in model.
func Builtin(name string) (Profile, error) {
	p, ok := builtins()[name]
	if !ok {
		return Profile{}, fmt.Errorf("unknown function model %q (built-in models: %v)", name, BuiltinNames())
	}
	return p, nil
}

// BuiltinProfiles returns a copy of every built-in model by name.
func BuiltinProfiles() map[string]Profile {
	b := builtins()
	out := make(map[string]Profile, len(b))
	for n, p := range b {
		out[n] = p
	}
	return out
}

// BuiltinNames lists the built-in models in name order.
func BuiltinNames() []string {
	b := builtins()
	names := make([]string, 0, len(b))
	for n := range b {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
