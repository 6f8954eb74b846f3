package models

import (
	"slices"
	"testing"
	"time"
)

// TestLevels: the five national levels, which of them are a bad review (1–2) and which ask
// what went wrong (1–3), and their national wording.
func TestLevels(t *testing.T) {
	for _, tc := range []struct {
		l                  Level
		valid, bad, aspect bool
		zh, en             string
	}{
		{0, false, false, false, "", ""},
		{VeryDissatisfied, true, true, true, "非常不满意", "Very dissatisfied"},
		{Dissatisfied, true, true, true, "不满意", "Dissatisfied"},
		{Basic, true, false, true, "基本满意", "Basically satisfied"},
		{Satisfied, true, false, false, "满意", "Satisfied"},
		{VerySatisfied, true, false, false, "非常满意", "Very satisfied"},
		{6, false, false, false, "", ""},
	} {
		if tc.l.Valid() != tc.valid || tc.l.Bad() != tc.bad || tc.l.AsksAspects() != tc.aspect {
			t.Errorf("level %d: valid %v bad %v asks aspects %v; want %v %v %v", tc.l, tc.l.Valid(), tc.l.Bad(), tc.l.AsksAspects(), tc.valid, tc.bad, tc.aspect)
		}
		if got := tc.l.Label("zh-CN"); got != tc.zh {
			t.Errorf("level %d in Chinese: %q, want %q", tc.l, got, tc.zh)
		}
		if got := tc.l.Label("EN-gb"); got != tc.en {
			t.Errorf("level %d in English: %q, want %q", tc.l, got, tc.en)
		}
	}
	if !slices.Equal(Levels, []Level{5, 4, 3, 2, 1}) {
		t.Errorf("Levels = %v, want best first", Levels)
	}
}

// TestCatalogueLookups: problems, praise and categories are found by their stored keys only.
func TestCatalogueLookups(t *testing.T) {
	if p, ok := ProblemByKey("conduct.favours"); !ok || p.Label("zh-CN") != "吃拿卡要" || p.Label("en") != "Asking for favours" {
		t.Errorf("ProblemByKey(conduct.favours) = %+v %v", p, ok)
	}
	if p, ok := ProblemByKey("efficiency.slow"); !ok || p.Zh != "办事拖沓" {
		t.Errorf("ProblemByKey(efficiency.slow) = %+v %v", p, ok)
	}
	for _, key := range []string{"", "conduct", "conduct.unknown"} {
		if _, ok := ProblemByKey(key); ok {
			t.Errorf("ProblemByKey(%q) found something", key)
		}
	}
	if p, ok := PraiseByKey("one_visit"); !ok || p.Zh != "一次办成" {
		t.Errorf("PraiseByKey(one_visit) = %+v %v", p, ok)
	}
	if _, ok := PraiseByKey("slow"); ok {
		t.Error("PraiseByKey(slow) found something")
	}
	if c, ok := CategoryByKey(CategoryNotDone); !ok || c.Zh != "办不成事" {
		t.Errorf("CategoryByKey(not_done) = %+v %v", c, ok)
	}
	if _, ok := CategoryByKey("efficiency.slow"); ok {
		t.Error("a problem key found as a category")
	}
	if got := SplitKeys(JoinKeys([]string{"a.b", "c"})); !slices.Equal(got, []string{"a.b", "c"}) {
		t.Errorf("keys round trip = %v", got)
	}
	if got := SplitKeys(""); got != nil {
		t.Errorf("SplitKeys(\"\") = %#v, want nil", got)
	}
}

// TestTicketStatePredicates: which states are open (deadlines, reminders, the duplicate hint),
// which is final, and which deadline a ticket is working against.
func TestTicketStatePredicates(t *testing.T) {
	open := map[TicketState]bool{StateSubmitted: true, StateAccepted: true, StateRectifying: true, StateReopened: true, StateAppealed: true}
	for _, s := range TicketStates {
		if s.Open() != open[s] {
			t.Errorf("%s open %v, want %v", s, s.Open(), open[s])
		}
		if s.Final() != (s == StateClosed) {
			t.Errorf("%s final %v", s, s.Final())
		}
		if s.Label("zh-CN") == "" || s.Label("en") == "" || s.Label("zh-CN") == s.Label("en") {
			t.Errorf("%s labels %q / %q", s, s.Label("zh-CN"), s.Label("en"))
		}
	}
	cb, rd := time.Date(2026, 11, 24, 15, 59, 0, 0, time.UTC), time.Date(2026, 12, 14, 15, 59, 0, 0, time.UTC)
	for _, s := range TicketStates {
		tk := Ticket{State: s, CallbackDue: cb, RectifyDue: rd}
		var want time.Time
		switch s {
		case StateSubmitted:
			want = cb
		case StateAccepted, StateRectifying, StateReopened:
			want = rd
		}
		if !tk.Due().Equal(want) {
			t.Errorf("%s due %s, want %s", s, tk.Due(), want)
		}
	}
	tk := Ticket{}
	if tk.Public() {
		t.Error("an unpublished ticket is public")
	}
	tk.PublishedAt = &cb
	if !tk.Public() {
		t.Error("a published ticket is not public")
	}
}

// TestRankTies: equal adjusted scores go to the better good-review rate, then to more ratings,
// then to the lower ID; ranks count from 1; tallies below the minimum are left out.
func TestRankTies(t *testing.T) {
	ts := []Tally{
		{ID: 9, ByLevel: [5]int{0, 0, 5, 0, 5}},
		{ID: 6, ByLevel: [5]int{0, 0, 0, 0, 2}}, // below the minimum; those after it still count
		{ID: 4, ByLevel: [5]int{0, 0, 10, 0, 10}},
		{ID: 3, ByLevel: [5]int{0, 0, 10, 0, 10}},
		{ID: 5, ByLevel: [5]int{0, 0, 1, 0, 9}},
	}
	r := Rank(ts, 3)
	var ids []uint
	for i, x := range r {
		ids = append(ids, x.ID)
		if x.Rank != i+1 {
			t.Errorf("%d at place %d has rank %d", x.ID, i+1, x.Rank)
		}
	}
	if !slices.Equal(ids, []uint{5, 3, 4, 9}) {
		t.Errorf("order %v, want 5 (good rate), 3 and 4 (more ratings, then ID), 9; 6 left out", ids)
	}
	if got := Rank(ts[:1], 0); len(got) != 1 || got[0].Score != 1 {
		t.Errorf("minimum 0: %+v, want the one tally at its own rate", got)
	}
	if got := Rank([]Tally{{ID: 1}}, 0); len(got) != 0 {
		t.Errorf("a tally without ratings ranked: %+v", got)
	}
	if s := Sum(ts); s.Total() != 62 || s.Satisfied() != 62 || s.Good() != 36 || s.Bad() != 0 {
		t.Errorf("Sum = %+v", s)
	}
	if s := Sum([]Tally{{ID: 1, CenterID: 2, ByLevel: [5]int{1, 0, 2, 0, 1}}, {ID: 2, ByLevel: [5]int{1, 0, 0, 0, 1}}}); s != (Tally{ByLevel: [5]int{2, 0, 2, 0, 2}}) {
		t.Errorf("Sum = %+v, want 6 ratings, 4 satisfied, 2 good, 2 bad, no ID", s)
	}
	if (Tally{}).SatisfactionRate() != 0 || (Tally{ByLevel: [5]int{1, 0, 2, 0, 1}}).GoodRate() != 0.25 {
		t.Error("tally rates")
	}
}
