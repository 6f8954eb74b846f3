package sms

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"windowbot/bot"
)

const (
	testSecretID  = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"
	testSecretKey = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"
	testAppID     = "1400006666"
	testSign      = "某某政务服务中心"
	testPhone     = "13800138000"
	testE164      = "+8613800138000"
)

// testNow is 15:00 in China: the daily limits lift in 9 hours.
var testNow = time.Date(2026, 11, 23, 15, 0, 0, 0, chinaTime)

func tencentConfig(endpoint string) TencentConfig {
	return TencentConfig{SecretID: testSecretID, SecretKey: testSecretKey, SdkAppID: testAppID, SignName: testSign, Endpoint: endpoint}
}

// newTencentSender returns a Sender on the fake with one template per kind used in the tests.
func newTencentSender(t *testing.T, cfg TencentConfig, transport http.RoundTripper) *Sender {
	t.Helper()
	opts := Options{Now: func() time.Time { return testNow }}
	if transport != nil {
		opts.HTTPClient = &http.Client{Transport: transport}
	}
	s, err := New(Config{
		Provider:       ProviderTencent,
		Tencent:        cfg,
		Templates:      map[string]string{"ticket_update": "1110", "invite": "2220"},
		TemplateParams: map[string]string{"ticket_update": "ticket; url", "invite": "url"},
	}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var ticketPush = bot.Reply{
	Kind: "ticket_update",
	Text: "您的工单 T20261123-0042 已办结，请评价整改结果：https://hall.example.cn/?t=AbC123",
}

func smsTo(phone string) bot.Recipient { return bot.Recipient{Platform: bot.SMS, ChatID: phone} }

func TestTencentSendSignedRequest(t *testing.T) {
	f := newFakeTencent(t, testSecretID, testSecretKey)
	s := newTencentSender(t, tencentConfig(f.srv.URL), nil)
	if err := s.Send(context.Background(), smsTo(testPhone), ticketPush); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := f.got()
	want := []smsRequest{{
		PhoneNumberSet:   []string{testE164},
		SmsSdkAppId:      testAppID,
		SignName:         testSign,
		TemplateId:       "1110",
		TemplateParamSet: []string{"T20261123-0042", "https://hall.example.cn/?t=AbC123"},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("the endpoint got\n%+v\nwant\n%+v", got, want)
	}
}

// tamper changes the signed body on its way to the endpoint.
type tamper struct{}

func (tamper) RoundTrip(r *http.Request) (*http.Response, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	b = bytes.Replace(b, []byte(`"1110"`), []byte(`"9999"`), 1)
	r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
	return http.DefaultTransport.RoundTrip(r)
}

func TestTencentSignatureRejected(t *testing.T) {
	tests := []struct {
		name      string
		cfg       func(endpoint string) TencentConfig
		transport http.RoundTripper
		code      string
	}{
		{"wrong secret key", func(e string) TencentConfig {
			c := tencentConfig(e)
			c.SecretKey = "not-the-key"
			return c
		}, nil, "AuthFailure.SignatureFailure"},
		{"unknown secret id", func(e string) TencentConfig {
			c := tencentConfig(e)
			c.SecretID = "AKIDunknown"
			return c
		}, nil, "AuthFailure.SecretIdNotFound"},
		{"body changed after signing", tencentConfig, tamper{}, "AuthFailure.SignatureFailure"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeTencent(t, testSecretID, testSecretKey)
			s := newTencentSender(t, tt.cfg(f.srv.URL), tt.transport)
			err := s.Send(context.Background(), smsTo(testPhone), ticketPush)
			if !errors.Is(err, bot.ErrPermanent) || !strings.Contains(err.Error(), tt.code) {
				t.Fatalf("Send = %v, want a permanent %s", err, tt.code)
			}
			if n := len(f.got()); n != 0 {
				t.Fatalf("the endpoint accepted %d requests with a bad signature", n)
			}
		})
	}
}

// TestTencentAnswers drives the SDK against the fake's real answer shapes and checks how each
// failure reaches the push pipeline.
func TestTencentAnswers(t *testing.T) {
	status := func(code, msg string) func(smsRequest) (int, string) {
		return func(r smsRequest) (int, string) { return http.StatusOK, tencentStatus(r.PhoneNumberSet, code, msg) }
	}
	apiError := func(code, msg string) func(smsRequest) (int, string) {
		return func(smsRequest) (int, string) { return http.StatusOK, tencentError(code, msg) }
	}
	tests := []struct {
		name  string
		reply func(smsRequest) (int, string)
		check func(t *testing.T, err error)
	}{
		{"sent", status(statusOK, "send success"), wantNil},
		{"number over its daily limit", status("LimitExceeded.PhoneNumberDailyLimit",
			"the number of SMS messages sent from a single mobile number every day exceeds the upper limit"), wantWait(9 * time.Hour)},
		{"number over its 30-second limit", status("LimitExceeded.PhoneNumberThirtySecondLimit",
			"the number of SMS messages sent from a single mobile number within 30 seconds exceeds the upper limit"), wantWait(30 * time.Second)},
		{"number unsubscribed", status("FailedOperation.PhoneNumberInBlacklist",
			"the mobile number is in the blocklist"), wantIs(bot.ErrRecipientGone)},
		{"number malformed", status("InvalidParameterValue.IncorrectPhoneNumber",
			"invalid mobile number"), wantIs(bot.ErrRecipientGone)},
		{"API rate limit", apiError("RequestLimitExceeded",
			"Your current request times equals to `3001` in a second, which exceeds the frequency limit `3000` for a second. Please reduce the frequency of calls."), wantWait(time.Second)},
		{"template not approved", apiError("FailedOperation.TemplateIncorrectOrUnapproved",
			"template is not approved or request content does not match the approved template content"), wantIs(bot.ErrPermanent)},
		{"template parameter too long", apiError("InvalidParameterValue.TemplateParameterLengthLimit",
			"the length of a single template variable exceeds the limit"), wantIs(bot.ErrPermanent)},
		{"balance exhausted", apiError("FailedOperation.InsufficientBalanceInSmsPackage",
			"insufficient balance in SMS package"), wantWait(time.Hour)},
		{"internal timeout", apiError("InternalError.Timeout", "request timed out"), wantRetry},
		{"gateway page instead of JSON", func(smsRequest) (int, string) {
			return http.StatusBadGateway, "<html><body>502 Bad Gateway</body></html>"
		}, wantRetry},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeTencent(t, testSecretID, testSecretKey)
			f.reply = tt.reply
			s := newTencentSender(t, tencentConfig(f.srv.URL), nil)
			err := s.Send(context.Background(), smsTo(testPhone), ticketPush)
			tt.check(t, err)
			if err != nil && strings.Contains(err.Error(), testPhone) {
				t.Errorf("the error shows the phone number: %v", err)
			}
		})
	}
}

func TestTencentUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	endpoint := srv.URL
	srv.Close()
	s := newTencentSender(t, tencentConfig(endpoint), nil)
	wantRetry(t, s.Send(context.Background(), smsTo(testPhone), ticketPush))
}

func TestTencentNeedsTemplate(t *testing.T) {
	f := newFakeTencent(t, testSecretID, testSecretKey)
	s := newTencentSender(t, tencentConfig(f.srv.URL), nil)
	err := s.Send(context.Background(), smsTo(testPhone), bot.Reply{Kind: "monthly_star", Text: "本月服务之星"})
	if !errors.Is(err, bot.ErrPermanent) {
		t.Fatalf("Send without a template = %v, want permanent", err)
	}
	if n := len(f.got()); n != 0 {
		t.Fatalf("%d requests sent without a template", n)
	}
}

func TestNewTencentChecksConfig(t *testing.T) {
	if _, err := NewTencent(TencentConfig{SecretID: "x"}, Options{}); err == nil ||
		!strings.Contains(err.Error(), "secret_key") || !strings.Contains(err.Error(), "sign_name") {
		t.Fatalf("NewTencent with missing keys = %v", err)
	}
	if _, err := NewTencent(tencentConfig("ftp://x"), Options{}); err == nil {
		t.Fatal("NewTencent accepted an ftp endpoint")
	}
}

func wantNil(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("err = %v, want nil", err)
	}
}

func wantIs(target error) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		t.Helper()
		if !errors.Is(err, target) {
			t.Fatalf("err = %v, want %v", err, target)
		}
	}
}

func wantWait(after time.Duration) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		t.Helper()
		var ra *bot.RetryAfterError
		if !errors.As(err, &ra) || ra.After != after {
			t.Fatalf("err = %v, want a wait of %s", err, after)
		}
	}
}

// wantRetry wants an error that the pipeline retries with backoff: none of the decided classes.
func wantRetry(t *testing.T, err error) {
	t.Helper()
	var ra *bot.RetryAfterError
	if err == nil || errors.Is(err, bot.ErrPermanent) || errors.Is(err, bot.ErrRecipientGone) || errors.As(err, &ra) {
		t.Fatalf("err = %v, want a plain retryable error", err)
	}
}

// TestTencentConcurrent sends from several goroutines through one Sender, as the push
// dispatcher does; -race watches the SDK client.
func TestTencentConcurrent(t *testing.T) {
	f := newFakeTencent(t, testSecretID, testSecretKey)
	s := newTencentSender(t, tencentConfig(f.srv.URL), nil)
	phones := []string{"13800138000", "13900139000", "15000150000", "18600186000", "17700177000", "19900199000"}
	errs := make(chan error, len(phones))
	for _, p := range phones {
		go func() { errs <- s.Send(context.Background(), smsTo(p), ticketPush) }()
	}
	for range phones {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, r := range f.got() {
		got = append(got, r.PhoneNumberSet...)
	}
	if len(got) != len(phones) {
		t.Fatalf("the endpoint got %d messages for %d sends: %v", len(got), len(phones), got)
	}
}
