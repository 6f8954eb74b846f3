package jobs_test

import (
	"context"
	"testing"
	"time"

	"windowbot/bot"
	"windowbot/bot/wechat"
	"windowbot/bot/wechat/wechattest"
	"windowbot/flows/state"
	"windowbot/internal/testenv"
	"windowbot/jobs"
	"windowbot/models"
)

// TestWeChatThroughDispatcher sends pushes through the real WeChat adapter to the fake WeChat
// API: its error classes drive the pipeline — an unfollowed citizen is dropped and marked
// inactive, a minute quota is waited out, a notice outside the 48-hour window goes as a template
// or, without one, fails with its reason.
func TestWeChatThroughDispatcher(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := ctxT(t)
		const appID, secret, custom = "wx1234567890abcdef", "s3cret-app-secret", "/cgi-bin/message/custom/send"
		api := wechattest.NewAPI(t, appID, secret)
		t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, testenv.Shanghai)
		clk := newClock(t0)
		wx, err := wechat.New(wechat.Options{AppID: appID, AppSecret: secret, Token: "tok3n", APIURL: api.URL(),
			Templates: map[string]string{jobs.KindMonthlyStar: "TPL-STAR"}, State: state.NewMemory(nil), Citizens: s,
			Handler: bot.HandlerFunc(func(context.Context, bot.Inbound) ([]bot.Reply, error) { return nil, nil }),
			Logger:  testenv.Logger(), Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = wx.Close(context.Background()) })
		touch := func(openID string, seen time.Time) *models.Citizen {
			c, err := s.TouchCitizen(ctx, "wechat", openID, "zh-CN", seen)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		recent := touch("oRecent000000000000000000001", t0.Add(-time.Hour))
		old := touch("oOld00000000000000000000002", t0.Add(-72*time.Hour))
		gone := touch("oGone000000000000000000003", t0.Add(-time.Hour))
		busy := touch("oBusy000000000000000000004", t0.Add(-time.Hour))
		noTpl := touch("oNoTpl0000000000000000005", t0.Add(-72*time.Hour))
		api.Fail(custom, gone.ExternalID, 43004, 0)
		api.Fail(custom, busy.ExternalID, 45011, 1)
		star := func(key string, c *models.Citizen, kind string) *models.Push {
			p := push(key, c)
			p.Kind = kind
			return p
		}
		enqueue(t, s, t0, push("recent", recent), star("old", old, jobs.KindMonthlyStar), push("gone", gone),
			push("busy", busy), star("notpl", noTpl, jobs.KindDailyDigest))

		d := jobs.NewDispatcher(jobs.DispatcherOptions{Outbox: s, Senders: jobs.Senders{bot.WeChat: wx}, Now: clk.Now, Logger: testenv.Logger(),
			Retry: jobs.RetryPolicy{Base: time.Second, Cap: time.Minute, MaxAttempts: 3}})
		drain(t, ctx, d)
		want := func(key, state string) models.Push {
			t.Helper()
			p := pushByKey(t, s, key)
			if p.State != state {
				t.Errorf("%s: %s (%s), want %s", key, p.State, p.LastError, state)
			}
			return p
		}
		want("recent", models.PushSent)
		want("old", models.PushSent)
		want("gone", models.PushDropped)
		want("notpl", models.PushFailed)
		if p := want("busy", models.PushQueued); !p.NotBefore.Equal(t0.Add(time.Minute)) {
			t.Errorf("minute quota: due %s, want a minute later", p.NotBefore)
		}
		var g models.Citizen
		testenv.DB(t, s).First(&g, gone.ID)
		if !g.Inactive {
			t.Error("unfollowed citizen not marked inactive")
		}
		clk.Add(time.Minute)
		drain(t, ctx, d)
		want("busy", models.PushSent)
		if n := len(api.Custom()); n != 2 {
			t.Errorf("customer-service messages %d, want 2 (recent, busy)", n)
		}
		if ts := api.Templates(); len(ts) != 1 || ts[0].TemplateID != "TPL-STAR" || ts[0].ToUser != old.ExternalID {
			t.Errorf("templates = %+v", ts)
		}

		// With a default template, the jobs' kinds reach a citizen silent for over 48 hours too.
		wxd, err := wechat.New(wechat.Options{AppID: appID, AppSecret: secret, Token: "tok3n", APIURL: api.URL(),
			Templates: map[string]string{jobs.KindMonthlyStar: "TPL-STAR", wechat.DefaultTemplate: "TPL-DEFAULT"},
			State:     state.NewMemory(nil), Citizens: s, Logger: testenv.Logger(), Now: clk.Now,
			Handler: bot.HandlerFunc(func(context.Context, bot.Inbound) ([]bot.Reply, error) { return nil, nil })})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = wxd.Close(context.Background()) })
		d = jobs.NewDispatcher(jobs.DispatcherOptions{Outbox: s, Senders: jobs.Senders{bot.WeChat: wxd}, Now: clk.Now, Logger: testenv.Logger()})
		kinds := []string{jobs.KindDeadlineReminder, jobs.KindDailyDigest, jobs.KindRerateReminder, jobs.KindMonthlyReport,
			jobs.KindYearlyRanking, models.KindRectificationNotice}
		for _, k := range kinds {
			enqueue(t, s, clk.Now(), star("default-"+k, noTpl, k))
		}
		drain(t, ctx, d)
		for _, k := range kinds {
			want("default-"+k, models.PushSent)
		}
		ts := api.Templates()
		if len(ts) != 1+len(kinds) {
			t.Fatalf("templates = %+v", ts)
		}
		for _, tm := range ts[1:] {
			if tm.TemplateID != "TPL-DEFAULT" || tm.ToUser != noTpl.ExternalID {
				t.Errorf("template %+v, want TPL-DEFAULT to %s", tm, noTpl.ExternalID)
			}
		}
	})
}
