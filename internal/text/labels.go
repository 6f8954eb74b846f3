package text

import (
	"strconv"
	"strings"
	"time"
)

// The helpers below build the keys of labels from domain codes. The codes come from models
// (levels, aspects, praise, categories, ticket states); the catalog's tests check that every code
// has its label and every label its code.

// Level is the national wording of rating level n: 5 非常满意 … 1 非常不满意.
func Level(lang string, n int) string { return T(lang, "level."+strconv.Itoa(n)) }

// Stars shows a level as five stars, n of them filled: the count reads the same in every font
// with Chinese (★☆ are in GB 2312), colour or not.
func Stars(n int) string {
	n = max(0, min(n, 5))
	return strings.Repeat("★", n) + strings.Repeat("☆", 5-n)
}

// LevelButton is the label of level n's button or numbered line: its stars and its name.
func LevelButton(lang string, n int) string {
	return T(lang, "btn_level", "Stars", Stars(n), "Level", Level(lang, n))
}

// Aspect names one of the four aspects ("efficiency") or one of their problems
// ("efficiency.slow").
func Aspect(lang, key string) string { return T(lang, "aspect."+key) }

// Praise names what a citizen said was good ("warm").
func Praise(lang, key string) string { return T(lang, "praise."+key) }

// Category names a complaint category. A code the catalog does not know is shown as it is.
func Category(lang, key string) string {
	if k := "category." + key; Has(lang, k) {
		return T(lang, k)
	}
	return key
}

// State names a ticket state for citizens and staff.
func State(lang, state string) string { return T(lang, "state."+state) }

// Day is a deadline's day: "2026年11月23日 周一", "Mon 23 Nov 2026". t is in the hall's zone.
func Day(lang string, t time.Time) string {
	return T(lang, "date.day", "Year", t.Year(), "Month", monthShort(lang, t.Month()), "Day", t.Day(),
		"Weekday", T(lang, "weekday."+strconv.Itoa(int(t.Weekday()))))
}

// Stamp is the moment of an event: "11月23日 10:05", "23 Nov 10:05". t is in the hall's zone.
func Stamp(lang string, t time.Time) string {
	return T(lang, "date.stamp", "Month", monthShort(lang, t.Month()), "Day", t.Day(), "Time", t.Format("15:04"))
}

// MonthYear names a month with the month spelled out: "2026年10月", "October 2026".
func MonthYear(lang string, year int, m time.Month) string {
	return T(lang, "date.month_year", "Year", year, "Month", T(lang, "month."+strconv.Itoa(int(m))))
}

// MonthYearShort names a month briefly: "2026年10月", "Oct 2026".
func MonthYearShort(lang string, year int, m time.Month) string {
	return T(lang, "date.month_year", "Year", year, "Month", monthShort(lang, m))
}

// Year names a calendar year: "2026年", "2026".
func Year(lang string, year int) string { return T(lang, "date.year", "Year", year) }

func monthShort(lang string, m time.Month) string {
	return T(lang, "month_short."+strconv.Itoa(int(m)))
}

// StaffEvent says what a ticket event was in the words of staff and supervisors (the citizen's
// timeline speaks to the citizen): action is the event's action ("done"), to the state it led to
// ("reopened"), both the codes of models. An action the catalog does not know is shown as it is.
func StaffEvent(lang, action, to string) string {
	switch {
	case action == "rerate" && to == "reopened":
		return T(lang, "sev_reopened")
	case action == "rerate":
		return T(lang, "sev_rerated")
	case action == "review" && to == "accepted":
		return T(lang, "sev_review_accepted")
	case action == "review" && to == "closed":
		return T(lang, "sev_review_closed")
	case action == "review":
		return T(lang, "sev_review_resumed")
	}
	if key, ok := staffEventKeys[action]; ok {
		return T(lang, key)
	}
	return action
}

// staffEventKeys are the catalog keys of StaffEvent's events that depend on the action alone.
var staffEventKeys = map[string]string{
	"submit": "sev_submit", "accept": "sev_accept", "reject": "sev_reject", "plan": "sev_plan",
	"done": "sev_done", "expire": "sev_expire", "appeal": "sev_appeal", "escalate": "sev_escalate",
	"publish": "sev_publish", "assign": "sev_assign", "chase": "sev_chase", "join": "sev_join",
	"approve": "sev_approve", "sendback": "sev_sendback", "refer": "sev_refer",
}
