package bench

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync/atomic"
)

// KeyPattern says how a run picks key numbers from [KeyMin, KeyMax].
type KeyPattern int

const (
	// Uniform draws every key with the same probability.
	Uniform KeyPattern = iota
	// Sequential walks the range in order, shared by all connections, and wraps: a run
	// of KeyMax-KeyMin+1 single-key requests touches every key exactly once, which is
	// how the memory tests load a keyspace.
	Sequential
	// Gaussian draws from a normal distribution around KeySpace.Median; the few keys
	// near the middle are hot.
	Gaussian
	// Zipf draws key KeyMin+r with probability proportional to 1/(r+1)^ZipfExp: a
	// handful of keys take most requests, as in caches.
	Zipf
)

var patternNames = [...]string{"uniform", "sequential", "gaussian", "zipf"}

func (p KeyPattern) String() string {
	if int(p) < len(patternNames) {
		return patternNames[p]
	}
	return fmt.Sprintf("KeyPattern(%d)", int(p))
}

// ParseKeyPattern accepts the pattern names of --key-pattern and, for memtier users,
// its single letters R (random), S (sequential), G (gaussian) and Z (zipf).
func ParseKeyPattern(s string) (KeyPattern, error) {
	switch strings.ToLower(s) {
	case "uniform", "random", "r":
		return Uniform, nil
	case "sequential", "s":
		return Sequential, nil
	case "gaussian", "g":
		return Gaussian, nil
	case "zipf", "zipfian", "z":
		return Zipf, nil
	}
	return 0, fmt.Errorf("unknown key pattern %q (want uniform, sequential, gaussian or zipf)", s)
}

// KeySpace describes the keys of a run. It is plain data; a run turns it into a
// keyState.
type KeySpace struct {
	Min, Max int64
	Pattern  KeyPattern
	// Median and StdDev shape Gaussian; zero means the middle of the range and a sixth
	// of its width (so nearly every draw falls inside the range).
	Median, StdDev float64
	// ZipfExp is the Zipf exponent; zero means 0.99, the skew YCSB uses. Values in
	// (0, 1) and above 1 are accepted; exactly 1 is not (the sampler divides by 1-s).
	ZipfExp float64
}

// keyState is a validated KeySpace with what its pattern needs precomputed. The
// connections of one run share it: it is read-only but for the sequential counter,
// which is advanced with one atomic add per batch.
type keyState struct {
	KeySpace
	zipf       zipfTable
	sequential atomic.Int64
}

// newKeyState validates the key space and precomputes what the pattern needs (Zipf's
// normalising constant costs O(min(n, 10^7)) once).
func newKeyState(space KeySpace) (*keyState, error) {
	ks := &keyState{KeySpace: space}
	if ks.Max < ks.Min {
		return nil, fmt.Errorf("key-max %d is below key-min %d", ks.Max, ks.Min)
	}
	if ks.Min < 0 {
		return nil, fmt.Errorf("key-min %d is negative", ks.Min)
	}
	span := float64(ks.Max - ks.Min + 1)
	switch ks.Pattern {
	case Gaussian:
		if ks.Median == 0 {
			ks.Median = float64(ks.Min) + (span-1)/2
		}
		if ks.StdDev == 0 {
			ks.StdDev = span / 6
		}
		if ks.StdDev < 0 {
			return nil, fmt.Errorf("key-stddev %g is negative", ks.StdDev)
		}
	case Zipf:
		if ks.ZipfExp == 0 {
			ks.ZipfExp = 0.99
		}
		if ks.ZipfExp <= 0 || ks.ZipfExp == 1 {
			return nil, fmt.Errorf("zipf exponent %g must be positive and not 1", ks.ZipfExp)
		}
		ks.zipf = newZipfTable(ks.Max-ks.Min+1, ks.ZipfExp)
	}
	return ks, nil
}

// keyGen draws key numbers for one connection. Not safe for concurrent use: each
// connection owns one, with its own random source so that runs with a seed repeat.
type keyGen struct {
	ks  *keyState
	rng *rand.Rand
	// seqNext..seqEnd is the block of sequential positions this connection reserved.
	seqNext, seqEnd int64
}

func newKeyGen(ks *keyState, seed, stream uint64) *keyGen {
	return &keyGen{ks: ks, rng: rand.New(rand.NewPCG(seed, stream))}
}

// reserve claims n sequential positions for the next batch with one atomic add, so
// connections do not contend per key and together cover the range without gaps.
func (g *keyGen) reserve(n int) {
	if g.ks.Pattern != Sequential || n == 0 {
		return
	}
	end := g.ks.sequential.Add(int64(n))
	g.seqNext, g.seqEnd = end-int64(n), end
}

// next returns the next key number.
func (g *keyGen) next() int64 {
	ks := g.ks
	span := ks.Max - ks.Min + 1
	switch ks.Pattern {
	case Sequential:
		if g.seqNext >= g.seqEnd {
			// More keys than reserved (a caller that did not reserve): take one.
			g.reserve(1)
		}
		n := g.seqNext
		g.seqNext++
		return ks.Min + n%span
	case Gaussian:
		// Redraw the rare samples that fall outside the range rather than clamping
		// them, which would pile probability onto the two end keys.
		for range 16 {
			v := math.Round(g.rng.NormFloat64()*ks.StdDev + ks.Median)
			if v >= float64(ks.Min) && v <= float64(ks.Max) {
				return int64(v)
			}
		}
		return int64(math.Min(math.Max(math.Round(ks.Median), float64(ks.Min)), float64(ks.Max)))
	case Zipf:
		return ks.Min + ks.zipf.sample(g.rng.Float64())
	default:
		return ks.Min + g.rng.Int64N(span)
	}
}

// zipfTable holds the constants of the rejection-free Zipf sampler of Gray et al.,
// "Quickly generating billion-record synthetic databases" (SIGMOD 1994), which turns one
// uniform number into a rank in O(1). The sampler is approximate in the tail and exact
// for the two hottest ranks, which is what a benchmark needs.
type zipfTable struct {
	n                  int64
	theta, alpha, zeta float64
	eta, half          float64
}

func newZipfTable(n int64, theta float64) zipfTable {
	zn := zeta(n, theta)
	z2 := zeta(2, theta)
	t := zipfTable{n: n, theta: theta, alpha: 1 / (1 - theta), zeta: zn, half: 1 + math.Pow(0.5, theta)}
	t.eta = (1 - math.Pow(2/float64(n), 1-theta)) / (1 - z2/zn)
	return t
}

// sample maps u in [0, 1) to a rank in [0, n).
func (t *zipfTable) sample(u float64) int64 {
	uz := u * t.zeta
	if uz < 1 || t.n == 1 {
		return 0
	}
	if uz < t.half {
		return 1
	}
	r := int64(float64(t.n) * math.Pow(t.eta*u-t.eta+1, t.alpha))
	return min(max(r, 0), t.n-1)
}

// zetaExact is how many terms of the generalised harmonic number are summed one by one;
// beyond it the Euler-Maclaurin formula estimates the rest, whose relative error there
// is far below what a benchmark can see.
const zetaExact = 10_000_000

// zeta returns sum_{i=1..n} 1/i^theta.
func zeta(n int64, theta float64) float64 { return zetaSplit(n, theta, zetaExact) }

// zetaSplit sums the first exact terms one by one and estimates the rest.
func zetaSplit(n int64, theta float64, exact int64) float64 {
	m := min(n, exact)
	var sum float64
	for i := int64(1); i <= m; i++ {
		sum += math.Pow(float64(i), -theta)
	}
	if n > m {
		a, b := float64(m), float64(n)
		sum += (math.Pow(b, 1-theta)-math.Pow(a, 1-theta))/(1-theta) + (math.Pow(b, -theta)-math.Pow(a, -theta))/2
	}
	return sum
}
