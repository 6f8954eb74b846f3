package models

import (
	"slices"
	"strings"
)

// Level is a national five-level rating: 5 非常满意 … 1 非常不满意.
type Level int

// The five national levels.
const (
	VeryDissatisfied Level = 1
	Dissatisfied     Level = 2
	Basic            Level = 3
	Satisfied        Level = 4
	VerySatisfied    Level = 5
)

// Valid reports whether l is one of the five levels.
func (l Level) Valid() bool { return l >= VeryDissatisfied && l <= VerySatisfied }

// Bad reports whether l is a bad review (差评): levels 1 and 2.
func (l Level) Bad() bool { return l == VeryDissatisfied || l == Dissatisfied }

// AsksAspects reports whether the rating dialog asks what went wrong (levels 1–3).
func (l Level) AsksAspects() bool { return l.Valid() && l <= Basic }

// Levels lists the five levels best first, the order the dialog shows them.
var Levels = []Level{VerySatisfied, Satisfied, Basic, Dissatisfied, VeryDissatisfied}

// The catalogues below hold stable keys, stored in records and never changed once released. What
// people read for them is in the text catalog (internal/text), keyed by these codes.

// Aspect is one of the four areas citizens are asked about, with the concrete problems under it.
type Aspect struct {
	Key string
	// Problems are the keys of the problems, "<aspect>.<problem>": what Rating.Aspects stores.
	Problems []string
}

// Aspects is the national catalogue of what can go wrong at a window: 工作效能, 服务态度, 服务能力,
// 工作作风.
var Aspects = []Aspect{
	{"efficiency", []string{"efficiency.slow", "efficiency.overtime", "efficiency.perfunctory", "efficiency.come_back"}},
	{"attitude", []string{"attitude.not_proactive", "attitude.no_civil_language", "attitude.cold", "attitude.facilities"}},
	{"capability", []string{"capability.policy", "capability.materials", "capability.business"}},
	{"conduct", []string{"conduct.late", "conduct.away", "conduct.neglect", "conduct.favours"}},
}

// AspectKeys lists the keys of the four aspects in the catalogue's order.
func AspectKeys() []string {
	keys := make([]string, len(Aspects))
	for i, a := range Aspects {
		keys[i] = a.Key
	}
	return keys
}

// ProblemsOf lists the problems of the aspect key; nil for a key that is not an aspect.
func ProblemsOf(key string) []string {
	for _, a := range Aspects {
		if a.Key == key {
			return slices.Clone(a.Problems)
		}
	}
	return nil
}

// AspectOf is the aspect a problem key belongs to ("efficiency" for "efficiency.slow"); "" for a
// key that is not a problem of the catalogue.
func AspectOf(problem string) string {
	for _, a := range Aspects {
		if slices.Contains(a.Problems, problem) {
			return a.Key
		}
	}
	return ""
}

// PraiseTags is what a citizen can say was good (levels 4–5); it feeds the monthly star.
var PraiseTags = []string{"warm", "fast", "professional", "one_visit"}

// IsProblem reports whether key is a problem of the aspect catalogue.
func IsProblem(key string) bool {
	for _, a := range Aspects {
		if slices.Contains(a.Problems, key) {
			return true
		}
	}
	return false
}

// IsPraise reports whether key is a praise tag.
func IsPraise(key string) bool { return slices.Contains(PraiseTags, key) }

// JoinKeys stores a key list in one column.
func JoinKeys(keys []string) string { return strings.Join(keys, ",") }

// SplitKeys reads a key list back from its column.
func SplitKeys(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}
