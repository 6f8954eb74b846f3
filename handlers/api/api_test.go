package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"windowbot/handlers/api"
	"windowbot/internal/testenv"
	"windowbot/models"
)

const adminToken = "test-admin-token-0123456789"

type apiClient struct {
	t   *testing.T
	srv *httptest.Server
}

func newAPI(t *testing.T, r *rig, token string) *apiClient {
	mux := http.NewServeMux()
	api.NewAdmin(api.Options{Store: r.store, Token: token, Target: 0.95, Location: testenv.Shanghai, Pseudonyms: r.refs, Now: r.clock.Now}).Routes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &apiClient{t: t, srv: srv}
}

// get fetches path with the admin token (or auth, when given) and accept, and returns the status
// and body.
func (c *apiClient) get(path, accept string, auth ...string) (int, http.Header, string) {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	if len(auth) > 0 {
		req.Header.Set("Authorization", auth[0])
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(body)
}

func (c *apiClient) json(path string, v any) {
	c.t.Helper()
	code, _, body := c.get(path, "")
	if code != http.StatusOK {
		c.t.Fatalf("GET %s = %d %s", path, code, body)
	}
	if err := json.Unmarshal([]byte(body), v); err != nil {
		c.t.Fatalf("GET %s: %v in %s", path, err, body)
	}
}

func (c *apiClient) csv(path string) [][]string {
	c.t.Helper()
	code, h, body := c.get(path, "text/csv")
	if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") {
		c.t.Fatalf("GET %s as CSV = %d %s %s", path, code, h.Get("Content-Type"), body)
	}
	if !strings.HasPrefix(body, "\xEF\xBB\xBF") {
		c.t.Fatalf("CSV without BOM: %q", body[:min(20, len(body))])
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\xEF\xBB\xBF"))).ReadAll()
	if err != nil {
		c.t.Fatalf("CSV: %v", err)
	}
	return rows
}

func TestAPIAuth(t *testing.T) {
	r := newRig(t, testenv.SQLiteURL(t))
	admin := newAPI(t, r, adminToken)
	for _, path := range []string{"/api/v1/tickets", "/api/v1/tickets/T20261123-0001", "/api/v1/ratings", "/api/v1/stats", "/api/v1/windows/W001/stats"} {
		for _, auth := range []string{"", "Bearer wrong", "Basic " + adminToken, adminToken} {
			if code, h, _ := admin.get(path, "", auth); code != http.StatusUnauthorized || h.Get("WWW-Authenticate") == "" {
				t.Errorf("GET %s with %q = %d, want 401", path, auth, code)
			}
		}
		if code, _, body := admin.get(path, ""); code == http.StatusUnauthorized {
			t.Errorf("GET %s with the token = 401 %s", path, body)
		}
	}
	// No token configured: nothing is reachable, not even with an empty bearer.
	closed := newAPI(t, r, "")
	if code, _, _ := closed.get("/api/v1/tickets", "", "Bearer "); code != http.StatusUnauthorized {
		t.Errorf("API without a token answered %d", code)
	}
}

// apiData files what the API tests read: bad reviews on W001 (2), W002 and X001, good ratings,
// a real-name complaint, with some moved on. It returns the ticket numbers by place.
func apiData(t *testing.T, r *rig) map[string][]string {
	ctx := context.Background()
	nos := map[string][]string{}
	for _, code := range []string{"W001", "W001", "W002", "X001"} {
		no := r.badReview(code)
		nos[code] = append(nos[code], no)
		r.clock.Add(time.Hour)
	}
	for i := range 3 {
		w, _ := r.store.WindowByCode(ctx, "W002")
		c := r.citizen(fmt.Sprint("fan", i))
		if err := r.store.CreateRating(ctx, &models.Rating{WindowID: w.ID, CitizenID: c.ID, Level: 5, Praise: "warm", Channel: "wechat", CreatedAt: r.clock.Now()}, r.clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	w, _ := r.store.WindowByCode(ctx, "W001")
	c := r.citizen("caller")
	tk, err := r.store.CreateComplaint(ctx, models.NewComplaint{CitizenID: c.ID, WindowID: &w.ID, Category: "not_done",
		Description: "让我下周再来", Channel: "telegram", Phone: "13812345678", CallbackConsent: true, At: r.clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	nos["complaint"] = []string{tk.No}
	zhang := r.staff("DEMO-001")
	account := r.citizen("zhang-chat")
	r.move(nos["W001"][0], accept, models.Change{Action: models.ActPlan, Note: "加强培训",
		Actor: models.Actor{Role: models.RoleStaff, StaffID: zhang.ID, CitizenID: account.ID, WindowID: zhang.WindowID}})
	return nos
}

func TestAPITickets(t *testing.T) {
	forEachDB(t, func(t *testing.T, r *rig) {
		nos := apiData(t, r)
		admin := newAPI(t, r, adminToken)
		var all api.Page[api.TicketJSON]
		admin.json("/api/v1/tickets", &all)
		if all.Total != 5 || len(all.Items) != 5 || all.Page != 1 || all.PerPage != 50 {
			t.Fatalf("all tickets = %+v", all)
		}
		var p api.Page[api.TicketJSON]
		admin.json("/api/v1/tickets?per_page=2&page=3", &p)
		if p.Total != 5 || len(p.Items) != 1 || p.Items[0].No != nos["W001"][0] {
			t.Fatalf("page 3 of 2 = %+v", p)
		}
		admin.json("/api/v1/tickets?state=submitted,accepted&window=w001", &p)
		if p.Total != 2 { // the second W001 review and the complaint; the first is rectifying
			t.Fatalf("state+window filter = %+v", p)
		}
		admin.json("/api/v1/tickets?center=CITY", &p)
		if p.Total != 1 || p.Items[0].No != nos["X001"][0] || p.Items[0].CenterName != "城区便民服务中心" {
			t.Fatalf("center filter = %+v", p)
		}
		admin.json("/api/v1/tickets?from=2026-11-24", &p)
		if p.Total != 0 {
			t.Fatalf("from tomorrow = %+v", p)
		}
		admin.json("/api/v1/tickets?from=2026-11-23&to=2026-11-23", &p)
		if p.Total != 5 {
			t.Fatalf("today = %+v", p)
		}
		for path, want := range map[string]string{
			"/api/v1/tickets?state=lost":      "unknown state",
			"/api/v1/tickets?window=NOPE":     "unknown window",
			"/api/v1/tickets?from=yesterday":  "from/to",
			"/api/v1/tickets?per_page=501":    "per_page",
			"/api/v1/tickets?page=0":          "page",
			"/api/v1/ratings?center=NOWHERE":  "unknown center",
			"/api/v1/stats?period=2026-13":    "period",
			"/api/v1/stats?period=2026/11":    "period",
			"/api/v1/stats?period=2026-1":     "period",
			"/api/v1/stats?period=2026年":      "period",
			"/api/v1/stats?period=今年":         "period",
			"/api/v1/stats?center=NOWHERE":    "unknown center",
			"/api/v1/tickets/T20990101-0001":  "not found",
			"/api/v1/tickets/not-a-number-at": "not found",
		} {
			code, _, body := admin.get(path, "")
			if code != http.StatusBadRequest && code != http.StatusNotFound || !strings.Contains(body, want) {
				t.Errorf("GET %s = %d %s, want 4xx with %q", path, code, body, want)
			}
		}

		// One ticket with its events; the citizen is a pseudonym, the phone masked.
		var one api.TicketJSON
		admin.json("/api/v1/tickets/"+strings.ToLower(nos["complaint"][0]), &one)
		caller := r.citizen("caller")
		if one.Citizen != r.refs.Citizen(caller.ID) || one.Phone != "138****5678" || !one.CallbackConsent || len(one.Events) != 1 || one.Events[0].Actor != one.Citizen {
			t.Fatalf("complaint = %+v", one)
		}
		admin.json("/api/v1/tickets/"+nos["W001"][0], &one)
		if one.State != "rectifying" || len(one.Events) != 3 || one.Events[2].Action != "plan" || one.Events[2].Note != "加强培训" || one.Plan != "加强培训" ||
			one.Events[2].ActorNo != "DEMO-001" || one.Events[2].Actor != "" || one.Events[0].Actor != one.Citizen {
			t.Fatalf("moved ticket = %+v", one)
		}
		_, _, body := admin.get("/api/v1/tickets", "")
		for _, leak := range []string{"13812345678", "caller", "rater-"} {
			if strings.Contains(body, leak) {
				t.Fatalf("ticket list reveals %q", leak)
			}
		}

		// CSV: every row regardless of paging, and the events of one ticket.
		rows := admin.csv("/api/v1/tickets?per_page=1&lang=en")
		if len(rows) != 6 || rows[0][0] != "no" || rows[0][9] != "citizen" {
			t.Fatalf("tickets CSV = %v", rows)
		}
		// The export reads the store a batch at a time: smaller batches give the same rows.
		for _, n := range []int{2, 5} {
			api.SetCSVBatch(t, n)
			if got := admin.csv("/api/v1/tickets?lang=en"); !slices.EqualFunc(got, rows, slices.Equal) {
				t.Fatalf("tickets CSV in batches of %d = %v, want %v", n, got, rows)
			}
		}
		api.SetCSVBatch(t, 1000)
		rows = admin.csv("/api/v1/tickets/" + nos["W001"][0] + "?lang=en")
		if len(rows) != 4 || rows[3][2] != "plan" {
			t.Fatalf("ticket CSV = %v", rows)
		}
		if code, h, _ := admin.get("/api/v1/tickets?format=csv", ""); code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") {
			t.Fatalf("format=csv = %d %s", code, h.Get("Content-Type"))
		}
	})
}

func TestAPIRatingsAndPseudonyms(t *testing.T) {
	forEachDB(t, func(t *testing.T, r *rig) {
		apiData(t, r)
		admin := newAPI(t, r, adminToken)
		var p api.Page[api.RatingJSON]
		admin.json("/api/v1/ratings?per_page=3", &p)
		if p.Total != 7 || len(p.Items) != 3 || p.Items[0].Level != 1 || p.Items[0].TicketNo == "" || p.Items[0].Aspects[0] != "attitude.cold" {
			t.Fatalf("ratings page 1 = %+v", p)
		}
		first := p.Items[0]
		admin.json("/api/v1/ratings?per_page=3&page=3", &p)
		if len(p.Items) != 1 || p.Items[0].Praise[0] != "warm" {
			t.Fatalf("ratings page 3 = %+v", p)
		}
		admin.json("/api/v1/ratings?window=W002&from=2026-11-23&to=2026-11-23", &p)
		if p.Total != 4 {
			t.Fatalf("W002 today = %+v", p)
		}
		// Stable: the same citizen has the same pseudonym in every answer, in CSV too, and the
		// one supervisors see in chat.
		var again api.Page[api.RatingJSON]
		admin.json("/api/v1/ratings?per_page=1", &again)
		if again.Items[0].Citizen != first.Citizen || !strings.HasPrefix(first.Citizen, "C-") {
			t.Fatalf("pseudonym changed: %q vs %q", first.Citizen, again.Items[0].Citizen)
		}
		tk := r.ticket(first.TicketNo)
		if first.Citizen != r.refs.Citizen(tk.CitizenID) {
			t.Fatalf("API pseudonym %q differs from the chat's", first.Citizen)
		}
		seen := map[string]bool{}
		rows := admin.csv("/api/v1/ratings?lang=en")
		if len(rows) != 8 || rows[0][12] != "citizen" || rows[1][12] != first.Citizen {
			t.Fatalf("ratings CSV = %v", rows)
		}
		for _, n := range []int{1, 2, 3, 7} {
			api.SetCSVBatch(t, n)
			if got := admin.csv("/api/v1/ratings?lang=en"); !slices.EqualFunc(got, rows, slices.Equal) {
				t.Fatalf("ratings CSV in batches of %d = %v, want %v", n, got, rows)
			}
		}
		api.SetCSVBatch(t, 1000)
		for _, row := range rows[1:] {
			seen[row[12]] = true
		}
		if len(seen) != 7 {
			t.Fatalf("7 raters have %d pseudonyms", len(seen))
		}
		_, _, body := admin.get("/api/v1/ratings", "text/csv")
		if strings.Contains(body, "rater-") || strings.Contains(body, "fan0") {
			t.Fatal("ratings reveal platform identities")
		}
		// Another secret, other pseudonyms.
		mux := http.NewServeMux()
		api.NewAdmin(api.Options{Store: r.store, Token: adminToken, Target: 0.95, Location: testenv.Shanghai, Pseudonyms: models.NewPseudonyms([]byte("other"))}).Routes(mux)
		other := &apiClient{t: t, srv: httptest.NewServer(mux)}
		defer other.srv.Close()
		other.json("/api/v1/ratings?per_page=1", &again)
		if again.Items[0].Citizen == first.Citizen {
			t.Fatal("the secret does not key the pseudonyms")
		}
	})
}

func TestAPIStats(t *testing.T) {
	forEachDB(t, func(t *testing.T, r *rig) {
		apiData(t, r)
		admin := newAPI(t, r, adminToken)
		var s api.StatsJSON
		admin.json("/api/v1/stats", &s)
		if s.Period != "2026-11" || s.Target != 0.95 || s.Total.Ratings != 7 || s.Total.Bad != 4 || s.Total.OpenTickets != 5 || len(s.Centers) != 2 {
			t.Fatalf("stats = %+v", s)
		}
		admin.json("/api/v1/stats?center=demo&period=2026-11", &s)
		if len(s.Centers) != 1 {
			t.Fatalf("one center = %+v", s)
		}
		demo := s.Centers[0]
		if demo.Code != "DEMO" || demo.Ratings != 6 || demo.OpenTickets != 4 || len(demo.Windows) != 5 {
			t.Fatalf("DEMO = %+v", demo)
		}
		w2 := demo.Windows[1]
		if w2.Code != "W002" || w2.Ratings != 4 || w2.ByLevel["5"] != 3 || w2.SatisfactionRate != 0.75 || w2.MeetsTarget {
			t.Fatalf("W002 = %+v", w2)
		}
		r.clock.Add(72 * time.Hour)
		admin.json("/api/v1/stats?period=year", &s)
		if s.Period != "2026" || s.Total.OverdueTickets != 4 { // the rectifying one is not late yet
			t.Fatalf("year = %+v", s)
		}
		admin.json("/api/v1/stats?period=2026-10", &s)
		if s.Total.Ratings != 0 || s.Total.MeetsTarget {
			t.Fatalf("October = %+v", s)
		}
		// The target is the one configured: at 75% W002 meets it.
		mux := http.NewServeMux()
		api.NewAdmin(api.Options{Store: r.store, Token: adminToken, Target: 0.75, Location: testenv.Shanghai, Now: r.clock.Now}).Routes(mux)
		lower := &apiClient{t: t, srv: httptest.NewServer(mux)}
		defer lower.srv.Close()
		lower.json("/api/v1/stats?center=DEMO&period=2026-11", &s)
		if w2 := s.Centers[0].Windows[1]; s.Target != 0.75 || w2.Code != "W002" || !w2.MeetsTarget || s.Centers[0].MeetsTarget {
			t.Fatalf("at 75%%: %+v", s)
		}
		rows := admin.csv("/api/v1/stats?center=DEMO&lang=en")
		if len(rows) != 7 || rows[1][1] != "DEMO" || rows[1][3] != "" || rows[1][5] != "6" || rows[3][3] != "W002" || rows[3][11] != "0.7500" {
			t.Fatalf("stats CSV = %v", rows)
		}
	})
}

// TestAPIWindowStats: a missing bound is open. Without to the figures run until now, not
// until the zero time (which counted nothing).
func TestAPIWindowStats(t *testing.T) {
	forEachDB(t, func(t *testing.T, r *rig) {
		apiData(t, r)
		admin := newAPI(t, r, adminToken)
		for _, tc := range []struct {
			query   string
			ratings int
		}{
			{"", 4},
			{"?from=2026-11-23", 4},
			{"?from=2026-11-01T00:00:00%2B08:00", 4},
			{"?to=2026-11-23", 4},
			{"?from=2026-11-23&to=2026-11-23", 4},
			{"?from=2026-11-24", 0},
			{"?to=2026-11-22", 0},
		} {
			var ws api.WindowStats
			admin.json("/api/v1/windows/w002/stats"+tc.query, &ws)
			if ws.WindowCode != "W002" || ws.Ratings != tc.ratings {
				t.Errorf("%q: %d ratings, want %d: %+v", tc.query, ws.Ratings, tc.ratings, ws)
			}
			if tc.ratings == 4 && (ws.ByLevel["1"] != 1 || ws.ByLevel["5"] != 3 || ws.SatisfactionRate != 0.75 || ws.GoodRate != 0.75) {
				t.Errorf("%q: %+v", tc.query, ws)
			}
		}
		var ws api.WindowStats
		admin.json("/api/v1/windows/W002/stats?from=2026-11-23", &ws)
		if ws.From == nil || !ws.From.Equal(time.Date(2026, 11, 23, 0, 0, 0, 0, testenv.Shanghai)) || ws.To != nil {
			t.Errorf("bounds = %v, %v; want the day's start and no end", ws.From, ws.To)
		}
		if code, _, body := admin.get("/api/v1/windows/W002/stats?to=tomorrow", ""); code != http.StatusBadRequest || !strings.Contains(body, "from/to") {
			t.Errorf("a bad date: %d %s", code, body)
		}
		if code, _, _ := admin.get("/api/v1/windows/NOPE/stats", ""); code != http.StatusNotFound {
			t.Errorf("an unknown window: %d", code)
		}
	})
}

func TestAPIAttachments(t *testing.T) {
	forEachDB(t, func(t *testing.T, r *rig) {
		ctx := context.Background()
		w, _ := r.store.WindowByCode(ctx, "W001")
		c, _ := r.store.TouchCitizen(ctx, "web", "visitor", "", r.clock.Now())
		png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{1}, 64)...)
		tk, err := r.store.CreateComplaint(ctx, models.NewComplaint{CitizenID: c.ID, WindowID: &w.ID, Category: "other",
			Description: "见照片", Channel: "web", At: r.clock.Now(), Photos: []models.TicketAttachment{
				{Platform: "web", MIMEType: "image/png", Size: int64(len(png)), Data: png},
				{Platform: "telegram", FileID: "AgACAgUAAxk", MIMEType: "image/jpeg", Size: 9000},
			}})
		if err != nil {
			t.Fatal(err)
		}
		admin := newAPI(t, r, adminToken)
		var got api.TicketJSON
		admin.json("/api/v1/tickets/"+tk.No, &got)
		if len(got.Attachments) != 2 || got.Attachments[0].URL == "" || got.Attachments[1].URL != "" || got.Attachments[1].FileID != "AgACAgUAAxk" {
			t.Fatalf("attachments = %+v", got.Attachments)
		}
		code, h, body := admin.get(got.Attachments[0].URL, "")
		if code != 200 || h.Get("Content-Type") != "image/png" || body != string(png) || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("web photo: %d %s %d bytes", code, h.Get("Content-Type"), len(body))
		}
		if code, _, body := admin.get(got.Attachments[0].URL, "", "Bearer wrong-token-wrong-token"); code != 401 {
			t.Errorf("without the token: %d %s", code, body)
		}
		telegramURL := "/api/v1/tickets/" + tk.No + "/attachments/" + strconv.FormatUint(uint64(got.Attachments[1].ID), 10)
		if code, _, body := admin.get(telegramURL, ""); code != 404 || !strings.Contains(body, "AgACAgUAAxk") {
			t.Errorf("telegram photo: %d %s", code, body)
		}
		if code, _, _ := admin.get("/api/v1/tickets/"+tk.No+"/attachments/999999", ""); code != 404 {
			t.Errorf("unknown attachment: %d", code)
		}
		other, _ := r.store.CreateComplaint(ctx, models.NewComplaint{CitizenID: c.ID, WindowID: &w.ID, Category: "other",
			Description: "x", Channel: "web", At: r.clock.Now()})
		if code, _, _ := admin.get("/api/v1/tickets/"+other.No+"/attachments/"+strconv.FormatUint(uint64(got.Attachments[0].ID), 10), ""); code != 404 {
			t.Errorf("another ticket's attachment: %d", code)
		}
	})
}
