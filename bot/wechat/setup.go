package wechat

import (
	"context"
	"fmt"

	"github.com/silenceper/wechat/v2/officialaccount/basic"
	"github.com/silenceper/wechat/v2/officialaccount/menu"

	"windowbot/flows"
)

// menuNames are the labels of the menu's three buttons (at most 4 Chinese characters each fit).
var menuNames = map[string][3]string{
	flows.LangZH: {"评价窗口", "我要投诉", "进度查询"},
	flows.LangEN: {"Rate", "Complain", "Track"},
}

// InstallMenu replaces the account's menu with the three buttons rate, complain and track.
func (a *Adapter) InstallMenu(ctx context.Context) error {
	names := menuNames[a.lang]
	buttons := []*menu.Button{
		new(menu.Button).SetClickButton(names[0], "rate"),
		new(menu.Button).SetClickButton(names[1], "complain"),
		new(menu.Button).SetClickButton(names[2], "track"),
	}
	if err := a.api.call(ctx, "/cgi-bin/menu/create", map[string]any{"button": buttons}, nil); err != nil {
		return fmt.Errorf("wechat: install menu: %w", err)
	}
	return nil
}

// QRCodeURL creates the permanent parametric QR code (QR_LIMIT_STR_SCENE) of a window, scene
// "w_<code>", and returns the URL to encode in the poster's QR code. Asking again for the same
// scene returns the same code, so printing posters twice is harmless.
func (a *Adapter) QRCodeURL(ctx context.Context, windowCode string) (string, error) {
	if !flows.WindowCodePattern.MatchString(windowCode) {
		return "", fmt.Errorf("wechat: QR code: %q is not a window code", windowCode)
	}
	// A string scene: an integer scene would be a QR_LIMIT_SCENE, and the SDK panics on int64.
	req := basic.NewLimitQrRequest(Scene(windowCode))
	var t basic.Ticket
	if err := a.api.call(ctx, "/cgi-bin/qrcode/create", req, &t); err != nil {
		return "", fmt.Errorf("wechat: QR code of window %s: %w", windowCode, err)
	}
	if t.URL == "" {
		return "", fmt.Errorf("wechat: QR code of window %s: answer without url", windowCode)
	}
	return t.URL, nil
}
