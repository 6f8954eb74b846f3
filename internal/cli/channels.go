package cli

import (
	"context"
	"errors"
	"time"

	"windowbot/bot"
	"windowbot/bot/telegram"
	"windowbot/bot/wechat"
	"windowbot/flows"
	"windowbot/models"
)

// noUpdates is the handler of a channel built only to call its platform's API (the menu, QR
// codes, deep links): it is never asked anything.
func noUpdates(context.Context, bot.Inbound) ([]bot.Reply, error) { return nil, nil }

// telegram builds the Telegram channel over h, deduplicating updates in st.
func (a *app) telegram(h bot.Handler, st flows.State) (*telegram.Adapter, error) {
	return telegram.New(telegram.Options{
		Token: a.cfg.Telegram.Token, APIURL: a.cfg.Telegram.APIURL, Mode: a.cfg.Telegram.Mode,
		WebhookSecret: a.cfg.Telegram.WebhookSecret, Username: a.cfg.Telegram.Username,
		Handler: h, Dedupe: st, Logger: a.logger,
		// A webhook turn must finish inside the server's write timeout.
		HandleTimeout: 25 * time.Second,
	})
}

// wechat builds the WeChat channel over h; st keeps its dedupe keys and shares its access token.
func (a *app) wechat(h bot.Handler, st flows.State, store *models.Store) (*wechat.Adapter, error) {
	w := a.cfg.WeChat
	return wechat.New(wechat.Options{
		AppID: w.AppID, AppSecret: w.AppSecret, Token: w.Token, AESKey: w.AESKey, APIURL: w.APIURL,
		ReplyBudget: w.ReplyBudget, TimestampWindow: w.TimestampWindow, Templates: w.Templates,
		Lang: a.cfg.Language, Handler: h, State: st, Citizens: store, Logger: a.logger,
	})
}

// wechatAPI opens what a command calling the WeChat API needs: the state store, where the access
// token is shared with running replicas, and the adapter. release closes both.
func (a *app) wechatAPI(ctx context.Context, store *models.Store) (wx *wechat.Adapter, release func(), err error) {
	if a.cfg.WeChat.AppID == "" {
		return nil, nil, errors.New("wechat: set WINDOWBOT_WECHAT_APP_ID, _APP_SECRET and _TOKEN first")
	}
	st, err := a.openState(ctx)
	if err != nil {
		return nil, nil, err
	}
	if wx, err = a.wechat(bot.HandlerFunc(noUpdates), st, store); err != nil {
		st.Close()
		return nil, nil, err
	}
	return wx, func() { _ = wx.Close(context.Background()); st.Close() }, nil
}
