package models_test

import (
	"math"
	"testing"

	"windowbot/models"
)

func TestRates(t *testing.T) {
	tests := []struct {
		name               string
		byLevel            map[int]int
		satisfaction, good float64
	}{
		{"no ratings", map[int]int{}, 0, 0},
		{"nil map", nil, 0, 0},
		{"all zero keys", map[int]int{1: 0, 2: 0, 3: 0, 4: 0, 5: 0}, 0, 0},
		{"all very satisfied", map[int]int{5: 10}, 1, 1},
		{"basic counts as satisfied not good", map[int]int{3: 1, 4: 1, 5: 2}, 1, 0.75},
		{"mixed", map[int]int{1: 1, 2: 1, 3: 2, 4: 2, 5: 4}, 0.8, 0.6},
		{"only bad", map[int]int{1: 3, 2: 1}, 0, 0},
		{"unknown levels ignored", map[int]int{0: 7, 6: 9, 5: 1, 1: 1}, 0.5, 0.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := models.SatisfactionRate(tt.byLevel); !near(got, tt.satisfaction) {
				t.Errorf("SatisfactionRate = %v, want %v", got, tt.satisfaction)
			}
			if got := models.GoodRate(tt.byLevel); !near(got, tt.good) {
				t.Errorf("GoodRate = %v, want %v", got, tt.good)
			}
		})
	}
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

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
