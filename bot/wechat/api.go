package wechat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/silenceper/wechat/v2/credential"
	"github.com/silenceper/wechat/v2/util"

	"windowbot/bot"
)

// Error codes of the WeChat API that change what the channel does.
const (
	codeBusy              = -1    // system busy: retry
	codeInvalidCredential = 40001 // access token invalid or not the latest
	codeInvalidOpenID     = 40003
	codeInvalidMediaID    = 40007 // no such media, or it expired (temporary media lasts 3 days)
	codeInvalidToken      = 40014
	codeTokenExpired      = 42001
	codeRequireSubscribe  = 43004 // the user does not follow the account
	codeUserRefused       = 43101 // the user refused these messages
	codeDailyQuota        = 45009
	codeMinuteQuota       = 45011
	codeOutOfWindow       = 45015 // customer-service message more than 48 h after the user's last
	codeOutOfCount        = 45047 // too many customer-service messages since the user's last
	codeAPIUnauthorized   = 48001
)

// APIError is an answer of the WeChat API with a non-zero errcode.
type APIError struct {
	// Op names the call, e.g. "message/custom/send".
	Op   string
	Code int64
	Msg  string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("wechat: %s: errcode %d: %s", e.Op, e.Code, e.Msg)
}

// apiCode returns the errcode of err, or 0 if err is not an API answer.
func apiCode(err error) int64 {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return 0
}

func tokenRejected(err error) bool {
	switch apiCode(err) {
	case codeInvalidCredential, codeInvalidToken, codeTokenExpired:
		return true
	}
	return false
}

// maxResponse bounds what is read of an API answer.
const maxResponse = 1 << 20

// api makes the outgoing calls of one official account.
type api struct {
	base   string
	client *http.Client
	appID  string
	secret string
	state  State
	log    *slog.Logger
	// classic is set once the stable-token endpoint was refused, so /cgi-bin/token is used.
	classic atomic.Bool
	// uploads serialises the upload of one picture.
	uploads keyLocks
}

func newAPI(base string, client *http.Client, appID, secret string, state State, log *slog.Logger) (*api, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("wechat: API URL %q must be an http(s) URL", base)
	}
	return &api{base: strings.TrimRight(base, "/"), client: client, appID: appID, secret: secret, state: state, log: log}, nil
}

// call POSTs body as JSON to path with the access token and decodes the answer into out (which
// may be nil). A rejected token is dropped and the call made once more with a fresh one.
func (c *api) call(ctx context.Context, path string, body, out any) error {
	return c.withToken(ctx, path, func(tok string) error {
		return c.do(ctx, http.MethodPost, path, url.Values{"access_token": {tok}}, body, out)
	})
}

// withToken runs fn with the shared access token; when WeChat rejects the token, it is dropped
// and fn runs once more with a fresh one.
func (c *api) withToken(ctx context.Context, path string, fn func(tok string) error) error {
	for attempt := 0; ; attempt++ {
		tok, err := c.token(ctx)
		if err != nil {
			return err
		}
		err = fn(tok)
		if attempt == 0 && tokenRejected(err) {
			c.log.WarnContext(ctx, "wechat: access token rejected, fetching a new one", "op", path, "errcode", apiCode(err))
			c.dropToken(ctx, tok)
			continue
		}
		return err
	}
}

// mediaPath downloads temporary media: what users send (images, voice) is kept by WeChat for
// three days under a MediaId, then gone.
const mediaPath = "/cgi-bin/media/get"

// maxMediaID bounds the MediaId put into a request; real ones are 64 characters.
const maxMediaID = 256

// tooLargeError means media is over the size limit. Size is its size where WeChat declared it,
// else 0; the body is not read past the limit.
type tooLargeError struct{ Size int64 }

func (e *tooLargeError) Error() string {
	if e.Size > 0 {
		return fmt.Sprintf("wechat: media/get: media too large (%d bytes)", e.Size)
	}
	return "wechat: media/get: media too large"
}

// media downloads the temporary media mediaID, at most max bytes of it (a *tooLargeError
// otherwise). The answer is the file itself, or JSON with an errcode (40007: no such media, or
// it expired).
func (c *api) media(ctx context.Context, mediaID string, max int64) ([]byte, error) {
	if mediaID == "" || len(mediaID) > maxMediaID {
		return nil, &APIError{Op: "media/get", Code: codeInvalidMediaID, Msg: "media id empty or too long"}
	}
	var data []byte
	err := c.withToken(ctx, mediaPath, func(tok string) error {
		var err error
		data, err = c.getMedia(ctx, tok, mediaID, max)
		return err
	})
	return data, err
}

func (c *api) getMedia(ctx context.Context, tok, mediaID string, max int64) ([]byte, error) {
	const op = "media/get"
	q := url.Values{"access_token": {tok}, "media_id": {mediaID}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+mediaPath+"?"+q.Encode(), nil)
	if err != nil {
		return nil, fmt.Errorf("wechat: %s: %w", op, scrub(err))
	}
	res, err := c.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("wechat: %s: %w", op, scrub(err))
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, &HTTPError{Op: op, Status: res.StatusCode}
	}
	ct := strings.ToLower(res.Header.Get("Content-Type"))
	if strings.Contains(ct, "json") || strings.HasPrefix(ct, "text/") {
		// An error: WeChat answers errcode JSON, as application/json or as text/plain.
		body, err := io.ReadAll(io.LimitReader(res.Body, maxResponse))
		if err != nil {
			return nil, fmt.Errorf("wechat: %s: read answer: %w", op, scrub(err))
		}
		if ae := mediaError(op, body); ae != nil {
			return nil, ae
		}
		return nil, fmt.Errorf("wechat: %s: answer of type %q is no media", op, ct)
	}
	if res.ContentLength > max {
		return nil, &tooLargeError{Size: res.ContentLength}
	}
	data, err := io.ReadAll(io.LimitReader(res.Body, max+1))
	if err != nil {
		return nil, fmt.Errorf("wechat: %s: read media: %w", op, scrub(err))
	}
	if int64(len(data)) > max {
		return nil, &tooLargeError{}
	}
	if ae := mediaError(op, data); ae != nil {
		return nil, ae
	}
	return data, nil
}

// mediaError returns the errcode answer in body, or nil if body is not one.
func mediaError(op string, body []byte) *APIError {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil
	}
	var ce util.CommonError
	if json.Unmarshal(trimmed, &ce) != nil || ce.ErrCode == 0 {
		return nil
	}
	return &APIError{Op: op, Code: ce.ErrCode, Msg: ce.ErrMsg}
}

// do makes one request. Errors name the path only: the query holds the token or the secret.
func (c *api) do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	op := strings.TrimPrefix(path, "/cgi-bin/")
	var rd io.Reader
	if body != nil {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		// WeChat shows the text as sent: "<" must not become "\u003c" in a message.
		enc.SetEscapeHTML(false)
		if err := enc.Encode(body); err != nil {
			return fmt.Errorf("wechat: %s: encode: %w", op, err)
		}
		rd = &buf
	}
	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return fmt.Errorf("wechat: %s: %w", op, scrub(err))
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	res, err := c.client.Do(req)
	if err != nil {
		return fmt.Errorf("wechat: %s: %w", op, scrub(err))
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, maxResponse))
	if err != nil {
		return fmt.Errorf("wechat: %s: read answer: %w", op, scrub(err))
	}
	if res.StatusCode != http.StatusOK {
		return &HTTPError{Op: op, Status: res.StatusCode}
	}
	var ce util.CommonError
	if err := json.Unmarshal(data, &ce); err != nil {
		return fmt.Errorf("wechat: %s: answer is not JSON: %w", op, err)
	}
	if ce.ErrCode != 0 {
		return &APIError{Op: op, Code: ce.ErrCode, Msg: ce.ErrMsg}
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("wechat: %s: decode answer: %w", op, err)
		}
	}
	return nil
}

// HTTPError is an answer of the WeChat API with an HTTP status other than 200.
type HTTPError struct {
	Op     string
	Status int
}

func (e *HTTPError) Error() string { return fmt.Sprintf("wechat: %s: HTTP %d", e.Op, e.Status) }

// scrub drops the URL from a transport error: it carries the access token or the secret.
func scrub(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// Token keys in the State. The lock key is the one bot.Locker implementations expect a caller
// to choose; it never collides with a conversation's "lock:dlg:…".
func (c *api) tokenKey() string     { return "wechat:" + c.appID + ":token" }
func (c *api) tokenLockKey() string { return "lock:wechat:" + c.appID + ":token" }

// tokenLockTTL bounds a token fetch; a replica that dies while fetching holds the others no longer.
const tokenLockTTL = 20 * time.Second

// token returns the shared access token, fetching it from WeChat when the State has none. One
// replica fetches at a time; the others wait on the lock and then find the new token.
func (c *api) token(ctx context.Context) (string, error) {
	if v, err := c.state.Get(ctx, c.tokenKey()); err == nil && len(v) > 0 {
		return string(v), nil
	} else if err != nil && !errors.Is(err, bot.ErrNotFound) {
		return "", fmt.Errorf("wechat: read access token: %w", err)
	}
	unlock, err := c.state.Lock(ctx, c.tokenLockKey(), tokenLockTTL)
	if err != nil {
		return "", fmt.Errorf("wechat: lock access token: %w", err)
	}
	defer unlock()
	if v, err := c.state.Get(ctx, c.tokenKey()); err == nil && len(v) > 0 {
		return string(v), nil
	}
	res, err := c.fetchToken(ctx)
	if err != nil {
		return "", err
	}
	if res.AccessToken == "" {
		return "", errors.New("wechat: token: answer without access_token")
	}
	// Refresh five minutes early; WeChat keeps the old token valid that long after a new one.
	ttl := time.Duration(res.ExpiresIn)*time.Second - 5*time.Minute
	if ttl < time.Minute {
		ttl = time.Minute
	}
	if err := c.state.Set(ctx, c.tokenKey(), []byte(res.AccessToken), ttl); err != nil {
		return "", fmt.Errorf("wechat: store access token: %w", err)
	}
	c.log.InfoContext(ctx, "wechat: fetched access token", "expires_in_s", res.ExpiresIn, "classic", c.classic.Load())
	return res.AccessToken, nil
}

func (c *api) fetchToken(ctx context.Context) (credential.ResAccessToken, error) {
	var res credential.ResAccessToken
	if !c.classic.Load() {
		err := c.do(ctx, http.MethodPost, "/cgi-bin/stable_token", nil, map[string]any{
			"grant_type": "client_credential", "appid": c.appID, "secret": c.secret, "force_refresh": false,
		}, &res)
		var he *HTTPError
		if apiCode(err) != codeAPIUnauthorized && !(errors.As(err, &he) && he.Status == http.StatusNotFound) {
			return res, err
		}
		c.log.WarnContext(ctx, "wechat: stable-token endpoint refused, using /cgi-bin/token", "err", err)
		c.classic.Store(true)
	}
	q := url.Values{"grant_type": {"client_credential"}, "appid": {c.appID}, "secret": {c.secret}}
	err := c.do(ctx, http.MethodGet, "/cgi-bin/token", q, nil, &res)
	return res, err
}

// dropToken forgets bad if it is still the shared token; a newer one fetched meanwhile by another
// replica stays.
func (c *api) dropToken(ctx context.Context, bad string) {
	v, err := c.state.Get(ctx, c.tokenKey())
	if err != nil || string(v) != bad {
		return
	}
	if err := c.state.Delete(ctx, c.tokenKey()); err != nil {
		c.log.WarnContext(ctx, "wechat: drop access token", "err", err)
	}
}
