package models

import (
	"slices"
	"testing"
	"time"
)

// TestLevels: the five national levels, which of them are a bad review (1–2) and which ask
// what went wrong (1–3). Their wording is the text catalog's (internal/text).
func TestLevels(t *testing.T) {
	for _, tc := range []struct {
		l                  Level
		valid, bad, aspect bool
	}{
		{0, false, false, false},
		{VeryDissatisfied, true, true, true},
		{Dissatisfied, true, true, true},
		{Basic, true, false, true},
		{Satisfied, true, false, false},
		{VerySatisfied, true, false, false},
		{6, false, false, false},
	} {
		if tc.l.Valid() != tc.valid || tc.l.Bad() != tc.bad || tc.l.AsksAspects() != tc.aspect {
			t.Errorf("level %d: valid %v bad %v asks aspects %v; want %v %v %v", tc.l, tc.l.Valid(), tc.l.Bad(), tc.l.AsksAspects(), tc.valid, tc.bad, tc.aspect)
		}
	}
	if !slices.Equal(Levels, []Level{5, 4, 3, 2, 1}) {
		t.Errorf("Levels = %v, want best first", Levels)
	}
}

// TestCatalogueLookups: problems, praise and categories are found by their stored keys only.
func TestCatalogueLookups(t *testing.T) {
	for _, key := range []string{"conduct.favours", "efficiency.slow"} {
		if !IsProblem(key) {
			t.Errorf("IsProblem(%q) = false", key)
		}
	}
	for _, key := range []string{"", "conduct", "conduct.unknown"} {
		if IsProblem(key) {
			t.Errorf("IsProblem(%q) = true", key)
		}
	}
	if !IsPraise("one_visit") || IsPraise("slow") {
		t.Error("IsPraise: one_visit is praise, slow is not")
	}
	if !IsCategory(CategoryNotDone) || IsCategory("efficiency.slow") {
		t.Error("IsCategory: not_done is a category, a problem key is not")
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
	open := map[TicketState]bool{StateSubmitted: true, StateAccepted: true, StateRectifying: true, StateReopened: true,
		StateAppealed: true, StatePendingReview: true}
	for _, s := range TicketStates {
		if s.Open() != open[s] {
			t.Errorf("%s open %v, want %v", s, s.Open(), open[s])
		}
		if s.Final() != (s == StateClosed || s == StateReferred) {
			t.Errorf("%s final %v", s, s.Final())
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
