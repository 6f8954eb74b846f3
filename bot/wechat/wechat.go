// Package wechat is the WeChat official account (微信公众号) channel: it receives callbacks on
// /wechat, turns them into bot.Inbound for the shared dialog engine, answers within WeChat's
// five seconds, and sends pushes, the menu and window QR codes through the official API.
//
// What is taken from github.com/silenceper/wechat/v2 and what is not, and why:
//
//   - Receiving is done here, not by the SDK's server.Server. That server checks the plain
//     signature only (no timestamp window, no constant-time compare, no body limit), has no
//     deduplication and no reply budget, and in safe mode turns "nothing to say" into an encrypted
//     empty message, which the user sees as "service unavailable". The message crypto is small and
//     fully specified, so Crypto implements it with strict padding checks and is tested against the
//     official sample and the SDK's util.EncryptMsg/DecryptMsg. The SDK's types are still used for
//     the XML: message.MixMessage to parse, message.Text to reply.
//   - Outgoing calls are made here with the SDK's request and response types (customer and
//     template messages, basic.NewLimitQrRequest, menu.Button), and so is the download of the
//     images users send (media/get, see media.go). The SDK's own senders go through
//     process-wide globals (util.SetURIModifier, util.DefaultHTTPClient), take no context, report
//     errcodes only as formatted strings and put the access token into error texts. Doing the
//     HTTP here gives every call a context, a client with timeouts, the configured API base per
//     adapter (so tests run side by side against their own fake), typed errors for the send error
//     classes, and errors that never carry a token or secret.
//   - The access token comes from the stable-token endpoint (falling back to /cgi-bin/token where
//     an account may not use it) and is kept in the shared State, fetched by one replica at a time
//     under a State lock. The stable token is not invalidated by another fetch, so replicas and
//     other tools using the same AppID do not knock each other's token out; an answer of
//     40001/42001 still drops it, fetches again and retries the call once.
//
// Retries: WeChat resends a callback it got no answer to within 5 s, up to three times, possibly
// to another replica. Messages are claimed by MsgId and events by FromUserName+CreateTime in the
// shared State, so only the first delivery reaches the dialog engine; its rendered answer is kept
// under the same key, and a retry gets that answer again (see callback.go for the hand-over when
// the first delivery is still working).
package wechat

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"windowbot/bot"
	"windowbot/internal/text"
	"windowbot/models"
)

// Defaults of Options.
const (
	DefaultAPIURL          = "https://api.weixin.qq.com"
	DefaultReplyBudget     = 4 * time.Second
	DefaultTimestampWindow = 5 * time.Minute
	// DefaultDedupeTTL is how long a delivery is remembered. WeChat's retries come within about
	// 15 seconds; an hour also covers a replica that stalls and a queue that delays a retry.
	DefaultDedupeTTL = time.Hour
	// DefaultHandleTimeout bounds one message's work in the engine, passive or not.
	DefaultHandleTimeout = 30 * time.Second
	// MaxBody is the largest callback body accepted. Real callbacks are a few KiB.
	MaxBody = 64 << 10
)

// State is what the channel keeps where every replica sees it: delivery claims, the answers
// already given, the access token and the lock around fetching it. The state stores of
// flows/state implement it.
type State interface {
	bot.Deduper
	bot.KV
	bot.Locker
	// Delete removes key; a missing key is not an error.
	Delete(ctx context.Context, key string) error
}

// Citizens is what the channel needs of the citizen records. *models.Store implements it.
type Citizens interface {
	// CitizenByExternalID returns the citizen of a platform identity or models.ErrNotFound; the
	// sender reads LastSeenAt (customer-service messages are allowed for 48 h after it) and Inactive.
	CitizenByExternalID(ctx context.Context, platform, externalID string) (*models.Citizen, error)
	// SetCitizenInactive records an unsubscribe (true) or a new subscribe (false).
	SetCitizenInactive(ctx context.Context, platform, externalID string, inactive bool) error
}

// Options configures an Adapter. AppID, AppSecret, Token, Handler, State and Citizens are
// required; the rest have defaults.
type Options struct {
	AppID     string
	AppSecret string
	// Token signs callbacks (服务器配置 → 令牌).
	Token string
	// AESKey is the EncodingAESKey. Set, callbacks must come in safe or compatible mode
	// (encrypt_type=aes); empty, in plaintext mode.
	AESKey string
	// APIURL is the base of every outgoing call (default DefaultAPIURL).
	APIURL string
	// ReplyBudget is how long a callback waits for the engine before answering "success" and
	// sending the reply through the customer-service API (default DefaultReplyBudget).
	ReplyBudget time.Duration
	// TimestampWindow is how far a callback's timestamp may be from now (default 5 min).
	TimestampWindow time.Duration
	// Templates maps a Reply.Kind to a template ID, for pushes outside the 48-hour window; the
	// entry under DefaultTemplate serves every kind without one of its own.
	Templates map[string]string
	// Lang is the language of the channel's own words ("zh-CN" default, "en").
	Lang string

	Handler  bot.Handler
	State    State
	Citizens Citizens
	Logger   *slog.Logger
	// HTTPClient makes the outgoing calls; nil means a client with timeouts.
	HTTPClient *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// DedupeTTL and HandleTimeout: see the defaults.
	DedupeTTL     time.Duration
	HandleTimeout time.Duration
}

// Adapter is the WeChat channel. It serves callbacks (Routes), implements bot.Sender for pushes,
// and installs the menu and creates window QR codes. It is safe for concurrent use.
type Adapter struct {
	opts   Options
	log    *slog.Logger
	crypto *Crypto // nil in plaintext mode
	api    *api
	now    func() time.Time
	lang   string

	// base is cancelled by Close; replies that missed the budget are still sent under it.
	base   context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

var _ bot.Sender = (*Adapter)(nil)

// quietSDK lowers logrus, which the SDK logs through, below debug: importing the SDK's root
// package sets it to debug on stdout, and its server logs raw request XML there.
var quietSDK sync.Once

// New checks opts and returns an Adapter. It makes no network call.
func New(opts Options) (*Adapter, error) {
	var missing []string
	for _, f := range []struct{ name, v string }{
		{"AppID", opts.AppID}, {"AppSecret", opts.AppSecret}, {"Token", opts.Token},
	} {
		if f.v == "" {
			missing = append(missing, f.name)
		}
	}
	if opts.Handler == nil {
		missing = append(missing, "Handler")
	}
	if opts.State == nil {
		missing = append(missing, "State")
	}
	if opts.Citizens == nil {
		missing = append(missing, "Citizens")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("wechat: New: missing %s", strings.Join(missing, ", "))
	}
	if opts.APIURL == "" {
		opts.APIURL = DefaultAPIURL
	}
	if opts.ReplyBudget <= 0 {
		opts.ReplyBudget = DefaultReplyBudget
	}
	if opts.TimestampWindow <= 0 {
		opts.TimestampWindow = DefaultTimestampWindow
	}
	if opts.DedupeTTL <= 0 {
		opts.DedupeTTL = DefaultDedupeTTL
	}
	if opts.HandleTimeout <= 0 {
		opts.HandleTimeout = DefaultHandleTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = NewHTTPClient()
	}
	a := &Adapter{opts: opts, log: opts.Logger, now: opts.Now, lang: text.Lang(opts.Lang)}
	if opts.AESKey != "" {
		c, err := NewCrypto(opts.AppID, opts.AESKey)
		if err != nil {
			return nil, err
		}
		a.crypto = c
	}
	var err error
	if a.api, err = newAPI(opts.APIURL, opts.HTTPClient, opts.AppID, opts.AppSecret, opts.State, opts.Logger); err != nil {
		return nil, err
	}
	a.base, a.cancel = context.WithCancel(context.Background())
	quietSDK.Do(func() {
		if logrus.IsLevelEnabled(logrus.InfoLevel) {
			logrus.SetLevel(logrus.WarnLevel)
		}
	})
	return a, nil
}

// NewHTTPClient returns the client outgoing calls use by default: every phase has a deadline, so
// a stalled API cannot hold a push or a reply forever.
func NewHTTPClient() *http.Client {
	return &http.Client{
		Timeout: 15 * time.Second,
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   5 * time.Second,
			ResponseHeaderTimeout: 10 * time.Second,
			IdleConnTimeout:       90 * time.Second,
			MaxIdleConnsPerHost:   16,
			ForceAttemptHTTP2:     true,
		},
	}
}

// Routes registers GET and POST /wechat on mux.
func (a *Adapter) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /wechat", a.serveVerify)
	mux.HandleFunc("POST /wechat", a.serveCallback)
}

// Close waits for replies still being worked on or sent (they may have missed the passive
// budget), until ctx ends; then it cancels them.
func (a *Adapter) Close(ctx context.Context) error {
	done := make(chan struct{})
	go func() { a.wg.Wait(); close(done) }()
	select {
	case <-done:
		a.cancel()
		return nil
	case <-ctx.Done():
		a.cancel()
		<-done
		return fmt.Errorf("wechat: close: %w", ctx.Err())
	}
}

// errNotWeChat is returned by Send for a recipient of another platform.
var errNotWeChat = fmt.Errorf("wechat: recipient is not a WeChat user: %w", bot.ErrPermanent)

// validOpenID accepts what an OpenID can look like (28 characters of base64url today) with room
// to spare, so a malformed FromUserName never becomes a citizen row or a key.
func validOpenID(s string) bool {
	if len(s) < 1 || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
