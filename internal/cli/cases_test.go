package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// webVisitor is one browser on the web chat: its own cookie jar, the replies it last saw.
type webVisitor struct {
	t    *testing.T
	base string
	c    *http.Client
	last []webReply
}

type webReply struct {
	ID      string `json:"id"`
	Text    string `json:"text"`
	Buttons [][]struct {
		Label   string `json:"label"`
		Payload string `json:"payload"`
	} `json:"buttons"`
}

func newWebVisitor(t *testing.T, base string) *webVisitor {
	jar, _ := cookiejar.New(nil)
	v := &webVisitor{t: t, base: base, c: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
	res, err := v.c.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return v
}

func (v *webVisitor) post(body string) string {
	v.t.Helper()
	res, err := v.c.Post(v.base+"/chat/api/message", "application/json", strings.NewReader(body))
	if err != nil {
		v.t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Replies []webReply `json:"replies"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != http.StatusOK {
		v.t.Fatalf("POST %s: %d %v", body, res.StatusCode, err)
	}
	v.last = out.Replies
	var b strings.Builder
	for _, r := range out.Replies {
		b.WriteString(r.Text + "\n")
	}
	return b.String()
}

func (v *webVisitor) say(text string) string { return v.post(fmt.Sprintf(`{"text":%q}`, text)) }

func (v *webVisitor) press(payload string) string {
	v.t.Helper()
	for i := len(v.last) - 1; i >= 0; i-- {
		for _, row := range v.last[i].Buttons {
			for _, b := range row {
				if b.Payload == payload {
					return v.post(fmt.Sprintf(`{"payload":%q,"message_id":%q}`, payload, v.last[i].ID))
				}
			}
		}
	}
	v.t.Fatalf("no button %q in %+v", payload, v.last)
	return ""
}

// registerCases posts body to POST /api/v1/cases with token and returns the status and body.
func registerCases(t *testing.T, base, token, body string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/cases", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

type invitationJSON struct {
	CaseNo string `json:"case_no"`
	Token  string `json:"token"`
	Links  struct {
		Web      string `json:"web"`
		Telegram string `json:"telegram"`
		WeChat   string `json:"wechat"`
	} `json:"links"`
}

// TestCaseInvitationEndToEnd (一事一评): the case system registers a finished case through the
// API; the citizen rates it on the web chat through its invitation, without being asked who
// served them; the same invitation is refused the second time, on the web and on Telegram; the
// citizen may still rate the same window the same day without an invitation, once; and the
// rating carries the case.
func TestCaseInvitationEndToEnd(t *testing.T) {
	api := newFakeBotAPI(t)
	const admin, casesToken, secret = "admin-token-0123456789", "cases-token-0123456789", "webhook-secret"
	e := baseEnv(t, map[string]string{
		"WINDOWBOT_ADMIN_TOKEN": admin, "WINDOWBOT_CASES_TOKEN": casesToken,
		"WINDOWBOT_TELEGRAM_TOKEN": api.token, "WINDOWBOT_TELEGRAM_API_URL": api.srv.URL,
		"WINDOWBOT_TELEGRAM_MODE": "webhook", "WINDOWBOT_TELEGRAM_WEBHOOK_SECRET": secret,
		"WINDOWBOT_TELEGRAM_USERNAME": "HallRatingBot", "WINDOWBOT_PUBLIC_URL": "https://hall.example.cn",
	})
	base, _ := startServe(t, e)

	// Authorisation: the case token registers cases and reads nothing else.
	if code, _ := registerCases(t, base, "wrong-token", `{}`); code != http.StatusUnauthorized {
		t.Fatalf("wrong token: %d", code)
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/ratings", nil)
	req.Header.Set("Authorization", "Bearer "+casesToken)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the case token reads ratings: %v %v", res.StatusCode, err)
	}

	// A bad row refuses the whole request, naming each bad row.
	code, body := registerCases(t, base, casesToken, `[
		{"case_no":"NS20261123-0001","window_code":"W001","finished_at":"2026-11-23T09:30:00+08:00"},
		{"case_no":"NS20261123-0002","window_code":"W999","finished_at":"2026-11-23T09:30:00+08:00"},
		{"case_no":"NS20261123-0003","window_code":"W001","staff_no":"DEMO-003","finished_at":"yesterday"}]`)
	if code != http.StatusBadRequest || !strings.Contains(string(body), `"row":2`) || !strings.Contains(string(body), `"row":3`) ||
		!strings.Contains(string(body), "W999") || !strings.Contains(string(body), "not at window W001") || !strings.Contains(string(body), "finished_at") {
		t.Fatalf("bad rows: %d %s", code, body)
	}

	const one = `{"case_no":"NS20261123-0001","matter_code":"11440305MB2C94827X4440117001000","matter_name":"灵活就业人员参保登记",
		"window_code":"W001","staff_no":"DEMO-002","finished_at":"2026-11-23T09:30:00+08:00","phone":"13800138000","consent":true}`
	code, body = registerCases(t, base, casesToken, one)
	if code != http.StatusCreated {
		t.Fatalf("register: %d %s", code, body)
	}
	var inv invitationJSON
	if err := json.Unmarshal(body, &inv); err != nil {
		t.Fatal(err)
	}
	if inv.CaseNo != "NS20261123-0001" || len(inv.Token) != 22 ||
		inv.Links.Web != "https://hall.example.cn/?c="+inv.Token ||
		inv.Links.Telegram != "https://t.me/HallRatingBot?start=c_"+inv.Token || inv.Links.WeChat != "" {
		t.Fatalf("invitation: %s", body)
	}
	// Idempotent on the case number, also with the admin token and inside an array.
	code, body = registerCases(t, base, admin, "["+one+"]")
	var again []invitationJSON
	if err := json.Unmarshal(body, &again); err != nil || code != http.StatusCreated || len(again) != 1 || again[0].Token != inv.Token {
		t.Fatalf("repeat: %d %s", code, body)
	}

	// The citizen opens the web link: the case's staff member is named, nobody asks who served.
	v := newWebVisitor(t, base)
	out := v.say("/start c_" + inv.Token)
	if !strings.Contains(out, "灵活就业人员参保登记") || !strings.Contains(out, "李娜") || strings.Contains(out, "请问为您办理业务的工作人员是") {
		t.Fatalf("invitation opened:\n%s", out)
	}
	v.press("rate:level:5")
	v.press("rate:praise:done")
	out = v.press("rate:comment:skip")
	if !strings.Contains(out, "感谢您的评价") || !strings.Contains(out, "办件编号：NS20261123-0001") || !strings.Contains(out, "李娜") {
		t.Fatalf("thanks:\n%s", out)
	}
	// The invitation again: refused, on the web and on Telegram.
	if out := v.say("/start c_" + inv.Token); !strings.Contains(out, "该办件已评价，感谢您的参与") {
		t.Fatalf("second use on the web:\n%s", out)
	}
	update := fmt.Sprintf(`{"update_id":1,"message":{"message_id":1,"date":1,"chat":{"id":8,"type":"private"},"from":{"id":8,"is_bot":false,"first_name":"A"},"text":"/start c_%s"}}`, inv.Token)
	req, _ = http.NewRequest(http.MethodPost, base+"/telegram", strings.NewReader(update))
	req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("webhook: %v", err)
	}
	if s := api.called("sendMessage"); len(s) != 1 || !strings.Contains(s[0]["text"], "该办件已评价，感谢您的参与") {
		t.Fatalf("second use on Telegram: %+v", s)
	}

	// The same window the same day without an invitation: allowed, once.
	out = v.say("/start w_W001")
	if strings.Contains(out, "已经评价过") {
		t.Fatalf("the case used up the day's rating:\n%s", out)
	}
	v.press("rate:staff:skip")
	v.press("rate:level:4")
	v.press("rate:praise:done")
	if out := v.press("rate:comment:skip"); !strings.Contains(out, "感谢您的评价") || strings.Contains(out, "办件编号") {
		t.Fatalf("rating without invitation:\n%s", out)
	}
	if out := v.say("/start w_W001"); !strings.Contains(out, "您今天已经评价过") {
		t.Fatalf("a second rating without invitation:\n%s", out)
	}

	// The rating carries the case.
	req, _ = http.NewRequest(http.MethodGet, base+"/api/v1/ratings?window=W001", nil)
	req.Header.Set("Authorization", "Bearer "+admin)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var ratings struct {
		Items []struct {
			Level      int    `json:"level"`
			StaffNo    string `json:"staff_no"`
			CaseNo     string `json:"case_no"`
			MatterName string `json:"matter_name"`
			Channel    string `json:"channel"`
		} `json:"items"`
	}
	raw, _ := io.ReadAll(res.Body)
	if err := json.Unmarshal(raw, &ratings); err != nil || len(ratings.Items) != 2 {
		t.Fatalf("ratings: %s", raw)
	}
	r0, r1 := ratings.Items[0], ratings.Items[1]
	if r0.Level != 5 || r0.StaffNo != "DEMO-002" || r0.CaseNo != "NS20261123-0001" || r0.MatterName != "灵活就业人员参保登记" || r0.Channel != "web" {
		t.Errorf("the case's rating: %+v", r0)
	}
	if r1.Level != 4 || r1.CaseNo != "" {
		t.Errorf("the rating without invitation: %+v", r1)
	}
}

// TestCasesImport: `windowbot cases import FILE.csv` registers the file's cases and prints their
// invitations; a second import answers the same ones; a bad row registers nothing.
func TestCasesImport(t *testing.T) {
	e := baseEnv(t, map[string]string{"WINDOWBOT_PUBLIC_URL": "https://hall.example.cn"})
	if code, _, errs := runCmd(t, e, "seed", "--demo"); code != 0 {
		t.Fatal(errs)
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "cases.csv")
	if err := os.WriteFile(good, []byte("\ufeffcase_no,matter_name,window_code,staff_no,finished_at,phone,consent\n"+
		"NS-1,社保卡补办,W001,DEMO-001,2026-11-23 09:00:00,,\nNS-2,,W002,,2026-11-23T09:10:00+08:00,13800138000,是\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCmd(t, e, "cases", "import", good)
	if code != 0 || strings.Count(out, "\n") != 2 || !strings.Contains(out, `"case_no":"NS-1"`) || !strings.Contains(out, "https://hall.example.cn/?c=") {
		t.Fatalf("import: %d\n%s\n%s", code, out, errs)
	}
	code, out2, _ := runCmd(t, e, "cases", "import", good)
	if code != 0 || out2 != out {
		t.Fatalf("second import differs:\n%s\n%s", out, out2)
	}
	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("case_no,window_code,finished_at\nNS-3,W001,2026-11-23\nNS-4,NOPE,2026-11-23\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errs = runCmd(t, e, "cases", "import", bad)
	if code != 1 || !strings.Contains(errs, "line 3") || !strings.Contains(errs, "NOPE") {
		t.Fatalf("bad file: %d\n%s", code, errs)
	}
}
