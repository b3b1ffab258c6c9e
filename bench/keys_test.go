package bench

import (
	"math"
	"testing"
)

func mustKeyState(t *testing.T, ks KeySpace) *keyState {
	t.Helper()
	st, err := newKeyState(ks)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// draw returns the counts of n draws, indexed by key-min offset.
func draw(t *testing.T, ks KeySpace, n int) []int {
	t.Helper()
	st := mustKeyState(t, ks)
	g := newKeyGen(st, 42, 0)
	counts := make([]int, ks.Max-ks.Min+1)
	for range n {
		k := g.next()
		if k < ks.Min || k > ks.Max {
			t.Fatalf("%v drew %d outside [%d, %d]", ks.Pattern, k, ks.Min, ks.Max)
		}
		counts[k-ks.Min]++
	}
	return counts
}

func meanStd(counts []int, base int64) (mean, std float64) {
	var n, sum, sq float64
	for i, c := range counts {
		x := float64(base + int64(i))
		n += float64(c)
		sum += float64(c) * x
		sq += float64(c) * x * x
	}
	mean = sum / n
	return mean, math.Sqrt(sq/n - mean*mean)
}

func TestParseKeyPattern(t *testing.T) {
	for in, want := range map[string]KeyPattern{
		"uniform": Uniform, "R": Uniform, "random": Uniform, "sequential": Sequential, "S": Sequential,
		"Gaussian": Gaussian, "G": Gaussian, "zipf": Zipf, "Z": Zipf,
	} {
		got, err := ParseKeyPattern(in)
		if err != nil || got != want {
			t.Errorf("ParseKeyPattern(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseKeyPattern("pareto"); err == nil {
		t.Error("ParseKeyPattern accepted an unknown pattern")
	}
}

func TestUniformKeys(t *testing.T) {
	const n = 200_000
	counts := draw(t, KeySpace{Min: 100, Max: 199, Pattern: Uniform}, n)
	// Every one of 100 keys expects 2000 draws; 5 standard deviations is ~220.
	for i, c := range counts {
		if c < 1780 || c > 2220 {
			t.Errorf("key %d drawn %d times, want about 2000", 100+i, c)
		}
	}
}

func TestSequentialKeysCoverTheRangeOnce(t *testing.T) {
	st := mustKeyState(t, KeySpace{Min: 10, Max: 1009, Pattern: Sequential})
	gens := []*keyGen{newKeyGen(st, 1, 0), newKeyGen(st, 1, 1), newKeyGen(st, 1, 2)}
	seen := map[int64]int{}
	// Connections reserve batches of different sizes in turn, as a run does.
	for drawn, i := 0, 0; drawn < 1000; i++ {
		g := gens[i%len(gens)]
		batch := min(1+i%7, 1000-drawn)
		g.reserve(batch)
		for range batch {
			seen[g.next()]++
		}
		drawn += batch
	}
	for k := int64(10); k <= 1009; k++ {
		if seen[k] != 1 {
			t.Fatalf("key %d drawn %d times, want once", k, seen[k])
		}
	}
	// Past the end the walk wraps to key-min.
	g := gens[0]
	g.reserve(1)
	if k := g.next(); k != 10 {
		t.Errorf("after the range the next key is %d, want 10", k)
	}
}

func TestGaussianKeys(t *testing.T) {
	ks := KeySpace{Min: 0, Max: 9999, Pattern: Gaussian}
	counts := draw(t, ks, 200_000)
	mean, std := meanStd(counts, 0)
	// Defaults: the middle of the range and a sixth of its width.
	if math.Abs(mean-4999.5) > 30 {
		t.Errorf("mean %.1f, want about 4999.5", mean)
	}
	if math.Abs(std-10000.0/6) > 40 {
		t.Errorf("standard deviation %.1f, want about %.1f", std, 10000.0/6)
	}
	ks = KeySpace{Min: 0, Max: 9999, Pattern: Gaussian, Median: 2000, StdDev: 100}
	mean, std = meanStd(draw(t, ks, 100_000), 0)
	if math.Abs(mean-2000) > 3 || math.Abs(std-100) > 3 {
		t.Errorf("median 2000 stddev 100: got mean %.1f, stddev %.1f", mean, std)
	}
}

func TestZipfKeys(t *testing.T) {
	for _, theta := range []float64{0.99, 0.5, 1.2} {
		const n = 400_000
		ks := KeySpace{Min: 1000, Max: 1000 + 9999, Pattern: Zipf, ZipfExp: theta}
		counts := draw(t, ks, n)
		// The hottest key's share is 1/zeta(N, theta).
		want := 1 / zeta(10_000, theta)
		got := float64(counts[0]) / n
		if math.Abs(got-want) > 0.05*want {
			t.Errorf("theta %g: hottest key share %.4f, want %.4f", theta, got, want)
		}
		// The shares of the next ranks fall off as 1/r^theta (loosely: the sampler is
		// approximate below the second rank).
		if counts[0] <= counts[1] || counts[1] <= counts[9] || counts[9] <= counts[999] {
			t.Errorf("theta %g: counts of ranks 1, 2, 10, 1000 not decreasing: %d %d %d %d",
				theta, counts[0], counts[1], counts[9], counts[999])
		}
		ratio := float64(counts[0]) / float64(counts[1])
		if wantRatio := math.Pow(2, theta); math.Abs(ratio-wantRatio) > 0.1*wantRatio {
			t.Errorf("theta %g: rank1/rank2 = %.3f, want %.3f", theta, ratio, wantRatio)
		}
	}
}

func TestZetaTail(t *testing.T) {
	// Past zetaExact terms the sum is estimated; check the estimate on a scale that can
	// be summed exactly.
	for _, theta := range []float64{0.5, 0.99, 1.2} {
		exact := zetaSplit(200_000, theta, 200_000)
		est := zetaSplit(200_000, theta, 100_000)
		if math.Abs(est-exact)/exact > 1e-9 {
			t.Errorf("theta %g: estimated %.12f, exact %.12f", theta, est, exact)
		}
	}
}

func TestKeySpaceErrors(t *testing.T) {
	for _, ks := range []KeySpace{
		{Min: 5, Max: 4},
		{Min: -1, Max: 4},
		{Min: 0, Max: 4, Pattern: Zipf, ZipfExp: 1},
		{Min: 0, Max: 4, Pattern: Zipf, ZipfExp: -2},
		{Min: 0, Max: 4, Pattern: Gaussian, StdDev: -1},
	} {
		if _, err := newKeyState(ks); err == nil {
			t.Errorf("%+v accepted", ks)
		}
	}
}
