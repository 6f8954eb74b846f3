package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"windowbot/bot/poster"
	"windowbot/bot/wechat"
	"windowbot/bot/wechat/wechattest"
	"windowbot/configs"
)

const (
	wxAppID  = "wx1234567890abcdef"
	wxSecret = "wx-app-secret-value"
	wxToken  = "tok3nWeChat"
	wxAESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
)

func wechatEnv(t *testing.T, api *wechattest.API, extra map[string]string) map[string]string {
	e := baseEnv(t, map[string]string{
		"WINDOWBOT_WECHAT_APP_ID": wxAppID, "WINDOWBOT_WECHAT_APP_SECRET": wxSecret,
		"WINDOWBOT_WECHAT_TOKEN": wxToken, "WINDOWBOT_WECHAT_AES_KEY": wxAESKey,
		"WINDOWBOT_WECHAT_API_URL": api.URL(),
	})
	for k, v := range extra {
		e[k] = v
	}
	return e
}

// TestWeChatMenuAndQR: `wechat menu` installs the three buttons and `qr --channel wechat` makes a
// permanent parametric code per window, both through the configured API URL.
func TestWeChatMenuAndQR(t *testing.T) {
	api := wechattest.NewAPI(t, wxAppID, wxSecret)
	e := wechatEnv(t, api, nil)
	if code, out, errs := runCmd(t, e, "wechat", "menu"); code != 0 || !strings.Contains(out, "menu installed") {
		t.Fatalf("wechat menu: %d %q %q", code, out, errs)
	}
	if m := api.Menus(); len(m) != 1 || !strings.Contains(string(m[0]), `"key":"complain"`) {
		t.Fatalf("menus %s", m)
	}
	if code, _, _ := runCmd(t, e, "wechat"); code != 2 {
		t.Errorf("wechat without a subcommand: exit %d, want 2", code)
	}
	if code, _, errs := runCmd(t, baseEnv(t, nil), "wechat", "menu"); code != 1 || !strings.Contains(errs, "WINDOWBOT_WECHAT_APP_ID") {
		t.Errorf("wechat menu unconfigured: %d %q", code, errs)
	}

	if _, err := poster.FindFont(""); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no CJK font under CI: %v", err)
		}
		t.Skipf("no CJK font: %v", err)
	}
	if code, _, errs := runCmd(t, e, "seed", "--demo"); code != 0 {
		t.Fatal(errs)
	}
	out := filepath.Join(t.TempDir(), "w1.png")
	// WeChat alone configured: posters are WeChat's without asking.
	code, stdout, errs := runCmd(t, e, "qr", "--window", "W001", "--out", out)
	if code != 0 || !strings.Contains(stdout, wechattest.QRURL("w_W001")) {
		t.Fatalf("qr: %d %q %q", code, stdout, errs)
	}
	checkPNG(t, out)
	dir := t.TempDir()
	if code, stdout, errs = runCmd(t, e, "qr", "--all", "--channel", "wechat", "--out", dir); code != 0 {
		t.Fatalf("qr --all: %d %q", code, errs)
	}
	if s := api.Scenes(); len(s) != 6 || s[0] != "w_W001" || s[5] != "w_W005" {
		t.Errorf("scenes %v", s)
	}
	mine := filepath.Join(t.TempDir(), "s2.png")
	if code, stdout, errs = runCmd(t, e, "qr", "--staff", "DEMO-002", "--out", mine); code != 0 || !strings.Contains(stdout, wechattest.QRURL("s_DEMO-002")) {
		t.Fatalf("qr --staff: %d %q %q", code, stdout, errs)
	}
	checkPNG(t, mine)
	if n := api.TokenFetches(); n > 4 {
		t.Errorf("token fetched %d times for four commands", n)
	}
}

// TestServeWeChat: serve answers signed safe-mode callbacks on /wechat with the rating dialog,
// refuses a forged one, and keeps the secrets out of the log.
func TestServeWeChat(t *testing.T) {
	api := wechattest.NewAPI(t, wxAppID, wxSecret)
	base, stderr := startServe(t, wechatEnv(t, api, map[string]string{"WINDOWBOT_LOG_LEVEL": "debug"}))
	crypto, err := wechat.NewCrypto(wxAppID, wxAESKey)
	if err != nil {
		t.Fatal(err)
	}
	c := &wechattest.Client{URL: base + "/wechat", Token: wxToken, AppID: wxAppID, Crypto: crypto, Account: "gh_0123456789ab"}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const user = "oServe00000000000000000000001"
	rep, err := c.Send(ctx, c.Event(user, "subscribe", "qrscene_w_W001", time.Now().Unix()))
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Passive || !strings.Contains(rep.Text, "W001") || !strings.Contains(rep.Text, "1. 张伟") {
		t.Fatalf("scan reply %+v", rep)
	}
	rep, err = c.Send(ctx, c.Text(user, "1", 1))
	if err != nil || !rep.Passive || !strings.Contains(rep.Text, "1. ★★★★★ 非常满意") {
		t.Fatalf("staff reply %+v, %v", rep, err)
	}
	forged := *c
	forged.Token = "forged"
	if rep, err := forged.Send(ctx, c.Text(user, "1", 2)); err != nil || rep.Status != 403 {
		t.Fatalf("forged callback: %+v, %v", rep, err)
	}
	log := stderr.String()
	for _, secret := range []string{wxSecret, wxToken, wxAESKey} {
		if strings.Contains(log, secret) {
			t.Fatalf("%q reached the log:\n%s", secret, log)
		}
	}
}

// The configuration accepts the default template under the key the WeChat sender looks it up by.
func TestDefaultTemplateKey(t *testing.T) {
	if configs.DefaultTemplate != wechat.DefaultTemplate {
		t.Errorf("configs.DefaultTemplate %q, wechat.DefaultTemplate %q", configs.DefaultTemplate, wechat.DefaultTemplate)
	}
}
