package sms

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"windowbot/bot"
)

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"13800138000", "+8613800138000"},
		{"138 0013 8000", "+8613800138000"},
		{"138-0013-8000", "+8613800138000"},
		{"8613800138000", "+8613800138000"},
		{"008613800138000", "+8613800138000"},
		{"+8613800138000", "+8613800138000"},
		{"+85291234567", "+85291234567"},
		{"+1 415 555 0100", "+14155550100"},
		{"12800138000", ""},   // 12x is no mobile range
		{"1380013800", ""},    // ten digits
		{"+861380013800", ""}, // ten digits after +86
		{"02161234567", ""},   // a landline without country code
		{"+1234567", ""},      // too short for E.164
		{"1380013800a", ""},   //
		{"o_AbCdEfGhIj", ""},  // a WeChat OpenID is no phone
		{"138+00138000", ""},  // + only in front
		{"", ""},              //
	}
	for _, tt := range tests {
		got, err := NormalizePhone(tt.in)
		if tt.want == "" {
			if !errors.Is(err, ErrInvalidPhone) {
				t.Errorf("NormalizePhone(%q) = %q, %v; want ErrInvalidPhone", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestMaskPhone(t *testing.T) {
	for in, want := range map[string]string{
		"13800138000":     "138****8000",
		"+8613800138000":  "138****8000",
		"+14155550100":    "+14****0100",
		"o_AbCdEfGhIj":    "o_A****GhIj",
		"1234567":         "****",
		"":                "****",
		"+85291234567":    "+85****4567",
		"138 0013 8000":   "138****8000",
		"008613800138000": "138****8000",
	} {
		if got := MaskPhone(in); got != want {
			t.Errorf("MaskPhone(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParams(t *testing.T) {
	text := "您的工单 T20261123-0042 已受理。\n承办窗口：W012\n查看进度：https://hall.example.cn/t/AbC。"
	tests := []struct {
		spec string
		want []string
		err  error
	}{
		{"ticket;url", []string{"T20261123-0042", "https://hall.example.cn/t/AbC"}, nil},
		{"line:2; text:4", []string{"承办窗口：W012", "您的工单"}, nil},
		{`re:窗口：(W\d+)`, []string{"W012"}, nil},
		{`re:W\d+`, []string{"W012"}, nil},
		{"const:南山区政务服务中心;ticket", []string{"南山区政务服务中心", "T20261123-0042"}, nil},
		{"line:9", nil, ErrNoValue},
		{`re:Z\d+`, nil, ErrNoValue},
	}
	for _, tt := range tests {
		params, err := ParseParams(tt.spec)
		if err != nil {
			t.Fatalf("ParseParams(%q): %v", tt.spec, err)
		}
		var got []string
		var verr error
		for _, p := range params {
			v, err := p.Value(text)
			if err != nil {
				verr = err
				break
			}
			got = append(got, v)
		}
		if tt.err != nil {
			if !errors.Is(verr, tt.err) {
				t.Errorf("%q: err = %v, want %v", tt.spec, verr, tt.err)
			}
			continue
		}
		if verr != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q = %q, %v; want %q", tt.spec, got, verr, tt.want)
		}
	}
	for _, bad := range []string{"text:0", "line:x", "line", "url:3", "re:(", "phone"} {
		if _, err := ParseParams(bad); err == nil {
			t.Errorf("ParseParams(%q) accepted a bad source", bad)
		}
	}
	// A parameter shows the source it was parsed from, for error messages.
	ps, _ := ParseParams("text:4;line:2;url;re:W(\\d+);const:x")
	var names []string
	for _, p := range ps {
		names = append(names, p.String())
	}
	if got := strings.Join(names, ";"); got != `text:4;line:2;url;re:W(\d+);const:x` {
		t.Errorf("sources read back as %s", got)
	}
}

// TestSenderMessages checks what a provider receives for each kind of push, and that the log
// never carries the number or the text.
func TestSenderMessages(t *testing.T) {
	var got []Message
	p := ProviderFunc(func(_ context.Context, m Message) error { got = append(got, m); return nil })
	var logs bytes.Buffer
	s, err := NewSender(p, Config{
		Templates:      map[string]string{"ticket_update": "1110", DefaultTemplate: "9990"},
		TemplateParams: map[string]string{"ticket_update": "ticket;url", DefaultTemplate: "text:10"},
	}, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Send(ctx, smsTo("138 0013 8000"), ticketPush); err != nil {
		t.Fatal(err)
	}
	if err := s.Send(ctx, smsTo(testE164), bot.Reply{Kind: "monthly_star", Text: "  本月服务之星评选结果已公布，欢迎查看  "}); err != nil {
		t.Fatal(err)
	}
	want := []Message{
		{Phone: testE164, Kind: "ticket_update", Text: ticketPush.Text, TemplateID: "1110",
			Params: []string{"T20261123-0042", "https://hall.example.cn/?t=AbC123"}},
		{Phone: testE164, Kind: "monthly_star", Text: "本月服务之星评选结果已公布，欢迎查看", TemplateID: "9990",
			Params: []string{"本月服务之星评选结果"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("provider got\n%+v\nwant\n%+v", got, want)
	}
	out := logs.String()
	if !strings.Contains(out, "138****8000") {
		t.Errorf("the log does not name the masked number: %s", out)
	}
	for _, secret := range []string{"13800138000", "T20261123-0042", "服务之星"} {
		if strings.Contains(out, secret) {
			t.Errorf("the log shows %q: %s", secret, out)
		}
	}
}

func TestSenderRefuses(t *testing.T) {
	called := 0
	p := ProviderFunc(func(context.Context, Message) error { called++; return nil })
	s, err := NewSender(p, Config{TemplateParams: map[string]string{"invite": "url"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		to   bot.Recipient
		msg  bot.Reply
		want error
	}{
		{"a chat recipient", bot.Recipient{Platform: bot.WeChat, ChatID: testPhone}, ticketPush, bot.ErrPermanent},
		{"not a phone number", smsTo("o_AbCdEfGhIj"), ticketPush, bot.ErrRecipientGone},
		{"an empty text", smsTo(testPhone), bot.Reply{Kind: "ticket_update", Text: " \n"}, bot.ErrPermanent},
		{"a template parameter without a value", smsTo(testPhone), bot.Reply{Kind: "invite", Text: "请评价"}, bot.ErrPermanent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Send(context.Background(), tt.to, tt.msg)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Send = %v, want %v", err, tt.want)
			}
			if strings.Contains(err.Error(), "AbCdEfGhIj") || strings.Contains(err.Error(), testPhone) {
				t.Errorf("the error shows the recipient: %v", err)
			}
		})
	}
	if called != 0 {
		t.Fatalf("the provider was called %d times for refused pushes", called)
	}
}

func TestNewConfig(t *testing.T) {
	for _, cfg := range []Config{
		{},
		{Provider: "aliyun"},
		{Provider: ProviderTencent},
		{Provider: ProviderGateway},
		{Provider: ProviderGateway, Gateway: GatewayConfig{URL: "https://sms.example.cn/send", Body: `{"to":"{phone}"}`},
			TemplateParams: map[string]string{"x": "nope"}},
	} {
		if _, err := New(cfg, Options{}); err == nil {
			t.Errorf("New(%+v) accepted it", cfg)
		}
	}
	if (Config{}).Enabled() || !(Config{Provider: ProviderGateway}).Enabled() {
		t.Error("Enabled does not follow Provider")
	}
}
