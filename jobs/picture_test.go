package jobs_test

import (
	"bytes"
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

// TestPictureThroughDispatcher sends a push that carries a picture through the pipeline to the
// real WeChat adapter and the fake WeChat API: the stored PNG is uploaded once as temporary
// media and goes as an image message before the text to each recipient. A push whose picture is
// gone from the database goes as its text alone.
func TestPictureThroughDispatcher(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := ctxT(t)
		const appID, secret = "wx1234567890abcdef", "s3cret-app-secret"
		api := wechattest.NewAPI(t, appID, secret)
		t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, testenv.Shanghai)
		clk := newClock(t0)
		wx, err := wechat.New(wechat.Options{AppID: appID, AppSecret: secret, Token: "tok3n", APIURL: api.URL(),
			State: state.NewMemory(nil), Citizens: s, Logger: testenv.Logger(), Now: clk.Now,
			Handler: bot.HandlerFunc(func(context.Context, bot.Inbound) ([]bot.Reply, error) { return nil, nil })})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = wx.Close(context.Background()) })
		var cs []*models.Citizen
		for _, id := range []string{"oFan100000000000000000000001", "oFan200000000000000000000002", "oFan300000000000000000000003"} {
			c, err := s.TouchCitizen(ctx, "wechat", id, "zh-CN", t0.Add(-time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			cs = append(cs, c)
		}
		pic, err := models.NewPicture(wechattest.PNG())
		if err != nil {
			t.Fatal(err)
		}
		withPicture := func(key string, c *models.Citizen, hash string) *models.Push {
			p := push(key, c)
			p.Kind, p.PictureHash = jobs.KindMonthlyStar, hash
			return p
		}
		if _, err := s.EnqueueWithPictures(ctx, t0, []*models.Picture{pic}, []*models.Push{
			withPicture("a", cs[0], pic.Hash), withPicture("b", cs[1], pic.Hash),
			withPicture("c", cs[2], models.PictureHash([]byte("never stored"))),
		}); err != nil {
			t.Fatal(err)
		}
		d := jobs.NewDispatcher(jobs.DispatcherOptions{Outbox: s, Senders: jobs.Senders{bot.WeChat: wx}, Now: clk.Now, Logger: testenv.Logger()})
		drain(t, ctx, d)
		for _, k := range []string{"a", "b", "c"} {
			if p := pushByKey(t, s, k); p.State != models.PushSent {
				t.Errorf("%s: %s (%s)", k, p.State, p.LastError)
			}
		}
		byUser := map[string][]wechattest.Sent{}
		for _, m := range api.Custom() {
			byUser[m.ToUser] = append(byUser[m.ToUser], m)
		}
		for _, c := range cs[:2] {
			got := byUser[c.ExternalID]
			if len(got) != 2 || !bytes.Equal(got[0].Image, pic.Data) || got[1].Text == "" {
				t.Errorf("%s got %+v; want the picture, then the text", c.ExternalID, got)
			}
		}
		if got := byUser[cs[2].ExternalID]; len(got) != 1 || got[0].Image != nil || got[0].Text == "" {
			t.Errorf("push without its picture: %+v; want the text alone", got)
		}
		if n := api.Uploads(); n != 1 {
			t.Errorf("uploads %d, want 1 for both recipients", n)
		}
	})
}
