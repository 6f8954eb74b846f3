package models

// Tally counts the ratings of a window, a staff member, a center or any other scope in a
// period, by level, leaving out the excluded ones (upheld appeals stay on record but never
// count). It is the one aggregate of reporting: the chat's /stats, /rank and /star, the admin
// API's statistics and the jobs' reports, rankings and stars all count with it and take their
// rates from its methods, so that a figure reads the same wherever it is shown.
type Tally struct {
	// ID is the window's or the staff member's ID; zero for the tally of a scope.
	ID uint
	// CenterID is the center of the rated window; zero for the tally of a scope.
	CenterID uint
	// ByLevel counts the ratings per level: ByLevel[0] is level 1 (非常不满意), ByLevel[4]
	// level 5 (非常满意). Count and Record read and write it by level.
	ByLevel [5]int
}

// Count is the number of ratings at level l; 0 for a level outside 1–5.
func (t Tally) Count(l Level) int {
	if !l.Valid() {
		return 0
	}
	return t.ByLevel[l-1]
}

// Record counts n more ratings at level l. A level outside 1–5 is not a rating and is ignored.
func (t *Tally) Record(l Level, n int) {
	if l.Valid() {
		t.ByLevel[l-1] += n
	}
}

// Add adds the counts of o to t, which keeps its ID and CenterID: the sum of a center's windows,
// of a scope's centers.
func (t *Tally) Add(o Tally) {
	for i, n := range o.ByLevel {
		t.ByLevel[i] += n
	}
}

// Sum adds tallies up into one (ID and CenterID zero).
func Sum(ts []Tally) Tally {
	var out Tally
	for _, t := range ts {
		out.Add(t)
	}
	return out
}

// Total counts every rating counted.
func (t Tally) Total() int { return t.atLeast(VeryDissatisfied) }

// Satisfied counts the ratings at levels 3–5 (基本满意 or better).
func (t Tally) Satisfied() int { return t.atLeast(Basic) }

// Good counts the good reviews: levels 4–5 (满意 or better).
func (t Tally) Good() int { return t.atLeast(Satisfied) }

// Bad counts the bad reviews (差评): levels 1–2.
func (t Tally) Bad() int { return t.Count(VeryDissatisfied) + t.Count(Dissatisfied) }

func (t Tally) atLeast(lowest Level) int {
	n := 0
	for l := lowest; l <= VerySatisfied; l++ {
		n += t.Count(l)
	}
	return n
}

// SatisfactionRate is the satisfaction rate of the national 好差评 rules: the ratings at levels
// 3–5 among all ratings counted. No ratings give 0, not NaN, so that an unrated window sorts last
// rather than poisoning averages.
func (t Tally) SatisfactionRate() float64 { return ratio(t.Satisfied(), t.Total()) }

// GoodRate is the good-review rate: levels 4–5 among all ratings counted; 0 without ratings.
func (t Tally) GoodRate() float64 { return ratio(t.Good(), t.Total()) }

// MeetsTarget reports whether the satisfaction rate reaches target (a rate such as 0.95). A
// tally without ratings meets no target.
func (t Tally) MeetsTarget(target float64) bool {
	return t.Total() > 0 && t.SatisfactionRate() >= target
}

// Adjusted is the satisfaction rate shrunk towards prior as if minN more ratings at prior had
// been cast (BayesianScore): what rankings and the service star compare.
func (t Tally) Adjusted(prior float64, minN int) float64 {
	return BayesianScore(t.SatisfactionRate(), t.Total(), prior, minN)
}

func ratio(a, b int) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
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
