// Package sms delivers pushes as text messages (短信) to citizens who left a phone number with
// consent and cannot be reached in a chat. A Sender implements bot.Sender for bot.SMS
// recipients, whose ChatID is the phone number: it picks the notice's template by Reply.Kind,
// fills the template's parameters from the push's text and hands one Message to a Provider —
// Tencent Cloud SMS or the hall's own HTTP gateway (短信平台), chosen by configuration.
//
// Phone numbers and message texts are never logged; MaskPhone is the only form of a number that
// reaches a log line or an error.
package sms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	"windowbot/bot"
)

// Provider names for Config.Provider.
const (
	ProviderTencent = "tencent"
	ProviderGateway = "gateway"
)

// DefaultTemplate is the Templates (and TemplateParams) key that serves every notice kind without
// an entry of its own, so a new kind of notice still goes out once one template is approved.
const DefaultTemplate = "default"

// Config configures SMS. The yaml tags are the keys under `sms:` in the configuration file.
type Config struct {
	// Provider is ProviderTencent or ProviderGateway; empty means SMS is off.
	Provider string `yaml:"provider"`
	// Templates maps a Reply.Kind to the provider's template: a Tencent template ID (模板 ID), or
	// the code the gateway's body receives as {template_id}.
	Templates map[string]string `yaml:"templates"`
	// TemplateParams maps a Reply.Kind to where its template's parameters come from, in the
	// template's order ({1}, {2}, …), separated by ";". See ParseParams for the sources.
	TemplateParams map[string]string `yaml:"template_params"`

	Tencent TencentConfig `yaml:"tencent"`
	Gateway GatewayConfig `yaml:"gateway"`
}

// Enabled reports whether a provider is configured.
func (c Config) Enabled() bool { return c.Provider != "" }

// Message is one text message to one phone, as a Provider receives it.
type Message struct {
	// Phone is the number in E.164 form, e.g. +8613800138000.
	Phone string
	// Kind is the notice kind (Reply.Kind).
	Kind string
	// Text is the push's whole text, for providers that send free text (a gateway).
	Text string
	// TemplateID is the provider's template for Kind; empty when none is configured.
	TemplateID string
	// Params are the template's parameters in the template's order.
	Params []string
}

// Provider sends one Message. Its errors wrap bot.ErrRecipientGone, bot.ErrPermanent or are a
// *bot.RetryAfterError; any other error is worth retrying later.
type Provider interface {
	Send(ctx context.Context, m Message) error
}

// ProviderFunc adapts a function to Provider.
type ProviderFunc func(ctx context.Context, m Message) error

// Send calls f.
func (f ProviderFunc) Send(ctx context.Context, m Message) error { return f(ctx, m) }

// Options are the parts of a Sender that do not come from the configuration file.
type Options struct {
	Logger *slog.Logger
	// HTTPClient makes the provider's calls; nil means a client with the configured timeout.
	// For Tencent only its Transport is used (the SDK keeps its own client).
	HTTPClient *http.Client
	// Now is the clock; nil means time.Now. It dates the waits of daily limits.
	Now func() time.Time
}

// Sender delivers pushes to bot.SMS recipients. It is safe for concurrent use.
type Sender struct {
	provider  Provider
	templates map[string]template
	log       *slog.Logger
}

var _ bot.Sender = (*Sender)(nil)

// template is one notice kind's template with its parameter sources compiled.
type template struct {
	id     string
	params []Param
}

// New returns a Sender for the configured provider. It makes no network call.
func New(cfg Config, opts Options) (*Sender, error) {
	var (
		p   Provider
		err error
	)
	switch cfg.Provider {
	case ProviderTencent:
		p, err = NewTencent(cfg.Tencent, opts)
	case ProviderGateway:
		p, err = NewGateway(cfg.Gateway, opts)
	case "":
		return nil, errors.New("sms: no provider configured")
	default:
		return nil, fmt.Errorf("sms: unknown provider %q (use %q or %q)", cfg.Provider, ProviderTencent, ProviderGateway)
	}
	if err != nil {
		return nil, err
	}
	return NewSender(p, cfg, opts.Logger)
}

// NewSender returns a Sender that hands messages to p, with the templates of cfg.
func NewSender(p Provider, cfg Config, log *slog.Logger) (*Sender, error) {
	if p == nil {
		return nil, errors.New("sms: no provider")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Sender{provider: p, templates: map[string]template{}, log: log}
	for kind, id := range cfg.Templates {
		t := s.templates[kind]
		t.id = strings.TrimSpace(id)
		s.templates[kind] = t
	}
	for kind, spec := range cfg.TemplateParams {
		params, err := ParseParams(spec)
		if err != nil {
			return nil, fmt.Errorf("sms: template_params %s: %w", kind, err)
		}
		t := s.templates[kind]
		t.params = params
		s.templates[kind] = t
	}
	return s, nil
}

// Send implements bot.Sender: one text message to the phone number in to.ChatID, on the template
// of msg.Kind (else DefaultTemplate). Errors wrap bot.ErrRecipientGone (the number is invalid,
// unsubscribed or on the carriers' do-not-disturb list), bot.ErrPermanent (no usable template,
// refused content), or are a *bot.RetryAfterError (rate and daily limits); others are retryable.
func (s *Sender) Send(ctx context.Context, to bot.Recipient, msg bot.Reply) error {
	if to.Platform != bot.SMS {
		return fmt.Errorf("sms: send to a %q recipient: %w", to.Platform, bot.ErrPermanent)
	}
	phone, err := NormalizePhone(to.ChatID)
	if err != nil {
		return fmt.Errorf("sms: send to %s: %w: %w", MaskPhone(to.ChatID), bot.ErrRecipientGone, err)
	}
	text := strings.TrimSpace(msg.Text)
	if text == "" {
		return fmt.Errorf("sms: send %q: empty message: %w", msg.Kind, bot.ErrPermanent)
	}
	t := s.template(msg.Kind)
	params := make([]string, len(t.params))
	for i, p := range t.params {
		v, err := p.Value(text)
		if err != nil {
			return fmt.Errorf("sms: send %q: parameter %d: %w: %w", msg.Kind, i+1, bot.ErrPermanent, err)
		}
		params[i] = v
	}
	m := Message{Phone: phone, Kind: msg.Kind, Text: text, TemplateID: t.id, Params: params}
	if err := s.provider.Send(ctx, m); err != nil {
		return err
	}
	s.log.DebugContext(ctx, "sms: sent", "kind", msg.Kind, "phone", MaskPhone(phone))
	return nil
}

// template returns the template of kind, else the default one, else an empty one (a gateway may
// send free text without a template; Tencent refuses it).
func (s *Sender) template(kind string) template {
	if t, ok := s.templates[kind]; ok {
		return t
	}
	return s.templates[DefaultTemplate]
}

// ErrInvalidPhone means a recipient's number is not a phone number windowbot can send to.
var ErrInvalidPhone = errors.New("sms: not a valid phone number")

// NormalizePhone returns phone in E.164 form. A mainland number may come as 11 digits, with 86
// or 0086 in front, or already as +86…; other countries must come with their + prefix. Spaces
// and dashes are ignored.
func NormalizePhone(phone string) (string, error) {
	var b strings.Builder
	for i, r := range strings.TrimSpace(phone) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == ' ' || r == '-':
		default:
			return "", ErrInvalidPhone
		}
	}
	n := b.String()
	switch {
	case strings.HasPrefix(n, "+86"):
		n = n[3:]
	case strings.HasPrefix(n, "+"):
		if d := len(n) - 1; d < 8 || d > 15 {
			return "", ErrInvalidPhone
		}
		return n, nil
	case strings.HasPrefix(n, "0086"):
		n = n[4:]
	case len(n) == 13 && strings.HasPrefix(n, "86"):
		n = n[2:]
	}
	if !mainlandMobile(n) {
		return "", ErrInvalidPhone
	}
	return "+86" + n, nil
}

// mainlandMobile reports whether n is an 11-digit mainland mobile number (1[3-9]…).
func mainlandMobile(n string) bool {
	if len(n) != 11 || n[0] != '1' || n[1] < '3' {
		return false
	}
	for _, c := range []byte(n) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// mobileInText finds mainland mobile numbers inside other text.
var mobileInText = regexp.MustCompile(`(?:\+?86)?1[3-9]\d{9}`)

// MaskPhone hides the middle of a phone number, the way receipts print it (138****8000), so a log
// line or an error can tell numbers apart without revealing one.
func MaskPhone(phone string) string {
	if n, err := NormalizePhone(phone); err == nil && strings.HasPrefix(n, "+86") {
		n = n[3:]
		return n[:3] + "****" + n[7:]
	}
	r := []rune(phone)
	if len(r) <= 7 {
		return "****"
	}
	return string(r[:3]) + "****" + string(r[len(r)-4:])
}
