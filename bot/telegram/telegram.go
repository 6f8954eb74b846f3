// Package telegram is the Telegram channel: it turns Bot API updates, fetched by long polling or
// received on a webhook, into bot.Inbound for the handler, and renders the replies as messages
// with inline keyboards. It also delivers pushes (bot.Sender) and builds t.me deep links for the
// QR posters. It is the only package that imports github.com/go-telegram/bot.
package telegram

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	tgbot "github.com/go-telegram/bot"
	tgmodels "github.com/go-telegram/bot/models"

	"windowbot/bot"
)

// Update delivery modes, as configured.
const (
	ModePolling = "polling"
	ModeWebhook = "webhook"
)

// SecretHeader carries the webhook secret on every call Telegram makes to the webhook.
const SecretHeader = "X-Telegram-Bot-Api-Secret-Token"

const (
	// DedupeTTL is how long an update_id is remembered. Telegram gives up redelivering a webhook
	// long before, and a polling restart refetches only what was not confirmed.
	DedupeTTL = 24 * time.Hour
	// MaxWebhookBody bounds a webhook request; a real update is a few kilobytes.
	MaxWebhookBody = 1 << 20
	// MaxCallbackData is the Bot API's limit on a button's callback_data, in bytes.
	MaxCallbackData = 64
	// maxButtons is about what Telegram accepts in one inline keyboard.
	maxButtons = 100
	// maxText is the Bot API's limit on one message's text; longer replies are split.
	maxText = 4096
	// maxQueued bounds the updates waiting behind one chat's current one in polling mode.
	maxQueued = 100
)

// allowedUpdates are the update types the bot asks Telegram for.
var allowedUpdates = []string{"message", "callback_query"}

// payloadRE is what Telegram accepts after /start in a deep link.
var payloadRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ErrTokenRefused means Telegram answered 401: the bot token is wrong or was revoked. Retrying
// will not help until the operator fixes the configuration.
var ErrTokenRefused = errors.New("telegram: the bot token was refused")

// apiErr wraps a failed call, adding ErrTokenRefused to a 401.
func apiErr(method string, err error) error {
	if errors.Is(err, tgbot.ErrorUnauthorized) {
		return fmt.Errorf("telegram: %s: %w: %w", method, ErrTokenRefused, err)
	}
	return fmt.Errorf("telegram: %s: %w", method, err)
}

// Options configures an Adapter. Token and Handler are required.
type Options struct {
	// Token is the bot token from @BotFather. It never appears in a log line or an error.
	Token string
	// APIURL is the Bot API server (default https://api.telegram.org): every call goes there.
	APIURL string
	// Mode is ModePolling (default) or ModeWebhook.
	Mode string
	// WebhookSecret must come back in SecretHeader on every webhook call; required in webhook
	// mode. Without it the webhook refuses every call.
	WebhookSecret string
	// Username is the bot's @name without the @, for deep links; empty asks getMe once.
	Username string
	// Handler answers every update.
	Handler bot.Handler
	// Dedupe remembers update_ids, so a redelivered update is handled once. Share it between
	// replicas (Redis) when several run. Nil handles every delivery.
	Dedupe bot.Deduper
	// Logger receives the adapter's log; nil discards it.
	Logger *slog.Logger
	// PollTimeout is the long-polling timeout of getUpdates (default 50s).
	PollTimeout time.Duration
	// HandleTimeout bounds the handling of one update, replies included (default 60s).
	HandleTimeout time.Duration
}

// Adapter is the Telegram channel. It is safe for concurrent use.
type Adapter struct {
	api     *tgbot.Bot
	opts    Options
	log     *slog.Logger
	botKey  string
	serial  serial
	userMu  sync.Mutex
	user    string
	photos  fileIDs
	afterFn func(updateID int64) // tests: called when an update is fully handled
}

var _ bot.Sender = (*Adapter)(nil)

// New builds an adapter. It makes no network call: the token is first checked by Run, SetWebhook
// or DeepLink.
func New(opts Options) (*Adapter, error) {
	if strings.TrimSpace(opts.Token) == "" {
		return nil, errors.New("telegram: no bot token")
	}
	if opts.Handler == nil {
		return nil, errors.New("telegram: no handler")
	}
	if opts.APIURL == "" {
		opts.APIURL = "https://api.telegram.org"
	}
	opts.APIURL = strings.TrimSuffix(opts.APIURL, "/")
	switch opts.Mode {
	case "":
		opts.Mode = ModePolling
	case ModePolling:
	case ModeWebhook:
		if opts.WebhookSecret == "" {
			return nil, errors.New("telegram: webhook mode needs a webhook secret")
		}
	default:
		return nil, fmt.Errorf("telegram: unknown mode %q (use %q or %q)", opts.Mode, ModePolling, ModeWebhook)
	}
	if opts.PollTimeout <= 0 {
		opts.PollTimeout = 50 * time.Second
	}
	if opts.HandleTimeout <= 0 {
		opts.HandleTimeout = 60 * time.Second
	}
	a := &Adapter{opts: opts, log: opts.Logger, user: strings.TrimPrefix(opts.Username, "@")}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	a.log = a.log.With("channel", "telegram")
	api, err := tgbot.New(opts.Token,
		tgbot.WithServerURL(opts.APIURL),
		tgbot.WithSkipGetMe(),
		// The library's client times out with the poll; requests get their own deadlines too.
		tgbot.WithHTTPClient(opts.PollTimeout, &http.Client{Timeout: opts.PollTimeout + 15*time.Second}),
		tgbot.WithAllowedUpdates(allowedUpdates),
		tgbot.WithDefaultHandler(a.onPolled),
		// Polled updates are handed to per-chat queues at once (see onPolled), so the library's
		// own goroutine per update is not needed.
		tgbot.WithNotAsyncHandlers(),
		tgbot.WithErrorsHandler(func(err error) {
			a.log.Warn("telegram: bot api", "err", a.redact(err.Error()))
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("telegram: %s", a.redact(err.Error()))
	}
	a.api = api
	if id := api.ID(); id != 0 {
		a.botKey = strconv.FormatInt(id, 10)
	} else {
		sum := sha256.Sum256([]byte(opts.Token))
		a.botKey = hex.EncodeToString(sum[:6])
	}
	return a, nil
}

// redact removes the token from text that may include it. The library already hides it in the
// URL of a failed request; this guards the messages it logs through the errors handler.
func (a *Adapter) redact(s string) string {
	return strings.ReplaceAll(s, a.opts.Token, "***")
}

// Run long-polls getUpdates until ctx ends, handling each chat's updates in order and different
// chats concurrently; then it waits for the updates being handled. Only one process may poll a
// bot at a time: run several replicas in webhook mode. A webhook left over from webhook mode is
// removed first, since Telegram refuses getUpdates while one is set.
func (a *Adapter) Run(ctx context.Context) error {
	if a.opts.Mode != ModePolling {
		return fmt.Errorf("telegram: Run polls, but the mode is %q: serve WebhookHandler instead", a.opts.Mode)
	}
	if _, err := a.username(ctx); err != nil {
		if errors.Is(err, ErrTokenRefused) {
			return err
		}
		// Telegram may be unreachable for a while; polling retries with backoff.
		a.log.Warn("telegram: getMe failed, polling anyway", "err", err)
	}
	if _, err := a.api.DeleteWebhook(ctx, &tgbot.DeleteWebhookParams{}); err != nil {
		a.log.Warn("telegram: deleteWebhook failed", "err", err)
	}
	a.log.Info("telegram: polling for updates", "api", a.opts.APIURL)
	a.api.Start(ctx)
	a.serial.wait()
	return nil
}

// SetWebhook asks Telegram to deliver updates to url (public_url + "/telegram") with the secret,
// for webhook mode. Calling it from every replica at start is harmless. A 401 is ErrTokenRefused.
func (a *Adapter) SetWebhook(ctx context.Context, url string) error {
	if a.opts.WebhookSecret == "" {
		return errors.New("telegram: setWebhook: no webhook secret")
	}
	if _, err := a.api.SetWebhook(ctx, &tgbot.SetWebhookParams{
		URL: url, SecretToken: a.opts.WebhookSecret, AllowedUpdates: allowedUpdates,
	}); err != nil {
		return apiErr("setWebhook", err)
	}
	a.log.Info("telegram: webhook set", "url", url)
	return nil
}

// WebhookHandler serves the webhook (POST /telegram). It answers 401 to a call without the right
// secret — the library's own handler would answer 200 and drop it silently — and handles the
// update before answering, so Telegram's per-chat ordering carries through; a redelivered
// update_id is acknowledged and not handled again.
func (a *Adapter) WebhookHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		got := r.Header.Get(SecretHeader)
		if a.opts.WebhookSecret == "" || subtle.ConstantTimeCompare([]byte(got), []byte(a.opts.WebhookSecret)) != 1 {
			a.log.Warn("telegram: webhook call refused: missing or wrong secret", "remote", r.RemoteAddr)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxWebhookBody))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				http.Error(w, "too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		var upd tgmodels.Update
		if err := json.Unmarshal(body, &upd); err != nil {
			a.log.Warn("telegram: webhook body is not an update", "err", err)
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		// The turn goes on if Telegram hangs up: half a turn helps nobody.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), a.opts.HandleTimeout)
		defer cancel()
		a.handle(ctx, &upd)
		w.WriteHeader(http.StatusOK)
	})
}

// DeepLink returns https://t.me/<bot>?start=<payload>, which opens the bot and sends
// "/start <payload>". payload is 1-64 of A-Z a-z 0-9 _ -.
func (a *Adapter) DeepLink(ctx context.Context, payload string) (string, error) {
	if !payloadRE.MatchString(payload) {
		return "", fmt.Errorf("telegram: deep link payload %q: Telegram allows 1-64 of A-Z a-z 0-9 _ -", payload)
	}
	user, err := a.username(ctx)
	if err != nil {
		return "", err
	}
	return "https://t.me/" + user + "?start=" + payload, nil
}

// username returns the configured username, or asks getMe once.
func (a *Adapter) username(ctx context.Context) (string, error) {
	a.userMu.Lock()
	defer a.userMu.Unlock()
	if a.user != "" {
		return a.user, nil
	}
	me, err := a.api.GetMe(ctx)
	if err != nil {
		return "", apiErr("getMe", err)
	}
	if me.Username == "" {
		return "", errors.New("telegram: getMe returned no username")
	}
	a.user = me.Username
	return a.user, nil
}

// knownUsername returns the bot's username if it is known already, without asking.
func (a *Adapter) knownUsername() string {
	a.userMu.Lock()
	defer a.userMu.Unlock()
	return a.user
}
