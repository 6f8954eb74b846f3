package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"windowbot/bot/poster"
	"windowbot/handlers/api"
	"windowbot/internal/testenv"
	"windowbot/models"
)

// FuzzRegisterCases posts any body to POST /api/v1/cases (the hall's case system registering
// finished cases, 一事一评) with its token. It holds that:
//   - the answer is 201, or 400 (a malformed body, or the bad rows named) or 413: never a 5xx;
//   - a refused body registers no case and queues nothing;
//   - an accepted one returns one invitation per case registered, each with a token of
//     models.CaseTokenPattern, and posting the same body again registers nothing more.
func FuzzRegisterCases(f *testing.F) {
	for _, s := range []string{
		`{"case_no":"NS-1","window_code":"W001","finished_at":"2026-11-23T09:30:00+08:00"}`,
		`[{"case_no":"NS-2","window_code":"w001","staff_no":"DEMO-001","finished_at":"2026-11-23T09:30:00+08:00","phone":"138 0013 8000","consent":true,"matter_name":"灵活就业\u202e参保"}]`,
		`[{"case_no":"NS-3","window_code":"W999","finished_at":"yesterday"},{"window_code":"W001","staff_no":"DEMO-003","finished_at":"2026-11-23T09:30:00Z"}]`,
		`{"window_code":"W001","finished_at":"2026-11-23T09:30:00+08:00","phone":"12345"}`,
		`[]`, `{`, `null`, `"x"`, `[{"case_no":"NS\u0000","window_code":"W001","finished_at":"2026-11-23T09:30:00+08:00"}]`,
	} {
		f.Add([]byte(s))
	}
	url := testenv.SQLiteURL(f)
	s := testenv.OpenDemoStore(f, url)
	db := testenv.OpenDB(f, url)
	mux := http.NewServeMux()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, testenv.Shanghai)
	api.NewCases(api.CasesOptions{Store: s, Token: "cases-token", Links: poster.CaseLinker{PublicURL: "https://hall.example.cn"},
		Location: testenv.Shanghai, Now: func() time.Time { return now }}).Routes(mux)
	count := func(model any) int64 {
		var n int64
		if err := db.Model(model).Count(&n).Error; err != nil {
			panic(err) // the fuzz target may not call f.Fatal
		}
		return n
	}
	post := func(body []byte) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/cases", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer cases-token")
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, req)
		return w
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		cases, pushes := count(&models.Case{}), count(&models.Push{})
		w := post(body)
		switch w.Code {
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			if count(&models.Case{}) != cases || count(&models.Push{}) != pushes {
				t.Fatalf("a refused body (%d %s) wrote a case or a push", w.Code, w.Body)
			}
			return
		case http.StatusCreated:
		default:
			t.Fatalf("%d %s", w.Code, w.Body)
		}
		var invs []struct {
			Token string `json:"token"`
		}
		raw := w.Body.Bytes()
		if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) {
			raw = append(append([]byte("["), raw...), ']')
		}
		if err := json.Unmarshal(raw, &invs); err != nil || len(invs) == 0 {
			t.Fatalf("201 with %s: %v", w.Body, err)
		}
		for _, inv := range invs {
			if !models.CaseTokenPattern.MatchString(inv.Token) {
				t.Fatalf("invitation token %q", inv.Token)
			}
		}
		registered := count(&models.Case{})
		if registered-cases > int64(len(invs)) {
			t.Fatalf("%d cases registered for %d invitations", registered-cases, len(invs))
		}
		if again := post(body); again.Code != http.StatusCreated {
			t.Fatalf("the same body again: %d %s", again.Code, again.Body)
		}
		// A case without a number is a new case each time; those with one are registered once.
		if after := count(&models.Case{}); after-registered > registered-cases {
			t.Fatalf("posting the same body again registered %d more cases (%d the first time)", after-registered, registered-cases)
		}
	})
}
