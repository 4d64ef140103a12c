package bo

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"sync"
)

// joeKuo holds Joe and Kuo's direction numbers (file new-joe-kuo-6.21201,
// S. Joe and F. Y. Kuo, "Constructing Sobol sequences with better
// two-dimensional projections", SIAM J. Sci. Comput. 30, 2008) for dimensions
// 2 to 53, that is every primitive polynomial of degree at most 8. Each row is
// s, a, m_1 … m_s: the degree, the inner coefficients of the primitive
// polynomial as bits, and the initial direction numbers. Dimension 1 is the
// van der Corput sequence and needs no row.
var joeKuo = [][]uint32{
	{1, 0, 1},
	{2, 1, 1, 3},
	{3, 1, 1, 3, 1},
	{3, 2, 1, 1, 1},
	{4, 1, 1, 1, 3, 3},
	{4, 4, 1, 3, 5, 13},
	{5, 2, 1, 1, 5, 5, 17},
	{5, 4, 1, 1, 5, 5, 5},
	{5, 7, 1, 1, 7, 11, 19},
	{5, 11, 1, 1, 5, 1, 1},
	{5, 13, 1, 1, 1, 3, 11},
	{5, 14, 1, 3, 5, 5, 31},
	{6, 1, 1, 3, 3, 9, 7, 49},
	{6, 13, 1, 1, 1, 15, 21, 21},
	{6, 16, 1, 3, 1, 13, 27, 49},
	{6, 19, 1, 1, 1, 15, 7, 5},
	{6, 22, 1, 3, 1, 15, 13, 25},
	{6, 25, 1, 1, 5, 5, 19, 61},
	{7, 1, 1, 3, 7, 11, 23, 15, 103},
	{7, 4, 1, 3, 7, 13, 13, 15, 69},
	{7, 7, 1, 1, 3, 13, 7, 35, 63},
	{7, 8, 1, 3, 5, 9, 1, 25, 53},
	{7, 14, 1, 3, 1, 13, 9, 35, 107},
	{7, 19, 1, 3, 1, 5, 27, 61, 31},
	{7, 21, 1, 1, 5, 11, 19, 41, 61},
	{7, 28, 1, 3, 5, 3, 3, 13, 69},
	{7, 31, 1, 1, 7, 13, 1, 19, 1},
	{7, 32, 1, 3, 7, 5, 13, 19, 59},
	{7, 37, 1, 1, 3, 9, 25, 29, 41},
	{7, 41, 1, 3, 5, 13, 23, 1, 55},
	{7, 42, 1, 3, 7, 3, 13, 59, 17},
	{7, 50, 1, 3, 1, 3, 5, 53, 69},
	{7, 55, 1, 1, 5, 5, 23, 33, 13},
	{7, 56, 1, 1, 7, 7, 1, 61, 123},
	{7, 59, 1, 1, 7, 9, 13, 61, 49},
	{7, 62, 1, 3, 3, 5, 3, 55, 33},
	{8, 14, 1, 3, 1, 15, 31, 13, 49, 245},
	{8, 21, 1, 3, 5, 15, 31, 59, 63, 97},
	{8, 22, 1, 3, 1, 11, 11, 11, 77, 249},
	{8, 38, 1, 3, 1, 11, 27, 43, 71, 9},
	{8, 47, 1, 1, 7, 15, 21, 11, 81, 45},
	{8, 49, 1, 3, 7, 3, 25, 31, 65, 79},
	{8, 50, 1, 3, 1, 1, 19, 11, 3, 205},
	{8, 52, 1, 1, 5, 9, 19, 21, 29, 157},
	{8, 56, 1, 3, 7, 11, 1, 33, 89, 185},
	{8, 67, 1, 3, 3, 3, 15, 9, 79, 71},
	{8, 70, 1, 3, 7, 11, 15, 39, 119, 27},
	{8, 84, 1, 1, 3, 1, 11, 31, 97, 225},
	{8, 97, 1, 1, 1, 3, 23, 43, 57, 177},
	{8, 103, 1, 3, 7, 7, 17, 17, 37, 71},
	{8, 115, 1, 3, 1, 5, 27, 63, 123, 213},
	{8, 122, 1, 1, 3, 5, 11, 43, 53, 133},
}

// JoeKuoDims is the number of dimensions whose direction numbers are Joe and
// Kuo's own. Higher dimensions (used by the quasi-Monte-Carlo samples of
// QNEI, whose dimension grows with the number of observations) continue with
// the next primitive polynomials in Joe and Kuo's order and initial direction
// numbers drawn once from a fixed stream, as Bratley and Fox suggest; they are
// valid Sobol sequences without the optimised two-dimensional projections.
const JoeKuoDims = 53

// MaxSobolDim is the largest dimension NewSobol accepts.
const MaxSobolDim = 4096

const sobolBits = 32

// sobolCache holds the direction numbers computed so far, index dim−1, and
// the primitive polynomials (s, a) enumerated so far; both are pure functions
// of the index, cached under sobolMu.
var (
	sobolMu    sync.Mutex
	sobolCache [][]uint32
	primPolys  [][2]int
)

// directionNumbers returns the 32 direction numbers V_1 … V_32 of dimension
// dim (1-based), each scaled to 32 bits. The caller holds sobolMu.
func directionNumbers(dim int) []uint32 {
	v := make([]uint32, sobolBits)
	if dim == 1 {
		for k := range v {
			v[k] = 1 << (sobolBits - 1 - k)
		}
		return v
	}
	var s, a int
	var m []uint32
	if dim <= JoeKuoDims {
		row := joeKuo[dim-2]
		s, a, m = int(row[0]), int(row[1]), row[2:]
	} else {
		s, a = primitivePolynomial(dim - 1)
		m = extraInitial(dim, s)
	}
	for k := 0; k < sobolBits; k++ {
		if k < s {
			v[k] = m[k] << (sobolBits - 1 - k)
			continue
		}
		x := v[k-s] ^ (v[k-s] >> uint(s))
		for i := 1; i < s; i++ {
			if (a>>(s-1-i))&1 == 1 {
				x ^= v[k-i]
			}
		}
		v[k] = x
	}
	return v
}

// extraInitial draws the initial direction numbers m_1 … m_s of a dimension
// beyond Joe and Kuo's table: m_k odd and below 2^k, from a stream fixed by
// the dimension alone.
func extraInitial(dim, s int) []uint32 {
	r := rand.New(rand.NewPCG(0x50b01, uint64(dim)))
	m := make([]uint32, s)
	for k := range m {
		m[k] = 2*uint32(r.Uint64N(uint64(1)<<k)) + 1
	}
	return m
}

// primitivePolynomial returns the degree s and inner coefficients a of the
// idx-th primitive polynomial over GF(2) (1-based), counting by degree and
// then by a, the order Joe and Kuo use: x+1 is the first.
// The caller holds sobolMu.
func primitivePolynomial(idx int) (s, a int) {
	s, a = 1, -1
	if n := len(primPolys); n > 0 {
		s, a = primPolys[n-1][0], primPolys[n-1][1]
	}
	for len(primPolys) < idx {
		a++
		if a >= 1<<(s-1) {
			s, a = s+1, 0
		}
		if isPrimitive(s, a) {
			primPolys = append(primPolys, [2]int{s, a})
		}
	}
	p := primPolys[idx-1]
	return p[0], p[1]
}

// isPrimitive reports whether x^s + (a's bits) + 1 is primitive over GF(2):
// x has multiplicative order exactly 2^s − 1 modulo the polynomial.
func isPrimitive(s, a int) bool {
	p := uint64(1)<<s | uint64(a)<<1 | 1
	order := uint64(1)<<s - 1
	if polyPowMod(2, order, p, s) != 1 {
		return false
	}
	for _, r := range primeFactors(order) {
		if polyPowMod(2, order/r, p, s) == 1 {
			return false
		}
	}
	return true
}

// polyPowMod computes b^e modulo p in GF(2)[x]; polynomials are bit sets.
func polyPowMod(b, e, p uint64, s int) uint64 {
	result := uint64(1)
	for e > 0 {
		if e&1 == 1 {
			result = polyMulMod(result, b, p, s)
		}
		b = polyMulMod(b, b, p, s)
		e >>= 1
	}
	return result
}

func polyMulMod(x, y, p uint64, s int) uint64 {
	var r uint64
	for y != 0 {
		if y&1 == 1 {
			r ^= x
		}
		y >>= 1
		x <<= 1
		if x>>uint(s)&1 == 1 {
			x ^= p
		}
	}
	return r
}

func primeFactors(n uint64) []uint64 {
	var fs []uint64
	for f := uint64(2); f*f <= n; f++ {
		if n%f == 0 {
			fs = append(fs, f)
			for n%f == 0 {
				n /= f
			}
		}
	}
	if n > 1 {
		fs = append(fs, n)
	}
	return fs
}

// Sobol generates a Sobol low-discrepancy sequence in [0,1)^d in Gray-code
// order (Antonov and Saleev), the order of Joe and Kuo's reference
// implementation: the first point is the origin, then (½,…,½), and so on.
// A scrambled sequence applies a random linear matrix scramble and a random
// digital shift (Matoušek; Owen), which keeps the net structure and makes
// the points an unbiased randomised QMC design.
type Sobol struct {
	v     [][]uint32 // direction numbers per dimension
	x     []uint32   // current point
	index uint64     // index of the next point
}

// NewSobol returns the plain Joe–Kuo Sobol sequence of dimension dim.
func NewSobol(dim int) (*Sobol, error) {
	return newSobol(dim, nil)
}

// NewScrambledSobol returns a Sobol sequence of dimension dim scrambled with
// randomness from rng; the same rng state gives the same sequence.
func NewScrambledSobol(dim int, rng *rand.Rand) (*Sobol, error) {
	if rng == nil {
		return nil, fmt.Errorf("bo: scrambled Sobol needs a random source")
	}
	return newSobol(dim, rng)
}

func newSobol(dim int, rng *rand.Rand) (*Sobol, error) {
	if dim < 1 || dim > MaxSobolDim {
		return nil, fmt.Errorf("bo: Sobol dimension %d outside [1, %d]", dim, MaxSobolDim)
	}
	s := &Sobol{v: make([][]uint32, dim), x: make([]uint32, dim)}
	for j := range s.v {
		s.v[j] = cachedDirections(j + 1)
	}
	if rng != nil {
		for j := range s.v {
			s.v[j] = scrambleDirections(s.v[j], rng)
			s.x[j] = uint32(rng.Uint64())
		}
	}
	return s, nil
}

// cachedDirections returns the (shared, read-only) direction numbers of
// dimension dim.
func cachedDirections(dim int) []uint32 {
	sobolMu.Lock()
	defer sobolMu.Unlock()
	for len(sobolCache) < dim {
		sobolCache = append(sobolCache, directionNumbers(len(sobolCache)+1))
	}
	return sobolCache[dim-1]
}

// scrambleDirections applies a random lower-triangular binary matrix with
// unit diagonal to the digits of each direction number: output digit j (j = 1
// the most significant) is the parity of input digits 1 … j selected by row j.
func scrambleDirections(v []uint32, rng *rand.Rand) []uint32 {
	var rows [sobolBits]uint32
	for p := 0; p < sobolBits; p++ { // p is the bit position, 31 = digit 1
		above := ^uint32(0) << uint(p+1)
		if p == sobolBits-1 {
			above = 0
		}
		rows[p] = 1<<uint(p) | uint32(rng.Uint64())&above
	}
	out := make([]uint32, len(v))
	for k, x := range v {
		var y uint32
		for p := 0; p < sobolBits; p++ {
			y |= uint32(bits.OnesCount32(x&rows[p])&1) << uint(p)
		}
		out[k] = y
	}
	return out
}

// Dim returns the dimension of the sequence.
func (s *Sobol) Dim() int { return len(s.v) }

// Next writes the next point into dst (allocated when nil or short) and
// returns it.
func (s *Sobol) Next(dst []float64) []float64 {
	if len(dst) < len(s.x) {
		dst = make([]float64, len(s.x))
	}
	dst = dst[:len(s.x)]
	if s.index > 0 {
		c := bits.TrailingZeros64(^(s.index - 1)) // lowest zero bit of index−1
		if c >= sobolBits {
			panic("bo: Sobol sequence exhausted (2^32 points)")
		}
		for j := range s.x {
			s.x[j] ^= s.v[j][c]
		}
	}
	for j, x := range s.x {
		dst[j] = float64(x) / (1 << sobolBits)
	}
	s.index++
	return dst
}

// Skip discards the next n points (Spearmint's grid "seed" is such a skip).
func (s *Sobol) Skip(n int) {
	for range n {
		s.Next(nil)
	}
}

// SobolPoints returns the first n points of the dim-dimensional Sobol
// sequence, scrambled with rng, or the plain Joe–Kuo sequence when rng is nil.
func SobolPoints(n, dim int, rng *rand.Rand) ([][]float64, error) {
	if n < 0 {
		return nil, fmt.Errorf("bo: negative number of Sobol points %d", n)
	}
	s, err := newSobol(dim, rng)
	if err != nil {
		return nil, err
	}
	pts := make([][]float64, n)
	for i := range pts {
		pts[i] = s.Next(nil)
	}
	return pts, nil
}
