package models

// SatisfactionRate is the share of ratings at levels 3–5 (基本满意 or better) among all ratings
// counted in byLevel (level → count; keys outside 1..5 are ignored). No ratings give 0, not NaN,
// so an unrated window sorts last rather than poisoning averages.
func SatisfactionRate(byLevel map[int]int) float64 {
	return shareOf(byLevel, 3)
}

// GoodRate is the share of ratings at levels 4–5 (满意 or better) among all ratings counted in
// byLevel; 0 without ratings.
func GoodRate(byLevel map[int]int) float64 {
	return shareOf(byLevel, 4)
}

// shareOf returns the share of ratings at level lowest or above.
func shareOf(byLevel map[int]int, lowest int) float64 {
	var total, good int
	for l := 1; l <= 5; l++ {
		n := max(byLevel[l], 0)
		total += n
		if l >= lowest {
			good += n
		}
	}
	if total == 0 {
		return 0
	}
	return float64(good) / float64(total)
}

// BayesianScore is mean shrunk towards priorMean as if minN extra ratings at priorMean had been
// cast: (n*mean + minN*priorMean) / (n + minN). It ranks staff and windows fairly when they have
// very different numbers of ratings, so three 5-star votes do not beat 300 votes at 98%. mean and
// priorMean must be on the same scale (a rate in [0,1] or a level in [1,5]). With no ratings and
// minN 0 it returns priorMean.
func BayesianScore(mean float64, n int, priorMean float64, minN int) float64 {
	n, minN = max(n, 0), max(minN, 0)
	if n+minN == 0 {
		return priorMean
	}
	return (float64(n)*mean + float64(minN)*priorMean) / float64(n+minN)
}
