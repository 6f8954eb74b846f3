package cli

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"windowbot/bot"
	"windowbot/bot/sms"
	"windowbot/flows/state"
	"windowbot/jobs"
	"windowbot/models"
)

// cmdPush is `windowbot push failed [--limit N]`: the pushes given up on, newest first.
func cmdPush(ctx context.Context, a *app, args []string) error {
	if len(args) == 0 || args[0] != "failed" {
		fmt.Fprintln(a.stderr, "push: say failed")
		return errUsage
	}
	fs := flags("push failed", a.stderr)
	limit := fs.Int("limit", 50, "show at most this many")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	store, err := a.openStoreReading(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	ps, err := store.FailedPushes(ctx, *limit)
	if err != nil {
		return err
	}
	if len(ps) == 0 {
		fmt.Fprintln(a.stdout, "no failed pushes")
		return nil
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tCHANNEL\tCITIZEN\tATTEMPTS\tFAILED AT\tREASON")
	for _, p := range ps {
		channel := "?"
		if p.Citizen != nil {
			channel = p.Citizen.Platform
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%d\t%s\t%s\n", p.ID, p.Kind, channel, p.CitizenID, p.Attempts,
			p.UpdatedAt.In(a.loc).Format("2006-01-02 15:04"), p.LastError)
	}
	return tw.Flush()
}

// dispatcher builds the push pipeline over senders. With Redis, every replica draws on one
// pace per platform (jobs.SharedLimiter), so together they keep the platform's limits; without
// it, the single replica paces itself.
func (a *app) dispatcher(store *models.Store, senders jobs.Senders, st sharedState, metrics *jobs.Metrics) (*jobs.Dispatcher, error) {
	p := a.cfg.Push
	quiet, err := jobs.ParseQuietHours(p.QuietHours, a.loc)
	if err != nil {
		return nil, err
	}
	pace := func(key string, perSecond int, perChat time.Duration) jobs.Pacer {
		if r, ok := st.(*state.Redis); ok {
			return jobs.NewSharedLimiter(r, key, perSecond, perChat, a.logger)
		}
		return jobs.NewLimiter(perSecond, perChat)
	}
	return jobs.NewDispatcher(jobs.DispatcherOptions{
		Outbox: store, Senders: senders, Marks: st, Metrics: metrics, Logger: a.logger,
		Quiet: quiet, Announcements: jobs.Announcements, Lang: a.cfg.Language, Location: a.loc,
		Limits: map[bot.Platform]jobs.Pacer{
			// Keyed by the bot and the account, whose limits they are: deployments that share a
			// Redis with different bots do not slow each other down.
			bot.Telegram: pace("telegram:"+telegramBotID(a.cfg.Telegram.Token), p.TelegramRate, p.TelegramChatInterval),
			bot.WeChat:   pace("wechat:"+a.cfg.WeChat.AppID, p.WeChatRate, p.WeChatChatInterval),
			bot.SMS:      pace("sms:"+a.cfg.SMS.Provider, max(a.cfg.SMS.Rate, 1), 0),
		},
		Retry:   jobs.RetryPolicy{Base: p.RetryBase, Cap: p.RetryCap, MaxAttempts: p.MaxAttempts},
		Workers: p.Workers, Batch: p.Batch, Lease: p.Lease, Poll: p.PollInterval,
	}), nil
}

// telegramBotID is the bot's numeric id, the part of its token before the colon (public: it is
// the bot's user id); never the secret after it.
func telegramBotID(token string) string {
	id, _, ok := strings.Cut(token, ":")
	if !ok {
		return "" // not a token of the usual form: nothing of it is safe to show
	}
	return id
}

var _ jobs.PaceStore = (*state.Redis)(nil)

// smsSender is the SMS sender of the configured provider (Tencent Cloud or the hall's own
// gateway); the dispatcher hands it the pushes to phone numbers (invitations by SMS, reminders).
func (a *app) smsSender() (*sms.Sender, error) {
	c := a.cfg.SMS
	return sms.New(sms.Config{
		Provider: c.Provider, Templates: c.Templates, TemplateParams: c.TemplateParams,
		Tencent: sms.TencentConfig{
			SecretID: c.Tencent.SecretID, SecretKey: c.Tencent.SecretKey, SdkAppID: c.Tencent.SDKAppID,
			SignName: c.Tencent.SignName, Region: c.Tencent.Region, Endpoint: c.Tencent.Endpoint, Timeout: c.Tencent.Timeout,
		},
		Gateway: sms.GatewayConfig(c.Gateway),
	}, sms.Options{Logger: a.logger})
}
