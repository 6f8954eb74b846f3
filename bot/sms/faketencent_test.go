package sms

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeTencent is an SMS API 3.0 endpoint on httptest. It checks every request's
// TC3-HMAC-SHA256 signature the way Tencent Cloud documents it (implemented here from the
// published algorithm, not with the SDK's code) and answers in Tencent's response shapes.
type fakeTencent struct {
	t      *testing.T
	srv    *httptest.Server
	region string
	// secrets maps a SecretId to its SecretKey: the accounts the endpoint knows.
	secrets map[string]string

	mu       sync.Mutex
	requests []smsRequest
	// reply answers a request whose signature passed; nil answers success for every number.
	reply func(req smsRequest) (status int, body string)
}

// smsRequest is the SendSms body as the endpoint decodes it.
type smsRequest struct {
	PhoneNumberSet   []string
	SmsSdkAppId      string
	SignName         string
	TemplateId       string
	TemplateParamSet []string
}

func newFakeTencent(t *testing.T, secretID, secretKey string) *fakeTencent {
	t.Helper()
	f := &fakeTencent{t: t, region: DefaultTencentRegion, secrets: map[string]string{secretID: secretKey}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeTencent) got() []smsRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]smsRequest(nil), f.requests...)
}

const fakeRequestID = "a0aabda6-cf91-4f3e-a81f-9198114a2279"

func tencentError(code, message string) string {
	return fmt.Sprintf(`{"Response":{"Error":{"Code":%q,"Message":%q},"RequestId":%q}}`, code, message, fakeRequestID)
}

// tencentStatus answers a SendSms with one SendStatusSet entry per number.
func tencentStatus(phones []string, code, message string) string {
	var items []string
	for i, p := range phones {
		serial, fee := fmt.Sprintf("5000:10457106691570536578494996%02d", i), 1
		if code != statusOK {
			serial, fee = "", 0
		}
		items = append(items, fmt.Sprintf(`{"SerialNo":%q,"PhoneNumber":%q,"Fee":%d,"SessionContext":"","Code":%q,"Message":%q,"IsoCode":"CN"}`,
			serial, p, fee, code, message))
	}
	return fmt.Sprintf(`{"Response":{"SendStatusSet":[%s],"RequestId":%q}}`, strings.Join(items, ","), fakeRequestID)
}

func (f *fakeTencent) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	// API errors come back as HTTP 200 with Response.Error, as Tencent Cloud does.
	fail := func(code, msg string) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, tencentError(code, msg))
	}
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		fail("InvalidAction", "only POST / is served here")
		return
	}
	if code := verifyTC3(r, body, f.secrets, time.Now()); code != "" {
		fail(code, "The provided credentials could not be validated. Please check your signature is correct.")
		return
	}
	for h, want := range map[string]string{
		"X-TC-Action": tencentAction, "X-TC-Version": tencentVersion, "X-TC-Region": f.region,
	} {
		if got := r.Header.Get(h); got != want {
			fail("InvalidParameter", fmt.Sprintf("%s is %q, want %q", h, got, want))
			return
		}
	}
	var req smsRequest
	if err := json.Unmarshal(body, &req); err != nil {
		fail("FailedOperation.JsonParseFail", err.Error())
		return
	}
	if len(req.PhoneNumberSet) == 0 {
		fail("MissingParameter.EmptyPhoneNumberSet", "PhoneNumberSet is empty")
		return
	}
	f.mu.Lock()
	f.requests = append(f.requests, req)
	reply := f.reply
	f.mu.Unlock()
	status, answer := http.StatusOK, tencentStatus(req.PhoneNumberSet, statusOK, "send success")
	if reply != nil {
		status, answer = reply(req)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, answer)
}

// verifyTC3 checks a request's Authorization header by the published TC3-HMAC-SHA256 steps:
//
//  1. CanonicalRequest = Method \n URI \n Query \n CanonicalHeaders \n SignedHeaders \n hex(SHA256(payload)),
//     the canonical headers being the signed ones, "name:value\n" each, lower-cased and trimmed;
//  2. StringToSign = "TC3-HMAC-SHA256" \n Timestamp \n Date/service/tc3_request \n hex(SHA256(CanonicalRequest));
//  3. key = HMAC(HMAC(HMAC("TC3"+SecretKey, Date), service), "tc3_request"),
//     Signature = hex(HMAC(key, StringToSign)).
//
// It returns "" for a good signature, else the error code Tencent Cloud answers with.
func verifyTC3(r *http.Request, payload []byte, secrets map[string]string, now time.Time) string {
	const algorithm = "TC3-HMAC-SHA256"
	auth := r.Header.Get("Authorization")
	rest, ok := strings.CutPrefix(auth, algorithm+" ")
	if !ok {
		return "AuthFailure.InvalidAuthorization"
	}
	parts := map[string]string{}
	for _, p := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok {
			return "AuthFailure.InvalidAuthorization"
		}
		parts[k] = v
	}
	cred := strings.Split(parts["Credential"], "/")
	if len(cred) != 4 || cred[3] != "tc3_request" || parts["SignedHeaders"] == "" || parts["Signature"] == "" {
		return "AuthFailure.InvalidAuthorization"
	}
	secretID, date, service := cred[0], cred[1], cred[2]
	key, known := secrets[secretID]
	if !known {
		return "AuthFailure.SecretIdNotFound"
	}
	ts, err := strconv.ParseInt(r.Header.Get("X-TC-Timestamp"), 10, 64)
	if err != nil {
		return "AuthFailure.InvalidAuthorization"
	}
	signedAt := time.Unix(ts, 0).UTC()
	if d := now.Sub(signedAt); d > 5*time.Minute || d < -5*time.Minute {
		return "AuthFailure.SignatureExpire"
	}
	if date != signedAt.Format("2006-01-02") || service != tencentService {
		return "AuthFailure.SignatureFailure"
	}

	var canonHeaders strings.Builder
	for _, name := range strings.Split(parts["SignedHeaders"], ";") {
		value := r.Header.Get(name)
		if strings.EqualFold(name, "host") {
			value = r.Host
		}
		fmt.Fprintf(&canonHeaders, "%s:%s\n", strings.ToLower(name), strings.ToLower(strings.TrimSpace(value)))
	}
	hash := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
	mac := func(key []byte, msg string) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(msg))
		return m.Sum(nil)
	}

	canonical := strings.Join([]string{
		r.Method, "/", r.URL.RawQuery, canonHeaders.String(), parts["SignedHeaders"], hash(payload),
	}, "\n")
	scope := date + "/" + service + "/tc3_request"
	toSign := strings.Join([]string{algorithm, strconv.FormatInt(ts, 10), scope, hash([]byte(canonical))}, "\n")
	signingKey := mac(mac(mac([]byte("TC3"+key), date), service), "tc3_request")
	want := hex.EncodeToString(mac(signingKey, toSign))
	if !hmac.Equal([]byte(want), []byte(parts["Signature"])) {
		return "AuthFailure.SignatureFailure"
	}
	return ""
}
