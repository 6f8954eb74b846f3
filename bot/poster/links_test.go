package poster_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"windowbot/bot/poster"
	"windowbot/bot/telegram"
	"windowbot/bot/wechat"
	"windowbot/bot/wechat/wechattest"
	"windowbot/flows/state"
	"windowbot/internal/testenv"
	"windowbot/internal/text"
	"windowbot/models"
)

var (
	window = poster.Target{WindowCode: "W001"}
	staff  = poster.Target{WindowCode: "W002", StaffNo: "DEMO-002"}
)

// The payload is what every chat channel starts the rating with: /start w_…, /start s_…, and the
// WeChat scene.
func TestTargetPayload(t *testing.T) {
	if got := window.Payload(); got != "w_W001" {
		t.Errorf("window payload %q", got)
	}
	if got := staff.Payload(); got != "s_DEMO-002" {
		t.Errorf("staff payload %q", got)
	}
}

func TestWebLinks(t *testing.T) {
	for _, c := range []struct {
		base   string
		target poster.Target
		want   string
	}{
		{"https://hall.example.cn", window, "https://hall.example.cn/?w=W001"},
		{"https://hall.example.cn/", window, "https://hall.example.cn/?w=W001"},
		{"http://localhost:8080", staff, "http://localhost:8080/?s=DEMO-002"},
	} {
		got, err := poster.WebLinks(c.base).Link(context.Background(), c.target)
		if err != nil || got != c.want {
			t.Errorf("WebLinks(%q).Link(%+v) = %q, %v; want %q", c.base, c.target, got, err, c.want)
		}
	}
}

// The Telegram adapter makes the deep links: with the username configured it asks Telegram
// nothing.
func TestTelegramLinks(t *testing.T) {
	tg, err := telegram.New(telegram.Options{
		Token: "424242:poster-test", APIURL: "http://127.0.0.1:1", Username: "HallRatingBot",
		Handler: &testenv.Handler{}, Logger: testenv.Logger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	l := poster.TelegramLinks(tg)
	for target, want := range map[poster.Target]string{
		window: "https://t.me/HallRatingBot?start=w_W001",
		staff:  "https://t.me/HallRatingBot?start=s_DEMO-002",
	} {
		if got, err := l.Link(context.Background(), target); err != nil || got != want {
			t.Errorf("Link(%+v) = %q, %v; want %q", target, got, err, want)
		}
	}
}

// The WeChat adapter makes a permanent QR code per target through the account's API, its scene
// the target's payload.
func TestWeChatLinks(t *testing.T) {
	api := wechattest.NewAPI(t, "wx1234567890abcdef", "wx-app-secret-value")
	wx, err := wechat.New(wechat.Options{
		AppID: "wx1234567890abcdef", AppSecret: "wx-app-secret-value", Token: "tok3nWeChat", APIURL: api.URL(),
		Handler: &testenv.Handler{}, State: state.NewMemory(nil),
		Citizens: testenv.OpenStore(t, testenv.SQLiteURL(t)), Logger: testenv.Logger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = wx.Close(ctx)
	})
	l := poster.WeChatLinks(wx)
	for _, target := range []poster.Target{window, staff} {
		got, err := l.Link(context.Background(), target)
		if err != nil || got != wechattest.QRURL(target.Payload()) {
			t.Errorf("Link(%+v) = %q, %v; want %q", target, got, err, wechattest.QRURL(target.Payload()))
		}
	}
	if s := api.Scenes(); len(s) != 2 || s[0] != "w_W001" || s[1] != "s_DEMO-002" {
		t.Errorf("scenes %v", s)
	}
}

func TestChannels(t *testing.T) {
	for _, c := range []struct {
		telegram, wechat bool
		want             poster.Channel
	}{
		{true, true, poster.Telegram},
		{true, false, poster.Telegram},
		{false, true, poster.WeChat},
		{false, false, poster.Web},
	} {
		if got := poster.DefaultChannel(c.telegram, c.wechat); got != c.want {
			t.Errorf("DefaultChannel(%v, %v) = %q, want %q", c.telegram, c.wechat, got, c.want)
		}
	}
	for ch, valid := range map[poster.Channel]bool{"telegram": true, "wechat": true, "web": true, "": false, "sms": false, "Web": false} {
		if ch.Valid() != valid {
			t.Errorf("Channel(%q).Valid() = %v", ch, !valid)
		}
	}
}

func TestForWindow(t *testing.T) {
	w := &models.Window{Code: "W001", Name: "不动产登记", Center: &models.Center{Name: "示范政务服务中心"}}
	s := poster.ForWindow(text.ZH, w)
	if s.Name != "W001" || s.Target != window || s.Title != "不动产登记" || s.Subtitle != "窗口 W001 · 示范政务服务中心" || s.Footer == "" {
		t.Fatalf("spec %+v", s)
	}
	p, err := s.Link(context.Background(), poster.WebLinks("https://hall.example.cn"))
	if err != nil || p != (poster.Poster{URL: "https://hall.example.cn/?w=W001", Title: s.Title, Subtitle: s.Subtitle, Footer: s.Footer}) {
		t.Fatalf("poster %+v, %v", p, err)
	}
}

func TestForStaff(t *testing.T) {
	w := &models.Window{Code: "W002", Name: "社保医保"}
	s, err := poster.ForStaff(text.ZH, &models.Staff{StaffNo: "DEMO-002", Name: "李娜", Role: models.RoleStaff, Window: w})
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "DEMO-002" || s.Target != staff || s.Title != "李娜" || s.Subtitle != "工号 DEMO-002 · 窗口 W002 社保医保" {
		t.Fatalf("spec %+v", s)
	}
	for _, c := range []struct {
		st   models.Staff
		want string
	}{
		{models.Staff{StaffNo: "SUP-1", Role: models.RoleSupervisor, Window: w}, "not a window's staff member"},
		{models.Staff{StaffNo: "S-9", Role: models.RoleStaff}, "not a window's staff member"},
		{models.Staff{StaffNo: "HR/17", Role: models.RoleStaff, Window: w}, "cannot be put in a link"},
		{models.Staff{StaffNo: strings.Repeat("A", 41), Role: models.RoleStaff, Window: w}, "cannot be put in a link"},
	} {
		if _, err := poster.ForStaff(text.ZH, &c.st); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ForStaff(%s %s): %v, want %q", c.st.StaffNo, c.st.Role, err, c.want)
		}
	}
}
