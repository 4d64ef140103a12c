package sim

import "math"

// KeyNext keys the randomness of the next Run or Invoke, for common random
// numbers across tuners (package tuner keys every measurement window by
// seed, configuration and window index; BASELINES.md, "Accounting for every
// tuner"). That run draws its random streams from (the simulator's seed,
// key) instead of from the run counter, and its traffic tide starts at the
// seed's phase instead of following the clock, so what it draws depends on
// the key, not on how many runs came before or how long they took. With
// fresh, every execution environment is also retired and the scale-up
// windows cleared before the run, as if every function had just been
// deployed anew, so that the run does not depend on which earlier runs left
// environments warm either. Runs without a key are unchanged.
func (s *Sim) KeyNext(key uint64, fresh bool) {
	s.next.key, s.next.keyed, s.next.fresh = key, true, fresh
}

// retireAll retires every environment (idle ones now; none is busy between
// runs) and clears the scale-up windows.
func (s *Sim) retireAll() {
	for i := range s.nodes {
		ns := &s.nodes[i]
		ns.pool.idle = ns.pool.idle[:0]
		ns.pool.head = 0
		ns.pool.gen++
		ns.windowStart, ns.windowNew = math.MinInt64/2, 0
	}
}

// mixKey combines the simulator's seed and a run key into one PCG seed
// (SplitMix64's finaliser on each in turn).
func mixKey(seed, key uint64) uint64 {
	return splitmix(splitmix(seed) ^ key)
}

func splitmix(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
