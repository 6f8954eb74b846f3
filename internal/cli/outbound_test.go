package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"windowbot/models"
)

// recorder is a fake HTTP endpoint (an SMS gateway, the provincial platform) that takes JSON
// bodies with the right Authorization header and keeps them.
type recorder struct {
	mu  sync.Mutex
	got []map[string]any
	srv *httptest.Server
}

func newRecorder(t *testing.T, auth string) *recorder {
	r := &recorder{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Header.Get("Authorization") != auth {
			http.Error(w, "bad credentials", http.StatusUnauthorized)
			return
		}
		b, _ := io.ReadAll(req.Body)
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		r.got = append(r.got, m)
		r.mu.Unlock()
		io.WriteString(w, `{"code":"0"}`)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// wait returns what the endpoint received once it holds at least n bodies, failing the test
// after 20 seconds with log.
func (r *recorder) wait(t *testing.T, n int, log fmt.Stringer) []map[string]any {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r.mu.Lock()
		got := slices.Clone(r.got)
		r.mu.Unlock()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d bodies, want %d: %v\n%s", len(got), n, got, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// smsEnv is the environment of a server that texts through the gateway g.
func smsEnv(t *testing.T, g *recorder, extra map[string]string) map[string]string {
	e := baseEnv(t, map[string]string{
		"WINDOWBOT_SMS_PROVIDER":            "gateway",
		"WINDOWBOT_SMS_GATEWAY_URL":         g.srv.URL,
		"WINDOWBOT_SMS_GATEWAY_AUTH_HEADER": "Authorization",
		"WINDOWBOT_SMS_GATEWAY_AUTH_VALUE":  "Token sms-key",
		"WINDOWBOT_SMS_GATEWAY_BODY":        `{"mobile":"{phone}","content":"{text}"}`,
	})
	for k, v := range extra {
		e[k] = v
	}
	if code, _, errs := runCmd(t, e, "seed", "--demo"); code != 0 {
		t.Fatal(errs)
	}
	return e
}

// TestServeSendsSMSAndReports: a running server with an SMS gateway and a provincial endpoint
// configured texts the citizen of a case registered with a phone and consent (短信邀评), and sends
// the provincial record of a rating, both from their outboxes.
func TestServeSendsSMSAndReports(t *testing.T) {
	gateway, province := newRecorder(t, "Token sms-key"), newRecorder(t, "Bearer report-key")
	e := smsEnv(t, gateway, map[string]string{
		"WINDOWBOT_CASES_TOKEN":  "case-system",
		"WINDOWBOT_REPORT_URL":   province.srv.URL,
		"WINDOWBOT_REPORT_TOKEN": "report-key",
	})
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
	texts, records := gateway.wait(t, 1, stderr), province.wait(t, 1, stderr)
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

// TestComplainantTextedBackIntoWebChat (issue 14, point 5): a complainant on the web chat who
// left a phone, and whose page is long closed, is texted each step of their ticket and the
// invitation to re-rate it, with a link back into the web chat; another browser (their phone)
// opening the link sees the ticket and gives the verdict. A complainant on Telegram with a phone
// is reached in their chat and never texted; a made-up link is refused; no number reaches the log.
func TestComplainantTextedBackIntoWebChat(t *testing.T) {
	gateway := newRecorder(t, "Token sms-key")
	e := smsEnv(t, gateway, map[string]string{"WINDOWBOT_PUBLIC_URL": "https://hall.example.cn", "WINDOWBOT_LOG_LEVEL": "info"})
	ctx := t.Context()
	s, err := models.Open(ctx, e["WINDOWBOT_DATABASE_URL"], slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	w, err := s.WindowByCode(ctx, "W001")
	if err != nil {
		t.Fatal(err)
	}
	complain := func(platform, id, phone string) *models.Ticket {
		c, err := s.TouchCitizen(ctx, platform, id, "zh-CN", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		tk, err := s.CreateComplaint(ctx, models.NewComplaint{CitizenID: c.ID, CenterID: w.CenterID, WindowID: &w.ID,
			Category: "efficiency", Description: "排队两个小时无人叫号", Channel: platform, Phone: phone, CallbackConsent: true, At: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		return tk
	}
	web := complain("web", "closed-page", "13900139000")
	tg := complain("telegram", "4242", "13700137000")

	code, out, errs := runCmd(t, e, "staff", "invite", "--staff-no", models.DemoSupervisorNo)
	if code != 0 {
		t.Fatal(errs)
	}
	base, stderr := startServe(t, e)
	// The supervisor works the two tickets in their own web chat.
	sup := newWebVisitor(t, base)
	if out := sup.say("/bind " + strings.TrimSpace(out)); !strings.Contains(out, "绑定成功") {
		t.Fatalf("bind:\n%s", out)
	}
	for _, tk := range []*models.Ticket{web, tg} {
		for _, cmd := range []string{"/accept %s", "/plan %s 增设叫号提醒", "/done %s 已在等候区增设叫号提醒屏并安排专人引导", "/approve %s"} {
			if out := sup.say(fmt.Sprintf(cmd, tk.No)); !strings.Contains(out, "已") || !strings.Contains(out, tk.No) {
				t.Fatalf("%s:\n%s", fmt.Sprintf(cmd, tk.No), out)
			}
		}
	}
	// Accepted and planned (progress), then fixed and approved (the re-rating): three texts, to
	// the web complainant only; the fix awaiting approval is not the citizen's news.
	gateway.wait(t, 3, stderr)
	time.Sleep(500 * time.Millisecond)
	texts := gateway.wait(t, 3, stderr)
	if len(texts) != 3 {
		t.Fatalf("texts %v", texts)
	}
	link := regexp.MustCompile(`https://hall\.example\.cn/\?k=([A-Za-z0-9_-]{22})`)
	var token string
	for i, want := range []string{"您反映的问题（编号" + web.No + "）有新进展：已受理", "您反映的问题（编号" + web.No + "）有新进展：整改中",
		"您反映的问题（编号" + web.No + "）已整改完毕，请对整改结果进行评价"} {
		content, _ := texts[i]["content"].(string)
		m := link.FindStringSubmatch(content)
		if texts[i]["mobile"] != "+8613900139000" || !strings.Contains(content, want) || m == nil || (token != "" && m[1] != token) {
			t.Fatalf("text %d: %v", i, texts[i])
		}
		token = m[1]
	}

	// A made-up link is refused; the texted one opens the ticket in a fresh browser, which gives
	// the verdict.
	phone := newWebVisitor(t, base)
	if out := phone.say("/start k_AAAAAAAAAAAAAAAAAAAAAA"); !strings.Contains(out, "这个链接无法识别") {
		t.Fatalf("made-up link:\n%s", out)
	}
	out = phone.say("/start k_" + token)
	if !strings.Contains(out, web.No) || !strings.Contains(out, "已在等候区增设叫号提醒屏") || !strings.Contains(out, "请对工单 "+web.No+" 的整改结果进行评价") {
		t.Fatalf("link opened:\n%s", out)
	}
	out = phone.press("cmd:/rerate " + web.No + " " + models.RerateSatisfied)
	got, err := s.TicketByNo(ctx, web.No)
	if err != nil || got.State != models.StateClosed || got.CitizenID == web.CitizenID {
		t.Fatalf("after the verdict (%s): %+v %v", out, got, err)
	}
	// The browser the complaint came from still follows the ticket.
	if _, err := s.CitizenTicket(ctx, web.CitizenID, web.No); err != nil {
		t.Fatalf("the first browser lost the ticket: %v", err)
	}

	// A complaint made by phone, entered by the office: the citizen's only contact is the number,
	// texted that it is registered, with the link that brings them into the web chat.
	if out := sup.say("/walkin W001 13600136000 电话反映中午窗口无人值守"); !strings.Contains(out, "短信告知 136****6000") {
		t.Fatalf("walk-in:\n%s", out)
	}
	texts = gateway.wait(t, 4, stderr)
	content, _ := texts[3]["content"].(string)
	m := link.FindStringSubmatch(content)
	if texts[3]["mobile"] != "+8613600136000" || !strings.Contains(content, "您反映的问题已登记") || m == nil {
		t.Fatalf("walk-in text: %v", texts[3])
	}
	if out := newWebVisitor(t, base).say("/start k_" + m[1]); !strings.Contains(out, "状态：待受理") || !strings.Contains(out, "T2026") {
		t.Fatalf("walk-in link opened:\n%s", out)
	}
	if log := stderr.String(); strings.Contains(log, "13900139000") || strings.Contains(log, "13700137000") || strings.Contains(log, "13600136000") {
		t.Errorf("a phone number reached the log:\n%s", stderr.String())
	}
}
