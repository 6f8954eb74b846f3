package sms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"windowbot/bot"
	"windowbot/internal/httpreply"
)

// DefaultGatewayTimeout bounds one gateway request when GatewayConfig.Timeout is not set.
const DefaultGatewayTimeout = 10 * time.Second

// GatewayConfig configures a hall's own SMS platform (短信平台) reached over HTTP. The yaml tags
// are the keys under `sms.gateway:`.
//
// URL and Body are templates: {phone} (E.164), {text}, {template_id}, {kind}, {params} and
// {param1} … {param9} are replaced by the message's values, escaped for where they stand — the
// URL's query, or a body of ContentType (JSON string contents, form encoding, XML text, or as is).
// In a JSON body {params} becomes an array, elsewhere its items joined by commas.
type GatewayConfig struct {
	URL string `yaml:"url"`
	// Method is POST (default) or GET.
	Method string `yaml:"method"`
	// ContentType of the body (default application/json).
	ContentType string `yaml:"content_type"`
	// AuthHeader and AuthValue are one request header carrying the gateway's credentials, e.g.
	// Authorization: Bearer …, or X-Api-Key: …. AuthValue is a secret.
	AuthHeader string `yaml:"auth_header"`
	AuthValue  string `yaml:"auth_value"`
	Body       string `yaml:"body"`
	// SuccessField and SuccessValue, when set, require the JSON answer's field (a dotted path such
	// as result.code) to equal the value, on top of a 2xx status.
	SuccessField string `yaml:"success_field"`
	SuccessValue string `yaml:"success_value"`
	// Timeout bounds one request (default 10s).
	Timeout time.Duration `yaml:"timeout"`
}

// Gateway sends messages to a hall's HTTP SMS gateway.
type Gateway struct {
	cfg    GatewayConfig
	client *http.Client
	now    func() time.Time
	escape func(string) string
	json   bool
}

var _ Provider = (*Gateway)(nil)

// placeholder matches the gateway templates' placeholders and nothing else, so a JSON body's own
// braces stay as they are.
var placeholder = regexp.MustCompile(`\{(phone|text|template_id|kind|params|param[1-9])\}`)

// NewGateway checks cfg and returns the provider. It makes no network call.
func NewGateway(cfg GatewayConfig, opts Options) (*Gateway, error) {
	u, err := url.Parse(placeholder.ReplaceAllString(cfg.URL, "x"))
	if cfg.URL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("sms: gateway: url %q: want an http(s) URL", cfg.URL)
	}
	cfg.Method = strings.ToUpper(cfg.Method)
	switch cfg.Method {
	case "":
		cfg.Method = http.MethodPost
	case http.MethodPost, http.MethodGet:
	default:
		return nil, fmt.Errorf("sms: gateway: method %q: want POST or GET", cfg.Method)
	}
	if cfg.ContentType == "" {
		cfg.ContentType = "application/json"
	}
	if !strings.Contains(cfg.URL+cfg.Body, "{phone}") {
		return nil, fmt.Errorf("sms: gateway: neither url nor body has {phone}")
	}
	if (cfg.AuthHeader == "") != (cfg.AuthValue == "") {
		return nil, fmt.Errorf("sms: gateway: auth_header and auth_value go together")
	}
	if (cfg.SuccessField == "") != (cfg.SuccessValue == "") {
		return nil, fmt.Errorf("sms: gateway: success_field and success_value go together")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultGatewayTimeout
	}
	g := &Gateway{cfg: cfg, client: opts.HTTPClient, now: opts.Now}
	if g.client == nil {
		g.client = &http.Client{Timeout: cfg.Timeout}
	}
	if g.now == nil {
		g.now = time.Now
	}
	mt := strings.ToLower(cfg.ContentType)
	switch {
	case strings.Contains(mt, "json"):
		g.json, g.escape = true, jsonEscape
	case strings.Contains(mt, "x-www-form-urlencoded"):
		g.escape = url.QueryEscape
	case strings.Contains(mt, "xml"):
		g.escape = html.EscapeString
	default:
		g.escape = func(s string) string { return s }
	}
	// A body template that cannot become valid JSON is a configuration error, found now rather
	// than on the first notice.
	if g.json && cfg.Method == http.MethodPost {
		sample := g.render(cfg.Body, Message{Phone: "+8613800138000", Text: `a "b"`, Params: []string{"1", "2"}}, g.escape, true)
		if !json.Valid([]byte(sample)) {
			return nil, fmt.Errorf("sms: gateway: body is not JSON once filled in: %s", sample)
		}
	}
	return g, nil
}

// render fills the placeholders of tmpl with m's values, each passed through esc. jsonParams
// renders {params} as a JSON array.
func (g *Gateway) render(tmpl string, m Message, esc func(string) string, jsonParams bool) string {
	return placeholder.ReplaceAllStringFunc(tmpl, func(ph string) string {
		switch name := ph[1 : len(ph)-1]; name {
		case "phone":
			return esc(m.Phone)
		case "text":
			return esc(m.Text)
		case "template_id":
			return esc(m.TemplateID)
		case "kind":
			return esc(m.Kind)
		case "params":
			if jsonParams {
				b, _ := json.Marshal(append([]string{}, m.Params...))
				return string(b)
			}
			items := make([]string, len(m.Params))
			for i, p := range m.Params {
				items[i] = esc(p)
			}
			return strings.Join(items, ",")
		default: // param1 … param9
			i := int(name[len("param")] - '1')
			if i < len(m.Params) {
				return esc(m.Params[i])
			}
			return ""
		}
	})
}

// jsonEscape returns s as the contents of a JSON string (without the quotes).
func jsonEscape(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

// GatewayError is a gateway's answer that did not accept the message.
type GatewayError struct {
	Status int
	// Detail is the success field's value, or the start of the body.
	Detail string
}

func (e *GatewayError) Error() string {
	return fmt.Sprintf("sms: gateway: status %d: %s", e.Status, e.Detail)
}

// maxGatewayAnswer bounds how much of a gateway's answer is read.
const maxGatewayAnswer = 64 << 10

// Send implements Provider with one request to the gateway. 429 waits as Retry-After says (else
// a minute), 408 and 5xx are retried, any other status outside 2xx is permanent, and so is a 2xx
// whose success field differs: the gateway looked at the message and said no.
func (g *Gateway) Send(ctx context.Context, m Message) error {
	target := g.render(g.cfg.URL, m, url.QueryEscape, false)
	var body io.Reader
	if g.cfg.Method == http.MethodPost {
		body = strings.NewReader(g.render(g.cfg.Body, m, g.escape, g.json))
	}
	req, err := http.NewRequestWithContext(ctx, g.cfg.Method, target, body)
	if err != nil {
		return fmt.Errorf("sms: gateway: %w: %w", bot.ErrPermanent, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", g.cfg.ContentType)
	}
	if g.cfg.AuthHeader != "" {
		req.Header.Set(g.cfg.AuthHeader, g.cfg.AuthValue)
	}
	resp, err := g.client.Do(req)
	if err != nil {
		// The URL may carry the phone number (GET): report the error without it.
		return fmt.Errorf("sms: gateway: %w", redactURL(err))
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxGatewayAnswer))
	if err != nil {
		return fmt.Errorf("sms: gateway: read the answer: %w", err)
	}
	switch s := resp.StatusCode; {
	case s == http.StatusTooManyRequests:
		return &bot.RetryAfterError{After: httpreply.RetryAfter(resp.Header.Get("Retry-After"), g.now(), time.Minute), Err: &GatewayError{Status: s, Detail: httpreply.Snippet(answer, maskPhones)}}
	case s == http.StatusRequestTimeout || s >= 500:
		return &GatewayError{Status: s, Detail: httpreply.Snippet(answer, maskPhones)}
	case s < 200 || s > 299:
		return fmt.Errorf("%w: %w", bot.ErrPermanent, &GatewayError{Status: s, Detail: httpreply.Snippet(answer, maskPhones)})
	}
	if g.cfg.SuccessField == "" {
		return nil
	}
	got, ok := httpreply.Field(answer, g.cfg.SuccessField)
	if !ok {
		return fmt.Errorf("%w: %w", bot.ErrPermanent, &GatewayError{Status: resp.StatusCode, Detail: "no " + g.cfg.SuccessField + " in the answer: " + httpreply.Snippet(answer, maskPhones)})
	}
	if got != g.cfg.SuccessValue {
		return fmt.Errorf("%w: %w", bot.ErrPermanent, &GatewayError{Status: resp.StatusCode, Detail: g.cfg.SuccessField + "=" + got})
	}
	return nil
}

// maskPhones masks the mainland mobile numbers in a gateway's answer: gateways like to quote the
// number they refused.
func maskPhones(s string) string { return mobileInText.ReplaceAllStringFunc(s, MaskPhone) }

// redactURL drops the URL from a transport error, which quotes it whole, and keeps the cause.
func redactURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}
