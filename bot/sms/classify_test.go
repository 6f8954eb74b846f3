package sms

import (
	"testing"
	"time"
)

func TestClassifyTencent(t *testing.T) {
	tests := []struct {
		code  string
		class errClass
		after time.Duration
	}{
		{"FailedOperation.PhoneNumberInBlacklist", classGone, 0},
		{"InvalidParameterValue.IncorrectPhoneNumber", classGone, 0},
		{"FailedOperation.PhoneNumberParseFail", classGone, 0},

		{"RequestLimitExceeded", classWait, time.Second},
		{"LimitExceeded.GlobalSmsSendingRateLimit", classWait, time.Second},
		{"LimitExceeded.PhoneNumberThirtySecondLimit", classWait, 30 * time.Second},
		{"LimitExceeded.PhoneNumberOneHourLimit", classWait, time.Hour},
		{"LimitExceeded.DeliveryFrequencyLimit", classWait, time.Hour},
		{"LimitExceeded.PhoneNumberDailyLimit", classWait, 9 * time.Hour},
		{"LimitExceeded.PhoneNumberSameContentDailyLimit", classWait, 9 * time.Hour},
		{"LimitExceeded.AppDailyLimit", classWait, 9 * time.Hour},
		{"LimitExceeded.AppMainlandChinaDailyLimit", classWait, 9 * time.Hour},
		{"FailedOperation.MarketingSendTimeConstraint", classWait, 17 * time.Hour},
		{"FailedOperation.InsufficientBalanceInSmsPackage", classWait, time.Hour},
		{"UnauthorizedOperation.ServiceSuspendDueToArrears", classWait, time.Hour},

		{"InvalidParameter", classPermanent, 0},
		{"InvalidParameter.DirtyWordFound", classPermanent, 0},
		{"InvalidParameterValue.TemplateParameterFormatError", classPermanent, 0},
		{"InvalidParameterValue.TemplateParameterLengthLimit", classPermanent, 0},
		{"InvalidParameterValue.ContentLengthLimit", classPermanent, 0},
		{"InvalidParameterValue.ProhibitedUseUrlInTemplateParameter", classPermanent, 0},
		{"MissingParameter.EmptyPhoneNumberSet", classPermanent, 0},
		{"FailedOperation.TemplateIncorrectOrUnapproved", classPermanent, 0},
		{"FailedOperation.SignatureIncorrectOrUnapproved", classPermanent, 0},
		{"FailedOperation.ContainSensitiveWord", classPermanent, 0},
		{"FailedOperation.TemplateParamSetNotMatchApprovedTemplate", classPermanent, 0},
		{"FailedOperation.JsonParseFail", classPermanent, 0},
		{"UnauthorizedOperation.SmsSdkAppIdVerifyFail", classPermanent, 0},
		{"UnauthorizedOperation.RequestIpNotInWhitelist", classPermanent, 0},
		{"UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber", classPermanent, 0},
		{"LimitExceeded.PhoneNumberCountLimit", classPermanent, 0},
		{"LimitExceeded.AppCountryOrRegionInBlacklist", classPermanent, 0},
		{"AuthFailure.SignatureFailure", classPermanent, 0},
		{"AuthFailure.SecretIdNotFound", classPermanent, 0},

		{"AuthFailure.SignatureExpire", classRetry, 0},
		{"InternalError.RequestTimeException", classRetry, 0},
		{"InternalError.Timeout", classRetry, 0},
		{"InternalError.SendAndRecvFail", classRetry, 0},
		{"FailedOperation.ParametersOtherError", classRetry, 0},
		{"ClientError.NetworkError", classRetry, 0},
		{"ClientError.HttpStatusCodeError", classRetry, 0},
		{"ClientError.ParseJsonError", classRetry, 0},
		{"SomethingNew.NeverSeen", classRetry, 0},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			class, after := classifyTencent(tt.code, testNow)
			if class != tt.class || after != tt.after {
				t.Fatalf("classifyTencent(%s) = %d, %s; want %d, %s", tt.code, class, after, tt.class, tt.after)
			}
		})
	}
}

func TestUntilClock(t *testing.T) {
	at := func(h, m int) time.Time { return time.Date(2026, 11, 23, h, m, 0, 0, chinaTime) }
	tests := []struct {
		now  time.Time
		hour int
		want time.Duration
	}{
		{at(15, 0), 0, 9 * time.Hour},
		{at(23, 59), 0, time.Minute},
		{at(23, 59).Add(30 * time.Second), 0, time.Minute}, // never less than a minute
		{at(0, 0), 0, 24 * time.Hour},
		{at(6, 30), 8, 90 * time.Minute},
		{at(22, 0), 8, 10 * time.Hour},
		{at(7, 0).UTC(), 8, time.Hour}, // the clock is China's whatever the zone of now
	}
	for _, tt := range tests {
		if got := untilClock(tt.now, tt.hour); got != tt.want {
			t.Errorf("untilClock(%s, %d) = %s, want %s", tt.now, tt.hour, got, tt.want)
		}
	}
}
