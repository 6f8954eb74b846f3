package sms

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"

	"windowbot/bot"
)

// The SendSms action of Tencent Cloud SMS API 3.0.
const (
	tencentService = "sms"
	tencentVersion = "2021-01-11"
	tencentAction  = "SendSms"
)

// Defaults of TencentConfig.
const (
	DefaultTencentEndpoint = "sms.tencentcloudapi.com"
	DefaultTencentRegion   = "ap-guangzhou"
	DefaultTencentTimeout  = 10 * time.Second
)

// TencentConfig configures Tencent Cloud SMS (腾讯云短信). The yaml tags are the keys under
// `sms.tencent:`.
type TencentConfig struct {
	// SecretID and SecretKey are the API key (云 API 密钥) that signs each request (TC3-HMAC-SHA256).
	SecretID  string `yaml:"secret_id"`
	SecretKey string `yaml:"secret_key"`
	// SdkAppID is the SMS application's SdkAppId (e.g. 1400006666).
	SdkAppID string `yaml:"sdk_app_id"`
	// SignName is the approved signature's content (签名内容, not its ID); required for mainland numbers.
	SignName string `yaml:"sign_name"`
	// Region is the API region (default ap-guangzhou).
	Region string `yaml:"region"`
	// Endpoint is the API host (default sms.tencentcloudapi.com); a URL with a scheme
	// (http://127.0.0.1:8080) also sets the scheme, for a local fake.
	Endpoint string `yaml:"endpoint"`
	// Timeout bounds one request; the SDK counts whole seconds (default 10s).
	Timeout time.Duration `yaml:"timeout"`
}

// Tencent sends messages through Tencent Cloud SMS with the SDK's common client, which signs
// each request; the SMS product module of the SDK is not needed.
type Tencent struct {
	cfg    TencentConfig
	client *common.Client
	now    func() time.Time
}

var _ Provider = (*Tencent)(nil)

// NewTencent checks cfg and returns the provider. It makes no network call.
func NewTencent(cfg TencentConfig, opts Options) (*Tencent, error) {
	var missing []string
	for _, f := range []struct{ name, v string }{
		{"secret_id", cfg.SecretID}, {"secret_key", cfg.SecretKey},
		{"sdk_app_id", cfg.SdkAppID}, {"sign_name", cfg.SignName},
	} {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("sms: tencent: missing %s", strings.Join(missing, ", "))
	}
	if cfg.Region == "" {
		cfg.Region = DefaultTencentRegion
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTencentTimeout
	}
	scheme, host := "https", cfg.Endpoint
	if host == "" {
		host = DefaultTencentEndpoint
	}
	if strings.Contains(host, "://") {
		u, err := url.Parse(host)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, fmt.Errorf("sms: tencent: endpoint %q: want a host or an http(s) URL", cfg.Endpoint)
		}
		scheme, host = u.Scheme, u.Host
	}

	cp := profile.NewClientProfile()
	cp.HttpProfile.Endpoint = host
	cp.HttpProfile.Scheme = strings.ToUpper(scheme)
	cp.HttpProfile.ReqMethod = "POST"
	cp.HttpProfile.ReqTimeout = int((cfg.Timeout + time.Second - 1) / time.Second)
	// Retries belong to the outbox, which knows the message and its attempts; the SDK would
	// sleep inside a send and retry on its own.
	cp.NetworkFailureMaxRetries = 0
	cp.RateLimitExceededMaxRetries = 0
	cp.DisableRegionBreaker = true

	client := common.NewCommonClient(common.NewCredential(cfg.SecretID, cfg.SecretKey), cfg.Region, cp)
	if opts.HTTPClient != nil && opts.HTTPClient.Transport != nil {
		client.WithHttpTransport(opts.HTTPClient.Transport)
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &Tencent{cfg: cfg, client: client, now: now}, nil
}

// sendSmsResponse is SendSms's answer: one status per number sent to.
type sendSmsResponse struct {
	*tchttp.BaseResponse
	Response struct {
		SendStatusSet []sendStatus `json:"SendStatusSet"`
		RequestID     string       `json:"RequestId"`
	} `json:"Response"`
}

type sendStatus struct {
	SerialNo    string `json:"SerialNo"`
	PhoneNumber string `json:"PhoneNumber"`
	Fee         int    `json:"Fee"`
	Code        string `json:"Code"`
	Message     string `json:"Message"`
	IsoCode     string `json:"IsoCode"`
}

// StatusError is a number's failure in SendSms's SendStatusSet: the request was accepted but
// the message to that number was not.
type StatusError struct {
	Code      string
	Message   string
	RequestID string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("sms: tencent: %s: %s (request %s)", e.Code, e.Message, e.RequestID)
}

// statusOK is SendStatusSet's code of an accepted message.
const statusOK = "Ok"

// Send implements Provider with one SendSms request for m.Phone.
func (t *Tencent) Send(ctx context.Context, m Message) error {
	if m.TemplateID == "" {
		return fmt.Errorf("sms: tencent: no template for %q and no %q template: %w", m.Kind, DefaultTemplate, bot.ErrPermanent)
	}
	params := m.Params
	if params == nil {
		params = []string{}
	}
	req := tchttp.NewCommonRequest(tencentService, tencentVersion, tencentAction)
	if err := req.SetActionParameters(map[string]any{
		"PhoneNumberSet":   []string{m.Phone},
		"SmsSdkAppId":      t.cfg.SdkAppID,
		"SignName":         t.cfg.SignName,
		"TemplateId":       m.TemplateID,
		"TemplateParamSet": params,
	}); err != nil {
		return fmt.Errorf("sms: tencent: %w: %w", bot.ErrPermanent, err)
	}
	req.SetContext(ctx)
	resp := &sendSmsResponse{BaseResponse: &tchttp.BaseResponse{}}
	if err := t.client.Send(req, resp); err != nil {
		var se *tcerr.TencentCloudSDKError
		if errors.As(err, &se) {
			return t.classify(se.Code, fmt.Errorf("sms: tencent SendSms: %w", err))
		}
		return fmt.Errorf("sms: tencent SendSms: %w", err)
	}
	for _, st := range resp.Response.SendStatusSet {
		if st.Code != statusOK {
			return t.classify(st.Code, &StatusError{Code: st.Code, Message: st.Message, RequestID: resp.Response.RequestID})
		}
	}
	if len(resp.Response.SendStatusSet) == 0 {
		return fmt.Errorf("sms: tencent SendSms: no status for the number (request %s)", resp.Response.RequestID)
	}
	return nil
}

// classify maps a Tencent error code onto the send errors of package bot.
func (t *Tencent) classify(code string, err error) error {
	switch c, after := classifyTencent(code, t.now()); c {
	case classGone:
		return fmt.Errorf("%w: %w", bot.ErrRecipientGone, err)
	case classPermanent:
		return fmt.Errorf("%w: %w", bot.ErrPermanent, err)
	case classWait:
		return &bot.RetryAfterError{After: after, Err: err}
	}
	return err
}

type errClass int

const (
	classRetry errClass = iota
	classPermanent
	classGone
	classWait
)

// chinaTime is the clock of Tencent's daily limits and of the marketing-hours rule; China keeps
// no daylight saving time.
var chinaTime = time.FixedZone("CST", 8*3600)

// classifyTencent sorts an error code of SendSms (the request's Response.Error.Code or a number's
// SendStatusSet code) and, for limits, says how long to wait. Codes from the SDK's list of
// SendSms errors and Tencent Cloud's common error codes; an unknown code is retried.
func classifyTencent(code string, now time.Time) (errClass, time.Duration) {
	switch code {
	// The number cannot be reached: unsubscribed (退订), on the carriers' do-not-disturb list,
	// or not a number at all.
	case "FailedOperation.PhoneNumberInBlacklist",
		"InvalidParameterValue.IncorrectPhoneNumber",
		"FailedOperation.PhoneNumberParseFail":
		return classGone, 0

	// Limits that lift by themselves.
	case "RequestLimitExceeded", "LimitExceeded.GlobalSmsSendingRateLimit":
		return classWait, time.Second
	case "LimitExceeded.PhoneNumberThirtySecondLimit":
		return classWait, 30 * time.Second
	case "LimitExceeded.PhoneNumberOneHourLimit", "LimitExceeded.DeliveryFrequencyLimit":
		return classWait, time.Hour
	case "LimitExceeded.PhoneNumberDailyLimit",
		"LimitExceeded.PhoneNumberSameContentDailyLimit",
		"LimitExceeded.AppDailyLimit",
		"LimitExceeded.AppMainlandChinaDailyLimit",
		"LimitExceeded.AppGlobalDailyLimit",
		"LimitExceeded.AppCountryOrRegionDailyLimit",
		"LimitExceeded.DailyLimit":
		return classWait, untilClock(now, 0)
	case "FailedOperation.MarketingSendTimeConstraint":
		return classWait, untilClock(now, 8)
	// The account needs money; the messages keep until someone pays.
	case "FailedOperation.InsufficientBalanceInSmsPackage",
		"UnauthorizedOperation.ServiceSuspendDueToArrears":
		return classWait, time.Hour

	// Transient on Tencent's side or ours: retry with backoff.
	case "AuthFailure.SignatureExpire", // our clock, or a request that waited too long
		"InternalError.RequestTimeException",
		"FailedOperation.ParametersOtherError",
		"ResourceUnavailable", "ServiceUnavailable":
		return classRetry, 0
	}
	switch {
	case strings.HasPrefix(code, "InternalError"), strings.HasPrefix(code, "ClientError."):
		// Tencent's internal errors and the SDK's own (network, HTTP status, unreadable answer).
		return classRetry, 0
	case strings.HasPrefix(code, "AuthFailure"), // wrong key: fix the configuration
		strings.HasPrefix(code, "UnauthorizedOperation"),
		strings.HasPrefix(code, "InvalidParameter"), // also InvalidParameterValue.*
		strings.HasPrefix(code, "MissingParameter"),
		strings.HasPrefix(code, "UnsupportedOperation"),
		strings.HasPrefix(code, "FailedOperation"), // template, signature, sensitive words, …
		strings.HasPrefix(code, "LimitExceeded"),   // the number count, a region on the app's block list
		code == "InvalidAction", code == "UnknownParameter", code == "NoSuchVersion":
		return classPermanent, 0
	}
	return classRetry, 0
}

// untilClock returns how long from now until the next hour:00 in China, at least a minute.
func untilClock(now time.Time, hour int) time.Duration {
	c := now.In(chinaTime)
	next := time.Date(c.Year(), c.Month(), c.Day(), hour, 0, 0, 0, chinaTime)
	if !next.After(c) {
		next = next.AddDate(0, 0, 1)
	}
	return max(next.Sub(c), time.Minute)
}
