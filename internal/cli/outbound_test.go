package cli

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"windowbot/models"
)

// TestServeSendsSMSAndReports: a running server with an SMS gateway and a provincial endpoint
// configured texts the citizen of a case registered with a phone and consent (短信邀评), and sends
// the provincial record of a rating, both from their outboxes.
func TestServeSendsSMSAndReports(t *testing.T) {
	var mu sync.Mutex
	var texts, records []map[string]any
	fake := func(into *[]map[string]any, auth string) *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != auth {
				http.Error(w, "bad credentials", http.StatusUnauthorized)
				return
			}
			b, _ := io.ReadAll(r.Body)
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			mu.Lock()
			*into = append(*into, m)
			mu.Unlock()
			io.WriteString(w, `{"code":"0"}`)
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	gateway, province := fake(&texts, "Token sms-key"), fake(&records, "Bearer report-key")

	e := baseEnv(t, map[string]string{
		"WINDOWBOT_CASES_TOKEN":             "case-system",
		"WINDOWBOT_SMS_PROVIDER":            "gateway",
		"WINDOWBOT_SMS_GATEWAY_URL":         gateway.URL,
		"WINDOWBOT_SMS_GATEWAY_AUTH_HEADER": "Authorization",
		"WINDOWBOT_SMS_GATEWAY_AUTH_VALUE":  "Token sms-key",
		"WINDOWBOT_SMS_GATEWAY_BODY":        `{"mobile":"{phone}","content":"{text}"}`,
		"WINDOWBOT_REPORT_URL":              province.URL,
		"WINDOWBOT_REPORT_TOKEN":            "report-key",
	})
	if code, _, errs := runCmd(t, e, "seed", "--demo"); code != 0 {
		t.Fatal(errs)
	}
	s, err := models.Open(t.Context(), e["WINDOWBOT_DATABASE_URL"], slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.WindowByCode(t.Context(), "W001")
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.TouchCitizen(t.Context(), "web", "outbound-1", "zh-CN", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateRating(t.Context(), &models.Rating{WindowID: w.ID, CitizenID: c.ID, Level: 4, Channel: "web", CreatedAt: time.Now()}, time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	s.Close()

	base, stderr := startServe(t, e)
	if code, body := registerCases(t, base, "case-system", `{"case_no":"NS-SMS-1","window_code":"W001","finished_at":"2026-12-05T09:00:00+08:00","phone":"13800138000","consent":true}`); code != http.StatusCreated {
		t.Fatalf("register: %d %s", code, body)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		done := len(texts) >= 1 && len(records) >= 1
		mu.Unlock()
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("texts %v, records %v\n%s", texts, records, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(texts) != 1 || texts[0]["mobile"] != "+8613800138000" || !strings.Contains(texts[0]["content"].(string), "/?c=") {
		t.Errorf("texts %v", texts)
	}
	if len(records) != 1 || records[0]["windowCode"] != "W001" || records[0]["satisfaction"] != "4" {
		t.Errorf("records %v", records)
	}
	if strings.Contains(stderr.String(), "13800138000") {
		t.Errorf("the phone number reached the log:\n%s", stderr.String())
	}
}
