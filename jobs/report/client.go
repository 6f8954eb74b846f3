package report

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"windowbot/bot"
	"windowbot/internal/httpreply"
)

// Auth modes of Config.Auth.
const (
	// AuthBearer sends the token as "Authorization: Bearer TOKEN".
	AuthBearer = "bearer"
	// AuthHMAC signs each request with the token as the key: see Client.
	AuthHMAC = "hmac"
	// AuthNone sends no credentials (a platform reached over a private line).
	AuthNone = "none"
)

// Defaults of Config.
const (
	DefaultTimeout         = 15 * time.Second
	DefaultSignatureHeader = "X-Signature"
	// TimestampHeader carries the signing time of AuthHMAC, in Unix seconds.
	TimestampHeader = "X-Timestamp"
	// IDHeader carries the record ID with every request, so the platform (or a proxy in front of
	// it) can drop a repeat without parsing the body.
	IDHeader = "Idempotency-Key"
)

// Config configures reporting to the provincial platform. The yaml tags are the keys under
// `report:`.
type Config struct {
	// URL receives one record per POST; empty means records are only exported.
	URL string `yaml:"url"`
	// Auth is AuthBearer (default), AuthHMAC or AuthNone.
	Auth string `yaml:"auth"`
	// Token is the bearer token or the HMAC key. A secret.
	Token string `yaml:"token"`
	// SignatureHeader names the header of the HMAC signature (default X-Signature).
	SignatureHeader string `yaml:"signature_header"`
	// Timeout bounds one request (default 15s).
	Timeout time.Duration `yaml:"timeout"`
	// SuccessField and SuccessValue, when set, require the JSON answer's field (dotted path) to
	// equal the value on top of a 2xx status, for platforms that answer 200 to everything.
	SuccessField string `yaml:"success_field"`
	SuccessValue string `yaml:"success_value"`

	Mapping Mapping `yaml:"mapping"`
}

// Enabled reports whether records are sent (rather than only exported).
func (c Config) Enabled() bool { return c.URL != "" }

// Validate checks the sending part of c.
func (c Config) Validate() error {
	if c.URL == "" {
		return nil
	}
	if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("report: url %q: want an http(s) URL", c.URL)
	}
	switch c.Auth {
	case "", AuthBearer, AuthHMAC:
		if c.Token == "" {
			return fmt.Errorf("report: auth %q needs a token", c.authMode())
		}
	case AuthNone:
	default:
		return fmt.Errorf("report: auth %q: want %s, %s or %s", c.Auth, AuthBearer, AuthHMAC, AuthNone)
	}
	if (c.SuccessField == "") != (c.SuccessValue == "") {
		return errors.New("report: success_field and success_value go together")
	}
	return nil
}

func (c Config) authMode() string {
	if c.Auth == "" {
		return AuthBearer
	}
	return c.Auth
}

// ErrAuth means the platform refused the credentials (401, 403). It is not permanent: the
// records keep while an operator fixes the token, where giving up would lose them.
var ErrAuth = errors.New("report: credentials refused")

// HTTPError is a platform answer that did not accept the record.
type HTTPError struct {
	Status int
	// Detail is the start of the answer, or the failing success field.
	Detail string
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("report: status %d: %s", e.Status, e.Detail)
}

// Retryable reports whether err is worth sending again.
func Retryable(err error) bool { return err != nil && !errors.Is(err, bot.ErrPermanent) }

// Options are the parts of a Client that do not come from the configuration file.
type Options struct {
	// HTTPClient makes the requests; nil means a client with the configured timeout.
	HTTPClient *http.Client
	// Now is the clock of the HMAC timestamp; nil means time.Now.
	Now func() time.Time
}

// Client posts records to the provincial platform, one record per request, as JSON with the
// record ID in the body (recordId) and in the Idempotency-Key header. The platform must treat a
// repeated ID as the same record; a 409 Conflict answer counts as delivered.
//
// With AuthHMAC each request carries X-Timestamp (Unix seconds) and a signature header whose
// value is hex(HMAC-SHA256(token, timestamp + "\n" + body)), so the platform can check both that
// the body is unchanged and that it is recent.
//
// Its errors are those of every push (package bot), so the outbox drives reports as it drives
// messages: bot.ErrPermanent means the platform refused the record as it is (400, 404, 422, a
// failing success field) and sending it again cannot help; a *bot.RetryAfterError asks to wait
// (429, 503 with Retry-After); anything else is retried with backoff, ErrAuth included.
type Client struct {
	cfg  Config
	http *http.Client
	now  func() time.Time
}

// NewClient checks cfg and returns a Client. It makes no network call.
func NewClient(cfg Config, opts Options) (*Client, error) {
	if cfg.URL == "" {
		return nil, errors.New("report: no url")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Auth == "" {
		cfg.Auth = AuthBearer
	}
	if cfg.SignatureHeader == "" {
		cfg.SignatureHeader = DefaultSignatureHeader
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	c := &Client{cfg: cfg, http: opts.HTTPClient, now: opts.Now}
	if c.http == nil {
		c.http = &http.Client{Timeout: cfg.Timeout}
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c, nil
}

// Send posts rec.
func (c *Client) Send(ctx context.Context, rec Record) error {
	body, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("report: encode %s: %w: %w", rec.RecordID, bot.ErrPermanent, err)
	}
	return c.SendJSON(ctx, rec.RecordID, body)
}

// SendJSON posts a record already encoded (as the outbox stores it) under its record ID.
func (c *Client) SendJSON(ctx context.Context, id string, body []byte) error {
	if id == "" {
		return fmt.Errorf("report: a record without an ID: %w", bot.ErrPermanent)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("report: send %s: %w: %w", id, bot.ErrPermanent, err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set(IDHeader, id)
	switch c.cfg.Auth {
	case AuthBearer:
		req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
	case AuthHMAC:
		ts := strconv.FormatInt(c.now().Unix(), 10)
		req.Header.Set(TimestampHeader, ts)
		req.Header.Set(c.cfg.SignatureHeader, Sign(c.cfg.Token, ts, body))
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("report: send %s: %w", id, err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return fmt.Errorf("report: send %s: read the answer: %w", id, err)
	}
	if err := c.judge(resp, answer); err != nil {
		return fmt.Errorf("report: send %s: %w", id, err)
	}
	return nil
}

// judge classifies the platform's answer.
func (c *Client) judge(resp *http.Response, answer []byte) error {
	herr := &HTTPError{Status: resp.StatusCode, Detail: httpreply.Snippet(answer, MaskText)}
	switch s := resp.StatusCode; {
	case s == http.StatusConflict:
		return nil // the platform has this record already
	case s == http.StatusTooManyRequests:
		return &bot.RetryAfterError{After: httpreply.RetryAfter(resp.Header.Get("Retry-After"), c.now(), time.Minute), Err: herr}
	case s == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") != "":
		return &bot.RetryAfterError{After: httpreply.RetryAfter(resp.Header.Get("Retry-After"), c.now(), time.Minute), Err: herr}
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		return fmt.Errorf("%w: %w", ErrAuth, herr)
	case s == http.StatusRequestTimeout || s == http.StatusTooEarly || s >= 500:
		return herr
	case s < 200 || s > 299:
		return fmt.Errorf("%w: %w", bot.ErrPermanent, herr)
	}
	if c.cfg.SuccessField == "" {
		return nil
	}
	got, ok := httpreply.Field(answer, c.cfg.SuccessField)
	if !ok {
		herr.Detail = "no " + c.cfg.SuccessField + " in the answer: " + herr.Detail
		return fmt.Errorf("%w: %w", bot.ErrPermanent, herr)
	}
	if got != c.cfg.SuccessValue {
		herr.Detail = c.cfg.SuccessField + "=" + got + ": " + herr.Detail
		return fmt.Errorf("%w: %w", bot.ErrPermanent, herr)
	}
	return nil
}

// Sign returns the AuthHMAC signature of body sent at timestamp (Unix seconds, as sent in
// X-Timestamp): hex(HMAC-SHA256(key, timestamp + "\n" + body)).
func Sign(key, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(timestamp))
	m.Write([]byte{'\n'})
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}
