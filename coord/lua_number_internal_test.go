package coord

import (
	"math"
	"testing"
)

// Numbers passed to redis.call are written as Redis 7.2 writes them: integers up to 2^62
// as integers, others as its fpconv_dtoa does, shortest round-trip digits, plain up to
// 7 zeros past the digits or 6 places after the point, scientific beyond. The 7.0 oracle of the differential tests used "%.17g", so
// these cases are checked here rather than in the corpus.
func TestLuaNumberString(t *testing.T) {
	for _, c := range []struct {
		f    float64
		want string
	}{
		{0, "0"},
		{math.Copysign(0, -1), "0"},
		{1, "1"},
		{-42, "-42"},
		{9007199254740991, "9007199254740991"},
		{10000000, "10000000"},
		{100000000, "100000000"},
		{200000000, "200000000"},
		{4611686018427387904, "4611686018427387904"},
		{1e19, "1e+19"},
		{1.5e8 + 0.5, "150000000.5"},
		{123e7, "1230000000"},
		{1e21, "1e+21"},
		{1.5e300, "1.5e+300"},
		{0.1, "0.1"},
		{-3.25, "-3.25"},
		{123.456, "123.456"},
		{0.000001, "0.000001"},
		{0.0000001, "1e-7"},
		{1.25e-7, "1.25e-7"},
		{1234567.125, "1234567.125"},
		{2.5e-300, "2.5e-300"},
		{math.Inf(1), "inf"},
		{math.Inf(-1), "-inf"},
		{math.NaN(), "nan"},
	} {
		if got := luaNumberString(c.f); got != c.want {
			t.Errorf("luaNumberString(%v) = %q, want %q", c.f, got, c.want)
		}
	}
}
