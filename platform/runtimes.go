package platform

// DefaultRuntimes is the output of Calibrate on lambda-perf's 2026-08-22 file
// (cnav platform calibrate --lambda-perf ../shared/data/lambda-perf/...), kept
// as data so that the simulator needs no file. TestDefaultRuntimesMatchData
// re-fits them from the file and fails if they drift.
func DefaultRuntimes() map[string]LogNormal {
	return map[string]LogNormal{
		"bun":        {MedianMs: 341.5, Sigma: 0.191},
		"cpp":        {MedianMs: 35.4, Sigma: 0.662},
		"dotnet":     {MedianMs: 250.7, Sigma: 0.162},
		"dotnet-aot": {MedianMs: 81.6, Sigma: 0.301},
		"go":         {MedianMs: 44.5, Sigma: 0.101},
		"graalvm":    {MedianMs: 136.7, Sigma: 0.123},
		"java":       {MedianMs: 235.8, Sigma: 0.27},
		"llrt":       {MedianMs: 65.3, Sigma: 0.146},
		"nodejs":     {MedianMs: 132.8, Sigma: 0.121},
		"python":     {MedianMs: 79.2, Sigma: 0.159},
		"quarkus":    {MedianMs: 237.2, Sigma: 0.055},
		"ruby":       {MedianMs: 236, Sigma: 0.222},
		"rust":       {MedianMs: 15.1, Sigma: 0.153},
		"shell":      {MedianMs: 44.6, Sigma: 0.44},
		"swift":      {MedianMs: 117.5, Sigma: 0.116},
	}
}
