package models

import "strings"

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

// Label is the national wording of the level in lang ("zh-CN" or "en").
func (l Level) Label(lang string) string {
	zh := map[Level]string{5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
	en := map[Level]string{5: "Very satisfied", 4: "Satisfied", 3: "Basically satisfied", 2: "Dissatisfied", 1: "Very dissatisfied"}
	if isEnglish(lang) {
		return en[l]
	}
	return zh[l]
}

// Levels lists the five levels best first, the order the dialog shows them.
var Levels = []Level{VerySatisfied, Satisfied, Basic, Dissatisfied, VeryDissatisfied}

// Tag is one entry of a catalogue the dialog offers: a stable key stored in records, and its
// labels. Keys never change once released; labels may.
type Tag struct {
	Key string
	Zh  string
	En  string
}

// Label returns the tag's wording in lang.
func (t Tag) Label(lang string) string {
	if isEnglish(lang) {
		return t.En
	}
	return t.Zh
}

// Aspect is one of the four areas citizens are asked about, with the concrete problems under it.
type Aspect struct {
	Tag
	Problems []Tag
}

// Aspects is the national catalogue of what can go wrong at a window. Problem keys are
// "<aspect>.<problem>" and are what Rating.Aspects stores.
var Aspects = []Aspect{
	{Tag{"efficiency", "工作效能", "Efficiency"}, []Tag{
		{"efficiency.slow", "办事拖沓", "Slow"},
		{"efficiency.overtime", "超过承诺时限", "Missed the promised time limit"},
		{"efficiency.perfunctory", "敷衍应付", "Perfunctory"},
		{"efficiency.come_back", "让我多跑", "Made me come back again"},
	}},
	{Tag{"attitude", "服务态度", "Attitude"}, []Tag{
		{"attitude.not_proactive", "服务不主动", "Not proactive"},
		{"attitude.no_civil_language", "不使用文明用语", "No civil language"},
		{"attitude.cold", "态度冷漠", "Cold or indifferent"},
		{"attitude.facilities", "设施不便民", "Facilities inconvenient"},
	}},
	{Tag{"capability", "服务能力", "Capability"}, []Tag{
		{"capability.policy", "政策解释不清", "Unclear on policy"},
		{"capability.materials", "未一次性告知材料", "Did not tell me all materials at once"},
		{"capability.business", "业务系统不熟", "Did not know the business or system"},
	}},
	{Tag{"conduct", "工作作风", "Conduct"}, []Tag{
		{"conduct.late", "迟到早退", "Late or left early"},
		{"conduct.away", "离岗脱岗", "Away from the post"},
		{"conduct.neglect", "不作为", "Neglect of duty"},
		{"conduct.favours", "吃拿卡要", "Asking for favours"},
	}},
}

// PraiseTags is what a citizen can say was good (levels 4–5); it feeds the monthly star.
var PraiseTags = []Tag{
	{"warm", "热情周到", "Warm"},
	{"fast", "办事高效", "Fast"},
	{"professional", "业务专业", "Professional"},
	{"one_visit", "一次办成", "Done in one visit"},
}

// ProblemByKey finds a problem of the aspect catalogue.
func ProblemByKey(key string) (Tag, bool) {
	for _, a := range Aspects {
		for _, p := range a.Problems {
			if p.Key == key {
				return p, true
			}
		}
	}
	return Tag{}, false
}

// PraiseByKey finds a praise tag.
func PraiseByKey(key string) (Tag, bool) {
	for _, t := range PraiseTags {
		if t.Key == key {
			return t, true
		}
	}
	return Tag{}, false
}

// JoinKeys stores a key list in one column.
func JoinKeys(keys []string) string { return strings.Join(keys, ",") }

// SplitKeys reads a key list back from its column.
func SplitKeys(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func isEnglish(lang string) bool { return strings.HasPrefix(strings.ToLower(lang), "en") }
