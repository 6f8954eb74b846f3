package api_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"unicode/utf8"

	"windowbot/handlers/api"
	"windowbot/internal/testenv"
	"windowbot/models"
)

// The routes FuzzQuery requests; {} is the fuzzed path argument.
var fuzzRoutes = []struct {
	path  string
	admin bool
}{
	{"/api/v1/windows/{}/stats", true},
	{"/api/v1/tickets", true},
	{"/api/v1/tickets/{}", true},
	{"/api/v1/tickets/{}/attachments/1", true},
	{"/api/v1/ratings", true},
	{"/api/v1/stats", true},
	{"/board", false},
	{"/board/{}", false},
	{"/api/v1/public/notices", false},
}

// apiFuzzRig is the admin API and the public board over one database holding the demo data, the
// city's center, and tickets, ratings and notes whose texts hold phone and ID numbers written
// every way, with a count of the store's reads.
type apiFuzzRig struct {
	mux    *http.ServeMux
	reads  *atomic.Int64
	own    func(t *testing.T) int64 // SQLite's data_version; nil on PostgreSQL
	ticket string
}

func newAPIFuzzRig(f *testing.F, dbURL string) *apiFuzzRig {
	ctx := context.Background()
	clk := testenv.NewClock(testenv.Monday10)
	reads := &atomic.Int64{}
	store := openStore(f, dbURL, models.WithQueryObserver(func(context.Context) { reads.Add(1) }))
	text := "差评\u202e电话 " + strings.Join(piiVariants, "、")
	w, err := store.WindowByCode(ctx, "W001")
	if err != nil {
		f.Fatal(err)
	}
	c, err := store.TouchCitizen(ctx, "telegram", "fuzz-rater", "", clk.Now())
	if err != nil {
		f.Fatal(err)
	}
	rt := &models.Rating{WindowID: w.ID, CitizenID: c.ID, Level: 1, Comment: text, Channel: "web", CreatedAt: clk.Now()}
	if err := store.CreateRating(ctx, rt, clk.Now().AddDate(0, 0, -1)); err != nil {
		f.Fatal(err)
	}
	for _, ch := range []models.Change{{Action: models.ActAccept}, {Action: models.ActPlan, Note: "回访 " + text}} {
		ch.Actor, ch.At = models.Actor{Role: models.RoleAdmin}, clk.Now()
		if _, _, err := store.Transition(ctx, rt.Ticket.No, ch); err != nil {
			f.Fatal(err)
		}
	}
	if _, err := store.CreateComplaint(ctx, models.NewComplaint{CitizenID: c.ID, WindowID: &w.ID, Category: models.CategoryNotDone,
		Description: text, Channel: "telegram", Phone: "13912345678", CallbackConsent: true, At: clk.Now()}); err != nil {
		f.Fatal(err)
	}
	mux := http.NewServeMux()
	api.NewAdmin(api.Options{Store: store, Token: adminToken, Target: 0.95, Location: testenv.Shanghai,
		Pseudonyms: models.NewPseudonyms([]byte("test secret")), Now: clk.Now}).Routes(mux)
	api.NewBoard(api.BoardOptions{Store: store, Target: 0.95, MinRatings: 1, Location: testenv.Shanghai, Now: clk.Now}).Routes(mux)
	r := &apiFuzzRig{mux: mux, reads: reads, ticket: rt.Ticket.No}
	if strings.HasPrefix(dbURL, "sqlite:") {
		own := testenv.OpenDB(f, dbURL)
		sqlDB, err := own.DB()
		if err != nil {
			f.Fatal(err)
		}
		sqlDB.SetMaxOpenConns(1) // data_version is per connection
		r.own = func(t *testing.T) int64 {
			var v int64
			if err := own.Raw("PRAGMA data_version").Scan(&v).Error; err != nil {
				t.Fatal(err)
			}
			return v
		}
	}
	return r
}

// FuzzQuery requests a route of the admin API or the public board (route) with any path
// argument (a window code, ticket number or center code), any query string (from, to, period,
// state, center, window, page, per_page, format, lang…), the admin token, a wrong one or none
// (auth%3), and CSV asked for or not (auth/3%2). It holds that:
//   - the answer is never a 5xx: a mistake in a query is a 400, an unknown thing a 404;
//   - an admin call without the right token is a 401 (or the mux's 404 or redirect for a path it
//     does not route) that read nothing from the database;
//   - no GET writes a row (SQLite's data_version is unchanged);
//   - an error is JSON with its text; a success is well-formed JSON, CSV with one number of
//     fields per row, or an HTML page;
//   - no successful answer shows a phone or ID number whole, in any spelling, or an invisible
//     character, although the tickets' texts hold them.
func FuzzQuery(f *testing.F) {
	for _, s := range []struct {
		route  byte
		arg, q string
		auth   byte
	}{
		{0, "W001", "from=2026-11-01&to=2026-11-30", 0}, {0, "w001", "from=2026-11-01T00:00:00%2B08:00", 0},
		{0, "W999", "", 0}, {0, "W001", "from=0000-01-01&to=9999-12-31", 0}, {0, "W001", "from=2026-13-01", 0},
		{1, "", "state=pending_accept,accepted&center=DEMO&window=W001&page=1&per_page=50", 0},
		{1, "", "format=csv&from=2026-11-01", 0}, {1, "", "page=0", 0}, {1, "", "per_page=100000", 0},
		{1, "", "state=bogus", 0}, {1, "", "center=%E2%80%AE", 0}, {1, "", "", 3},
		{2, "T20261123-0001", "", 0}, {2, "t20261123-0001", "", 0}, {2, "../../etc/passwd", "", 0}, {2, "T20261123-0001", "", 1},
		{3, "T20261123-0001", "", 0},
		{4, "", "window=W001&from=2026-11-01&format=csv", 0}, {4, "", "page=2&per_page=1", 0},
		{5, "", "period=2026-11", 0}, {5, "", "period=2026", 0}, {5, "", "period=last&center=CITY", 0},
		{5, "", "period=0999", 0}, {5, "", "period=YEAR", 0}, {5, "", "period=11月", 0}, {5, "", "", 2},
		{6, "", "lang=en", 0}, {7, "DEMO", "lang=zh-CN", 2}, {7, "nowhere", "", 2}, {8, "", "", 2},
	} {
		f.Add(s.route, s.arg, s.q, s.auth)
	}
	var rigs []*apiFuzzRig
	for _, u := range testenv.FuzzDatabaseURLs(f) {
		rigs = append(rigs, newAPIFuzzRig(f, u))
	}
	f.Fuzz(func(t *testing.T, route byte, arg, query string, auth byte) {
		for _, r := range rigs {
			r.check(t, route, arg, query, auth)
		}
	})
}

func (r *apiFuzzRig) check(t *testing.T, route byte, arg, query string, auth byte) {
	rt := fuzzRoutes[int(route)%len(fuzzRoutes)]
	if arg == "" {
		arg = r.ticket
	}
	u := &url.URL{Path: strings.ReplaceAll(rt.path, "{}", arg), RawPath: strings.ReplaceAll(rt.path, "{}", url.PathEscape(arg)), RawQuery: query}
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.URL, req.RequestURI = u, u.RequestURI()
	switch auth % 3 {
	case 0:
		req.Header.Set("Authorization", "Bearer "+adminToken)
	case 1:
		req.Header.Set("Authorization", "Bearer "+adminToken+"x")
	}
	if auth/3%2 == 1 {
		req.Header.Set("Accept", "text/csv")
	}
	var version int64
	if r.own != nil {
		version = r.own(t)
	}
	reads := r.reads.Load()
	w := httptest.NewRecorder()
	r.mux.ServeHTTP(w, req)
	body := w.Body.String()
	ctype := w.Header().Get("Content-Type")
	if w.Code >= 500 {
		t.Fatalf("GET %s: %d %s", u.RequestURI(), w.Code, body)
	}
	if r.own != nil && r.own(t) != version {
		t.Fatalf("GET %s wrote to the database", u.RequestURI())
	}
	// A path the mux does not route ("/api/v1/windows/%2F/stats") is its 404 or redirect, before
	// any handler: that too reads nothing.
	if rt.admin && auth%3 != 0 && (w.Code != http.StatusUnauthorized && w.Code != http.StatusNotFound && w.Code/100 != 3 || r.reads.Load() != reads) {
		t.Fatalf("GET %s with a wrong token: %d after %d reads", u.RequestURI(), w.Code, r.reads.Load()-reads)
	}
	if strings.HasPrefix(ctype, "application/json") && w.Code >= 400 {
		var e struct{ Error string }
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error == "" {
			t.Fatalf("GET %s: %d with error body %q", u.RequestURI(), w.Code, body)
		}
	}
	if w.Code != http.StatusOK {
		return
	}
	switch {
	case strings.HasPrefix(ctype, "application/json"):
		if !json.Valid(w.Body.Bytes()) {
			t.Fatalf("GET %s: not JSON: %q", u.RequestURI(), body)
		}
	case strings.HasPrefix(ctype, "text/csv"):
		rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\xEF\xBB\xBF"))).ReadAll()
		if err != nil || len(rows) == 0 {
			t.Fatalf("GET %s: not CSV (%v): %q", u.RequestURI(), err, body)
		}
	case strings.HasPrefix(ctype, "text/html"):
		if !utf8.ValidString(body) || !strings.Contains(body, "</html>") {
			t.Fatalf("GET %s: not a page", u.RequestURI())
		}
	default:
		t.Fatalf("GET %s: 200 with Content-Type %q", u.RequestURI(), ctype)
	}
	if n := testenv.LeakedNumber(body); n != "" {
		t.Fatalf("GET %s shows %s whole", u.RequestURI(), n)
	}
	for _, c := range strings.TrimPrefix(body, "\uFEFF") { // the BOM that tells Excel a CSV is UTF-8
		if testenv.InvisibleByUnicode(c) {
			t.Fatalf("GET %s shows the invisible %U", u.RequestURI(), c)
		}
	}
}

// TestDateBoundsJSONCanWrite (found with FuzzQuery): a window's statistics up to 9999-12-31 end
// at the start of year 10000, which JSON cannot write: the answer was a 200 with an empty body.
// Such a bound is now a 400, and the last day JSON can write still works.
func TestDateBoundsJSONCanWrite(t *testing.T) {
	r := newRig(t, testenv.SQLiteURL(t))
	admin := newAPI(t, r, adminToken)
	for q, want := range map[string]int{
		"to=9999-12-31": http.StatusBadRequest, "from=0000-01-01": http.StatusBadRequest,
		"from=0000-12-31T23:00:00-02:00": http.StatusBadRequest, "to=9999-12-30": http.StatusOK,
		"from=0001-01-01&to=2026-11-30": http.StatusOK,
	} {
		code, _, body := admin.get("/api/v1/windows/W001/stats?"+q, "")
		if code != want || (code == http.StatusOK && !json.Valid([]byte(body))) {
			t.Errorf("%s: %d %q, want %d", q, code, body, want)
		}
	}
}
