package models_test

import (
	"math"
	"testing"

	"windowbot/models"
)

func TestTally(t *testing.T) {
	tests := []struct {
		name                        string
		byLevel                     [5]int // levels 1…5
		total, satisfied, good, bad int
		satisfaction, goodRate      float64
	}{
		{"no ratings", [5]int{}, 0, 0, 0, 0, 0, 0},
		{"all very satisfied", [5]int{0, 0, 0, 0, 10}, 10, 10, 10, 0, 1, 1},
		{"basic counts as satisfied, not good", [5]int{0, 0, 1, 1, 2}, 4, 4, 3, 0, 1, 0.75},
		{"mixed", [5]int{1, 1, 2, 2, 4}, 10, 8, 6, 2, 0.8, 0.6},
		{"only bad", [5]int{3, 1, 0, 0, 0}, 4, 0, 0, 4, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tl models.Tally
			for i, n := range tt.byLevel {
				tl.Record(models.Level(i+1), n)
			}
			if tl.ByLevel != tt.byLevel {
				t.Fatalf("ByLevel = %v, want %v", tl.ByLevel, tt.byLevel)
			}
			if tl.Total() != tt.total || tl.Satisfied() != tt.satisfied || tl.Good() != tt.good || tl.Bad() != tt.bad {
				t.Errorf("total %d satisfied %d good %d bad %d, want %d %d %d %d", tl.Total(), tl.Satisfied(), tl.Good(), tl.Bad(),
					tt.total, tt.satisfied, tt.good, tt.bad)
			}
			if got := tl.SatisfactionRate(); !near(got, tt.satisfaction) {
				t.Errorf("SatisfactionRate = %v, want %v", got, tt.satisfaction)
			}
			if got := tl.GoodRate(); !near(got, tt.goodRate) {
				t.Errorf("GoodRate = %v, want %v", got, tt.goodRate)
			}
		})
	}

	t.Run("levels outside 1-5 are not ratings", func(t *testing.T) {
		var tl models.Tally
		tl.Record(0, 7)
		tl.Record(6, 9)
		tl.Record(models.VerySatisfied, 1)
		tl.Record(models.VeryDissatisfied, 1)
		if tl.Total() != 2 || tl.Count(0) != 0 || tl.Count(6) != 0 || !near(tl.SatisfactionRate(), 0.5) {
			t.Errorf("tally = %+v", tl)
		}
	})

	t.Run("sums keep the formula", func(t *testing.T) {
		a := models.Tally{ID: 1, CenterID: 9, ByLevel: [5]int{1, 0, 0, 0, 3}}
		b := models.Tally{ID: 2, CenterID: 9, ByLevel: [5]int{0, 1, 1, 0, 0}}
		sum := a
		sum.Add(b)
		if sum.ID != 1 || sum.CenterID != 9 || sum.ByLevel != [5]int{1, 1, 1, 0, 3} || !near(sum.SatisfactionRate(), 4.0/6) {
			t.Errorf("Add = %+v", sum)
		}
		if all := models.Sum([]models.Tally{a, b}); all.ID != 0 || all.ByLevel != sum.ByLevel {
			t.Errorf("Sum = %+v", all)
		}
	})

	t.Run("target", func(t *testing.T) {
		for _, tc := range []struct {
			byLevel [5]int
			target  float64
			want    bool
		}{
			{[5]int{}, 0.95, false}, // no ratings meet no target
			{[5]int{0, 0, 0, 0, 19}, 0.95, true},
			{[5]int{1, 0, 0, 0, 19}, 0.95, true}, // exactly 95%
			{[5]int{1, 0, 0, 0, 18}, 0.95, false},
			{[5]int{1, 0, 0, 0, 18}, 0.9, true},
		} {
			if got := (models.Tally{ByLevel: tc.byLevel}).MeetsTarget(tc.target); got != tc.want {
				t.Errorf("%v MeetsTarget(%v) = %v, want %v", tc.byLevel, tc.target, got, tc.want)
			}
		}
	})

	t.Run("adjusted", func(t *testing.T) {
		few := models.Tally{ByLevel: [5]int{0, 0, 0, 0, 3}}
		many := models.Tally{ByLevel: [5]int{6, 0, 0, 0, 294}}
		if f, m := few.Adjusted(0.95, 20), many.Adjusted(0.95, 20); f >= m || !near(f, models.BayesianScore(1, 3, 0.95, 20)) {
			t.Errorf("3 votes at 100%% scored %v, 300 votes at 98%% scored %v", f, m)
		}
	})
}

func TestBayesianScore(t *testing.T) {
	tests := []struct {
		name  string
		mean  float64
		n     int
		prior float64
		minN  int
		want  float64
	}{
		{"no ratings gives the prior", 0, 0, 0.9, 30, 0.9},
		{"no prior weight gives the mean", 0.98, 300, 0.9, 0, 0.98},
		{"nothing at all gives the prior", 0, 0, 0.9, 0, 0.9},
		{"three perfect votes", 1, 3, 0.9, 30, (3*1 + 30*0.9) / 33.0},
		{"300 votes at 98%", 0.98, 300, 0.9, 30, (300*0.98 + 30*0.9) / 330.0},
		{"negative n treated as none", 1, -5, 0.9, 30, 0.9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := models.BayesianScore(tt.mean, tt.n, tt.prior, tt.minN); !near(got, tt.want) {
				t.Errorf("BayesianScore = %v, want %v", got, tt.want)
			}
		})
	}

	// The design's example, on the satisfaction-rate scale and on the five-level scale.
	t.Run("three 5-star votes do not beat 300 votes at 98%", func(t *testing.T) {
		few := models.BayesianScore(1.0, 3, 0.95, 20)
		many := models.BayesianScore(0.98, 300, 0.95, 20)
		if few >= many {
			t.Errorf("3 votes at 100%% scored %v, 300 votes at 98%% scored %v", few, many)
		}
		fewStars := models.BayesianScore(5.0, 3, 4.0, 20)
		manyStars := models.BayesianScore(4.9, 300, 4.0, 20)
		if fewStars >= manyStars {
			t.Errorf("3 votes at 5.0 scored %v, 300 votes at 4.9 scored %v", fewStars, manyStars)
		}
	})
}

// tallyOf is the tally of total ratings of which satisfied are at levels 3–5 and good at 4–5:
// the rest are level 1, satisfied but not good level 3, and good level 5.
func tallyOf(id, center uint, total, satisfied, good int) models.Tally {
	return models.Tally{ID: id, CenterID: center, ByLevel: [5]int{total - satisfied, 0, satisfied - good, 0, good}}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
