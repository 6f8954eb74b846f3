package httpreply

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestField(t *testing.T) {
	body := []byte(`{"code":0,"msg":"ok","result":{"code":"E1","ok":true,"big":12345678901234567890,"list":[1]}}`)
	tests := []struct {
		path string
		want string
		ok   bool
	}{
		{"code", "0", true},
		{"msg", "ok", true},
		{"result.code", "E1", true},
		{"result.ok", "true", true},
		{"result.big", "12345678901234567890", true}, // as written, not as a float
		{"result.list", "", false},
		{"result.none", "", false},
		{"msg.code", "", false},
		{"missing", "", false},
	}
	for _, tt := range tests {
		got, ok := Field(body, tt.path)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Field(%s) = %q, %v; want %q, %v", tt.path, got, ok, tt.want, tt.ok)
		}
	}
	if _, ok := Field([]byte("<html>ok</html>"), "code"); ok {
		t.Error("Field found a code in HTML")
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		h    string
		want time.Duration
	}{
		{"", time.Minute},
		{"7", 7 * time.Second},
		{" 120 ", 2 * time.Minute},
		{"0", time.Minute},
		{"-5", time.Minute},
		{"soon", time.Minute},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), time.Minute},
	}
	for _, tt := range tests {
		if got := RetryAfter(tt.h, now, time.Minute); got != tt.want {
			t.Errorf("RetryAfter(%q) = %s, want %s", tt.h, got, tt.want)
		}
	}
}

func TestSnippet(t *testing.T) {
	long := strings.Repeat("错", 250)
	if got := Snippet([]byte("  "+long+"  "), nil); got != strings.Repeat("错", 200)+"…" {
		t.Errorf("Snippet cut to %d runes", len([]rune(got)))
	}
	if got := Snippet([]byte(" secret 42 "), func(s string) string { return strings.ReplaceAll(s, "42", "**") }); got != "secret **" {
		t.Errorf("Snippet with a mask = %q", got)
	}
}
