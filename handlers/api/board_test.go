package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"windowbot/handlers/api"
	"windowbot/internal/testenv"
	"windowbot/models"
)

// boardServer serves the board of r's store with opts on top of the test's defaults.
func boardServer(t *testing.T, r *rig, opts api.BoardOptions) *httptest.Server {
	t.Helper()
	opts.Store, opts.Location, opts.Now = r.store, testenv.Shanghai, r.clock.Now
	if opts.Target == 0 {
		opts.Target = 0.95
	}
	if opts.MinRatings == 0 {
		opts.MinRatings = 20
	}
	mux := http.NewServeMux()
	api.NewBoard(opts).Routes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// fetch GETs path with an Accept-Language header and returns the status and the body.
func fetch(t *testing.T, srv *httptest.Server, path, lang string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if lang != "" {
		req.Header.Set("Accept-Language", lang)
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestPublicBoardNotices(t *testing.T) {
	forEachDB(t, func(t *testing.T, r *rig) {
		ctx := context.Background()
		srv := boardServer(t, r, api.BoardOptions{})
		get := func(path, lang string) (int, string) { return fetch(t, srv, path, lang) }
		if code, body := get("/notices", "zh-CN"); code != 200 || !strings.Contains(body, "暂无公示内容") || !strings.Contains(body, `id="notices"`) {
			t.Fatalf("empty board through /notices: %d %s", code, body)
		}
		w, _ := r.store.WindowByCode(ctx, "W002")
		c, _ := r.store.TouchCitizen(ctx, "telegram", "reporter", "", r.clock.Now())
		tk, err := r.store.CreateComplaint(ctx, models.NewComplaint{CitizenID: c.ID, WindowID: &w.ID, Category: "attitude",
			Description: "secret details <b>", Channel: "telegram", Phone: "13812345678", CallbackConsent: true, At: r.clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		open, _ := r.store.CreateComplaint(ctx, models.NewComplaint{CitizenID: c.ID, WindowID: &w.ID, Category: "conduct",
			Description: "not published", Channel: "telegram", At: r.clock.Now()})
		r.move(tk.No, accept, models.Change{Action: models.ActPlan, Note: "窗口人员<script>培训</script>，电话13912345678回访"},
			models.Change{Action: models.ActDone, Note: "已完成全员培训，窗口人员考核全部合格"}, models.Change{Action: models.ActApprove}, models.Change{Action: models.ActPublish})
		code, body := get("/board", "zh-CN,zh;q=0.9")
		if code != 200 || !strings.Contains(body, tk.No) || !strings.Contains(body, "已完成全员培训") || !strings.Contains(body, "服务态度") ||
			!strings.Contains(body, "示范政务服务中心 · W002 社保医保") || !strings.Contains(body, "2026-11-23") {
			t.Fatalf("board: %d %s", code, body)
		}
		if strings.Contains(body, "<script>") || !strings.Contains(body, "&lt;script&gt;") {
			t.Error("notice text not escaped")
		}
		for _, secret := range []string{"secret details", "13812345678", "13912345678", "reporter", open.No} {
			if strings.Contains(body, secret) {
				t.Errorf("board shows %q", secret)
			}
		}
		// A center's page has its own notices only.
		if _, body := get("/board/CITY", "zh-CN"); strings.Contains(body, tk.No) || !strings.Contains(body, "暂无公示内容") {
			t.Errorf("another center's page shows the notice")
		}
		if _, body := get("/board/demo", "zh-CN"); !strings.Contains(body, tk.No) {
			t.Errorf("the center's page (code in lower case) misses its notice")
		}

		code, body = get("/api/v1/public/notices", "en")
		var got struct{ Notices []api.Notice }
		if code != 200 || json.Unmarshal([]byte(body), &got) != nil || len(got.Notices) != 1 || got.Notices[0].Category != "Attitude" || got.Notices[0].Result != "已完成全员培训，窗口人员考核全部合格" {
			t.Fatalf("json: %d %s", code, body)
		}
		if got.Notices[0].Place != "示范政务服务中心 · W002 社保医保" {
			t.Errorf("place = %q", got.Notices[0].Place)
		}
		// A complaint about the center as a whole is placed at the center.
		whole, err := r.store.CreateComplaint(ctx, models.NewComplaint{CitizenID: c.ID, CenterID: w.CenterID, Category: "not_done",
			Description: "跑了三次", Channel: "telegram", At: r.clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		r.move(whole.No, accept, models.Change{Action: models.ActPlan, Note: "设立帮办窗口"},
			models.Change{Action: models.ActDone, Note: "已设立帮办窗口并安排专人值守引导"}, models.Change{Action: models.ActApprove}, models.Change{Action: models.ActPublish})
		for lang, want := range map[string]string{"zh-CN": "示范政务服务中心 · 整个服务中心", "en": "示范政务服务中心 · whole center"} {
			code, body = get("/api/v1/public/notices", lang)
			if code != 200 || json.Unmarshal([]byte(body), &got) != nil || len(got.Notices) != 2 {
				t.Fatalf("json: %d %s", code, body)
			}
			places := map[string]string{}
			for _, n := range got.Notices {
				places[n.No] = n.Place
			}
			if places[whole.No] != want {
				t.Errorf("%s: whole-center place = %q, want %q", lang, places[whole.No], want)
			}
		}
	})
}

// section returns the HTML of the page's section with id.
func section(t *testing.T, page, id string) string {
	t.Helper()
	i := strings.Index(page, `<section id="`+id+`">`)
	if i < 0 {
		t.Fatalf("no section %s", id)
	}
	rest := page[i:]
	return rest[:strings.Index(rest, "</section>")]
}

var tagRE = regexp.MustCompile(`<[^>]+>`)

// plain is HTML as its text, tags replaced by spaces and spaces squeezed.
func plain(html string) string {
	return strings.Join(strings.Fields(tagRE.ReplaceAllString(html, " ")), " ")
}

func TestBoardPage(t *testing.T) {
	forEachDB(t, func(t *testing.T, r *rig) {
		published := testenv.SeedBoard(t, r.store, r.clock.Now())
		// This year's inspections: W001 twice (two findings), E001 once (none).
		for _, in := range []struct {
			window        string
			failed, score int
		}{{"W001", 2, 75}, {"W001", 0, 100}, {"E001", 0, 100}} {
			w, err := r.store.WindowByCode(context.Background(), in.window)
			if err != nil {
				t.Fatal(err)
			}
			if err := r.store.RecordInspection(context.Background(), &models.Inspection{WindowID: w.ID, Score: in.score, Failed: in.failed,
				Findings: "x", CreatedAt: r.clock.Now().Add(-24 * time.Hour)}); err != nil {
				t.Fatal(err)
			}
		}
		srv := boardServer(t, r, api.BoardOptions{})
		code, page := fetch(t, srv, "/board/DEMO", "zh-CN")
		if code != 200 {
			t.Fatalf("%d %s", code, page)
		}
		sat := plain(section(t, page, "satisfaction"))
		if !regexp.MustCompile(`2026年11月满意率 \d+\.\d% 满意率 · (已达标|未达标) 95% 满意率目标 \d+ 评价数 \d+\.\d% 好评率`).MatchString(sat) {
			t.Errorf("this month: %s", sat)
		}
		// The chart: thirteen months of the demo center, every one rated.
		chart := section(t, page, "satisfaction")
		if strings.Count(chart, "<svg ") != 1 || strings.Count(chart, "<circle ") != 13 || !strings.Contains(chart, "stroke-dasharray") {
			t.Errorf("chart: %d svg, %d points", strings.Count(chart, "<svg "), strings.Count(chart, "<circle "))
		}
		if !strings.Contains(sat, "2025年11月") || !strings.Contains(sat, "2026年11月") {
			t.Errorf("months table: %s", sat)
		}
		// Ranked as the reports rank: W001–W004, with W005 (fewer than 20 ratings) apart.
		demo, _ := r.store.CenterByCode(context.Background(), "DEMO")
		rankOf := func(from, to time.Time) []models.Ranked {
			ts, err := r.store.WindowTallies(context.Background(), from, to)
			if err != nil {
				t.Fatal(err)
			}
			var own []models.Tally
			for _, x := range ts {
				if x.CenterID == demo.ID {
					own = append(own, x)
				}
			}
			return models.Rank(own, 20)
		}
		codes := map[uint]string{}
		for _, code := range models.DemoWindowCodes {
			w, _ := r.store.WindowByCode(context.Background(), code)
			codes[w.ID] = code
		}
		month := models.MonthPeriod(2026, time.November, testenv.Shanghai)
		rank := plain(section(t, page, "ranking"))
		ranked, few, _ := strings.Cut(rank, "评价不足20条，不参与排名")
		want := rankOf(month.From, month.To)
		if len(want) != 4 {
			t.Fatalf("the seed ranks %d windows this month, want 4", len(want))
		}
		for _, x := range want {
			if !strings.Contains(ranked, fmt.Sprintf(" %d %s ", x.Rank, codes[x.ID])) {
				t.Errorf("%s not ranked %d: %s", codes[x.ID], x.Rank, ranked)
			}
		}
		if !strings.Contains(few, "W005 公积金") || strings.Contains(ranked, "W005") || strings.Contains(rank, "E00") {
			t.Errorf("ranking and the windows apart: %s", rank)
		}
		if strings.Contains(page, `id="centers"`) {
			t.Error("a center's page ranks centers")
		}
		// The star of October, by window only unless the hall publishes names.
		stars := plain(section(t, page, "stars"))
		if !strings.Contains(stars, "服务之星（2026年10月）") || !strings.Contains(stars, "W001 不动产登记") || strings.Contains(page, "张伟") {
			t.Errorf("stars: %s", stars)
		}
		// The year so far: its best three and worst two of five windows, worst first.
		year := plain(section(t, page, "year"))
		top, bottom := models.TopBottom(rankOf(models.YearPeriod(2026, testenv.Shanghai).From, month.To), 10)
		if len(top) != 3 || len(bottom) != 2 || !strings.Contains(year, "2026年十佳窗口 "+codes[top[0].ID]) ||
			!strings.Contains(year, "2026年十差窗口 "+codes[bottom[0].ID]) || !strings.Contains(year, codes[bottom[1].ID]) {
			t.Errorf("year: %s; want %v, %v", year, top, bottom)
		}
		// Handling at the demo center: W002, W004 on time, W003 late; W002 satisfied, W004 basic.
		handling := plain(section(t, page, "handling"))
		if !strings.Contains(handling, "1 办理中 0 已超期 66.7% 按期整改率 · 共3件 100.0% 回访满意率 · 共2件") {
			t.Errorf("handling: %s", handling)
		}
		if insp := plain(section(t, page, "inspections")); !strings.Contains(insp, "窗口检查与暗访（2026年） 窗口 检查次数 发现问题 W001 不动产登记 2 2") ||
			strings.Contains(insp, "E001") {
			t.Errorf("inspections: %s", insp)
		}
		notices := plain(section(t, page, "notices"))
		for _, no := range published {
			if !strings.Contains(notices, no) {
				t.Errorf("notice %s missing: %s", no, notices)
			}
		}
		for _, secret := range []string{"测试数据", "board-", "13800"} {
			if strings.Contains(page, secret) {
				t.Errorf("the page shows %q", secret)
			}
		}

		// All centers: both ranked, both centers' windows, both overdue complaints.
		_, all := fetch(t, srv, "/board", "zh-CN")
		centers := plain(section(t, all, "centers"))
		if !strings.Contains(centers, "示范政务服务中心") || !strings.Contains(centers, "东城便民服务中心") {
			t.Errorf("centers: %s", centers)
		}
		if rank := plain(section(t, all, "ranking")); !strings.Contains(rank, "E001 社保医保 东城便民服务中心") || !strings.Contains(rank, "E004 残疾人服务 东城便民服务中心 0 –") {
			t.Errorf("all ranking: %s", rank)
		}
		if insp := plain(section(t, all, "inspections")); !strings.Contains(insp, "W001 不动产登记 2 2 E001 社保医保 1 0") {
			t.Errorf("all inspections: %s", insp)
		}
		if h := plain(section(t, all, "handling")); !strings.Contains(h, "3 办理中 2 已超期 75.0% 按期整改率 · 共4件 75.0% 回访满意率 · 共4件") {
			t.Errorf("all handling: %s", h)
		}

		// In English by the browser's preference; names where the hall publishes them.
		named := boardServer(t, r, api.BoardOptions{StaffNames: true})
		_, en := fetch(t, named, "/board/DEMO", "en-GB,en;q=0.9,zh;q=0.5")
		if !strings.Contains(en, `<html lang="en">`) || !strings.Contains(en, "Satisfaction in November 2026") ||
			!strings.Contains(plain(section(t, en, "stars")), "Service stars (October 2026) 张伟 W001 不动产登记") {
			t.Errorf("english page with names: %s", plain(en))
		}
		if code, body := fetch(t, srv, "/board/NOPE", "en"); code != 404 || !strings.Contains(body, "no such service center") {
			t.Errorf("unknown center: %d %s", code, body)
		}
	})
}

// queryCounter counts the statements the store sends to its database.
func queryCounter(t *testing.T, r *rig) *atomic.Int64 {
	t.Helper()
	var n atomic.Int64
	r.hookQueries(t, "count", func() { n.Add(1) })
	return &n
}

// A crowd of visitors costs one set of queries: the first to arrive loads, the others wait for
// it; every page of the board shares the figures; nothing is read again until the cache period
// ends.
func TestBoardBurstMakesOneSetOfQueries(t *testing.T) {
	forEachDB(t, func(t *testing.T, r *rig) {
		testenv.SeedBoard(t, r.store, r.clock.Now())
		paths := []string{"/board", "/board/DEMO", "/board/EAST", "/api/v1/public/notices"}
		langs := []string{"zh-CN", "en"}
		queries := queryCounter(t, r)

		// What one visitor of each page and language costs, one after the other.
		queries.Store(0)
		srv := boardServer(t, r, api.BoardOptions{CacheTTL: time.Minute})
		for _, p := range paths {
			for _, l := range langs {
				if code, _ := fetch(t, srv, p, l); code != 200 {
					t.Fatalf("%s: %d", p, code)
				}
			}
		}
		sequential := queries.Load()
		if sequential == 0 {
			t.Fatal("no queries counted")
		}
		// The same pages again within the minute: nothing read.
		for _, p := range paths {
			fetch(t, srv, p, "zh-CN")
		}
		if n := queries.Load(); n != sequential {
			t.Errorf("cached pages read the database %d more times", n-sequential)
		}

		// A crowd on a fresh board: the first statement waits until every visitor has arrived,
		// so they all ask while the figures are being read.
		queries.Store(0)
		const visitors = 40
		var arrived atomic.Int64
		var once sync.Once
		hold := func() {
			once.Do(func() {
				deadline := time.Now().Add(10 * time.Second)
				for arrived.Load() < visitors && time.Now().Before(deadline) {
					time.Sleep(time.Millisecond)
				}
			})
		}
		r.hookQueries(t, "hold", hold)
		defer r.unhookQueries("hold")
		mux := http.NewServeMux()
		api.NewBoard(api.BoardOptions{CacheTTL: time.Minute, Store: r.store, Location: testenv.Shanghai, Now: r.clock.Now,
			Target: 0.95, MinRatings: 20}).Routes(mux)
		crowd := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			arrived.Add(1)
			mux.ServeHTTP(w, req)
		}))
		defer crowd.Close()
		var wg sync.WaitGroup
		for i := range visitors {
			wg.Go(func() {
				p, l := paths[i%len(paths)], langs[(i/len(paths))%len(langs)]
				if code, _ := fetch(t, crowd, p, l); code != 200 {
					t.Errorf("%s: %d", p, code)
				}
			})
		}
		wg.Wait()
		if arrived.Load() != visitors {
			t.Fatalf("%d visitors arrived", arrived.Load())
		}
		if n := queries.Load(); n != sequential {
			t.Errorf("%d visitors at once made %d queries; one visitor per page made %d", visitors, n, sequential)
		}
		// When the minute is over, the next visitor reads again, once.
		r.clock.Add(time.Minute)
		queries.Store(0)
		fetch(t, crowd, "/board", "zh-CN")
		if n := queries.Load(); n == 0 || n >= sequential {
			t.Errorf("after the cache period: %d queries (all pages cost %d)", n, sequential)
		}
	})
}

func TestBoardWithoutCacheReadsEveryTime(t *testing.T) {
	forEachDB(t, func(t *testing.T, r *rig) {
		srv := boardServer(t, r, api.BoardOptions{})
		queries := queryCounter(t, r)
		fetch(t, srv, "/board", "")
		first := queries.Load()
		fetch(t, srv, "/board", "")
		if first == 0 || queries.Load() != 2*first {
			t.Errorf("without a cache: %d queries, then %d", first, queries.Load()-first)
		}
	})
}

func TestAcceptLanguage(t *testing.T) {
	for header, want := range map[string]string{
		"":                             "zh-CN",
		"en":                           "en",
		"en-US,en;q=0.9":               "en",
		"zh-CN,zh;q=0.9,en;q=0.8":      "zh-CN",
		"fr-FR,en;q=0.7,zh;q=0.3":      "en",
		"fr-FR, zh-TW;q=0.8, en;q=0.5": "zh-CN",
		"de":                           "zh-CN",
		"en;q=0.2, zh-Hans;q=0.9":      "zh-CN",
	} {
		if got := api.AcceptLang(header); got != want {
			t.Errorf("AcceptLang(%q) = %s, want %s", header, got, want)
		}
	}
}
