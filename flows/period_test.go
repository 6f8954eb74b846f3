package flows_test

import (
	"testing"
	"time"

	"windowbot/internal/testenv"
	"windowbot/internal/testenv/statetest"
)

// shanghai is a moment of November 2026 in the hall's zone.
func shanghai(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, testenv.Shanghai) }

// refusedAsRated checks that starting to rate window is answered with "already rated" (wantText)
// and that no rating question follows.
func refusedAsRated(t *testing.T, r *rig, chat, window, wantText string) {
	t.Helper()
	out := r.say(chat, "/start w_"+window)
	testenv.MustContain(t, out, wantText)
	for _, p := range []string{"rate:staff:skip", "rate:level:4"} {
		if testenv.HasButton(last(out), p) {
			t.Fatalf("at %s the rating went on (button %s) instead of being refused", r.clock.Now().Format(time.DateTime), p)
		}
	}
}

// mustRate rates window at level 4 or 5 like rateQuick, failing first, with the answer, if the
// rating is refused at the clock's time.
func mustRate(t *testing.T, r *rig, chat, window, level string) {
	t.Helper()
	out := r.say(chat, "/start w_"+window)
	if !testenv.HasButton(last(out), "rate:staff:skip") && !testenv.HasButton(last(out), "rate:level:"+level) {
		t.Fatalf("at %s rating %s was refused: %q", r.clock.Now().Format(time.DateTime), window, testenv.Text(out))
	}
	r.say(chat, "/cancel")
	rateQuick(t, r, chat, window, level)
}

// TestRatingDayIsTheHallsDay: "once a day" is the hall's calendar day. At 07:30 in Shanghai it is
// still the day before in UTC, and at 23:30 the same day has begun in UTC since 08:00: a citizen
// who rated at 23:30 may rate again at 07:30 the next morning, and one who rated at 07:30 may not
// rate again at 23:30.
func TestRatingDayIsTheHallsDay(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, url string) {
		clk := testenv.NewClock(shanghai(23, 23, 30)) // Monday 23:30, 15:30 UTC
		r := newRig(t, openStore(t, url), statetest.Memory(t, clk.Now), clk)
		mustRate(t, r, "700", "W001", "4")
		clk.Set(shanghai(24, 7, 30)) // Tuesday 07:30, still Monday 23:30 in UTC
		mustRate(t, r, "700", "W001", "5")
		clk.Set(shanghai(24, 23, 30)) // Tuesday 23:30, Tuesday 15:30 in UTC
		refusedAsRated(t, r, "700", "W001", "今天已经评价过")
		clk.Set(shanghai(25, 0, 0)) // Wednesday midnight: a new day
		mustRate(t, r, "700", "W001", "4")
		rs := r.ratings()
		if len(rs) != 3 {
			t.Fatalf("ratings = %d, want 3 (Monday night, Tuesday morning, Wednesday)", len(rs))
		}
		for i, want := range []time.Time{shanghai(23, 23, 30), shanghai(24, 7, 30), shanghai(25, 0, 0)} {
			if !rs[i].CreatedAt.Equal(want) {
				t.Errorf("rating %d at %s, want %s", i, rs[i].CreatedAt.In(testenv.Shanghai), want)
			}
		}
	})
}

// TestRatingPeriodOfSeveralDays: with a period of three days, a rating on Monday 07:30 holds the
// window until Wednesday ends in the hall's zone, and Thursday 07:30 (Wednesday in UTC) is free.
func TestRatingPeriodOfSeveralDays(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, url string) {
		clk := testenv.NewClock(shanghai(23, 7, 30))
		r := newRigPeriod(t, openStore(t, url), statetest.Memory(t, clk.Now), clk, 3)
		mustRate(t, r, "710", "W001", "4")
		for _, at := range []time.Time{shanghai(24, 12, 0), shanghai(25, 23, 30)} {
			clk.Set(at)
			refusedAsRated(t, r, "710", "W001", "最近 3 天内已经评价过")
		}
		// Another window is not held by the first.
		mustRate(t, r, "710", "W002", "5")
		clk.Set(shanghai(26, 7, 30))
		mustRate(t, r, "710", "W001", "5")
		if n := len(r.ratings()); n != 3 {
			t.Fatalf("ratings = %d, want 3 (W001 Monday and Thursday, W002)", n)
		}
	})
}
