package wechat

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/basic"
	"github.com/silenceper/wechat/v2/officialaccount/menu"

	"windowbot/internal/text"
	"windowbot/models"
)

// InstallMenu replaces the account's menu with the three buttons rate, complain and track, named
// in the channel's language (a menu button fits at most 4 Chinese characters).
func (a *Adapter) InstallMenu(ctx context.Context) error {
	buttons := []*menu.Button{
		new(menu.Button).SetClickButton(text.T(a.lang, "wechat.menu_rate"), "rate"),
		new(menu.Button).SetClickButton(text.T(a.lang, "wechat.menu_complain"), "complain"),
		new(menu.Button).SetClickButton(text.T(a.lang, "wechat.menu_track"), "track"),
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
	if !models.WindowCodePattern.MatchString(windowCode) {
		return "", fmt.Errorf("wechat: QR code: %q is not a window code", windowCode)
	}
	return a.qrCode(ctx, Scene(windowCode), "window "+windowCode)
}

// StaffQRCodeURL creates the permanent parametric QR code of a staff member's own poster, scene
// "s_<staff no>": scanning it rates their window with them chosen. Staff numbers outside
// models.StaffLinkPattern have none. Permanent codes are limited per account (100 000), so
// personal codes are made for the people who ask for a poster, not for everybody at once.
func (a *Adapter) StaffQRCodeURL(ctx context.Context, staffNo string) (string, error) {
	if !models.StaffLinkPattern.MatchString(staffNo) {
		return "", fmt.Errorf("wechat: QR code: staff number %q cannot be put in a QR scene (A-Z a-z 0-9 _ -, at most 40)", staffNo)
	}
	return a.qrCode(ctx, StaffScene(staffNo), "staff member "+staffNo)
}

// CaseQRCodeURL creates a temporary parametric QR code (QR_STR_SCENE) of a case's rating
// invitation, scene "c_<token>", valid for expire (WeChat keeps temporary codes 30 days at most):
// scanning it follows the account if needed and opens the rating of that case.
func (a *Adapter) CaseQRCodeURL(ctx context.Context, token string, expire time.Duration) (string, error) {
	if !models.CaseTokenPattern.MatchString(token) {
		return "", fmt.Errorf("wechat: QR code: %q is not an invitation token", token)
	}
	expire = min(max(expire, time.Minute), 30*24*time.Hour)
	var t basic.Ticket
	if err := a.api.call(ctx, "/cgi-bin/qrcode/create", basic.NewTmpQrRequest(expire, CaseScene(token)), &t); err != nil {
		return "", fmt.Errorf("wechat: QR code of an invitation: %w", err)
	}
	if t.URL == "" {
		return "", errors.New("wechat: QR code of an invitation: answer without url")
	}
	return t.URL, nil
}

func (a *Adapter) qrCode(ctx context.Context, scene, what string) (string, error) {
	// A string scene: an integer scene would be a QR_LIMIT_SCENE, and the SDK panics on int64.
	req := basic.NewLimitQrRequest(scene)
	var t basic.Ticket
	if err := a.api.call(ctx, "/cgi-bin/qrcode/create", req, &t); err != nil {
		return "", fmt.Errorf("wechat: QR code of %s: %w", what, err)
	}
	if t.URL == "" {
		return "", fmt.Errorf("wechat: QR code of %s: answer without url", what)
	}
	return t.URL, nil
}
