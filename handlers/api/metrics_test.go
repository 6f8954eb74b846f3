package api_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"windowbot/handlers/api"
	"windowbot/internal/testenv"
	"windowbot/models"
)

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	sent := prometheus.NewCounter(prometheus.CounterOpts{Name: "windowbot_test_sent_total", Help: "Test counter."})
	reg.MustRegister(sent)
	sent.Add(3)
	get := func(h http.Handler, auth string) (int, string) {
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		body, _ := io.ReadAll(rec.Body)
		return rec.Code, string(body)
	}
	h := api.Metrics(reg, adminToken)
	for _, auth := range []string{"", "Bearer wrong", adminToken, "Basic " + adminToken} {
		if code, body := get(h, auth); code != http.StatusUnauthorized || strings.Contains(body, "windowbot_test_sent_total") {
			t.Errorf("with %q: %d %s", auth, code, body)
		}
	}
	if code, body := get(h, "Bearer "+adminToken); code != http.StatusOK || !strings.Contains(body, "windowbot_test_sent_total 3") {
		t.Errorf("with the token: %d %s", code, body)
	}
	// Without an admin token nobody reads the metrics, not even with an empty bearer.
	if code, _ := get(api.Metrics(reg, ""), "Bearer "); code != http.StatusUnauthorized {
		t.Errorf("without a token configured: %d", code)
	}
}

func TestBusinessMetrics(t *testing.T) {
	forEachDB(t, func(t *testing.T, r *rig) {
		testenv.SeedBoard(t, r.store, r.clock.Now())
		// Pushes: one due, one held until the morning, one sent (the notices the seeded tickets
		// queued are not what is counted here).
		c := r.citizen("pushee")
		now := r.clock.Now()
		if err := testenv.DB(t, r.store).Exec("DELETE FROM pushes").Error; err != nil {
			t.Fatal(err)
		}
		if err := models.Enqueue(testenv.DB(t, r.store), now,
			&models.Push{DedupeKey: "due", Kind: models.KindTicketStatus, CitizenID: c.ID, Text: "x"},
			&models.Push{DedupeKey: "held", Kind: models.KindDailyDigest, CitizenID: c.ID, Text: "x", NotBefore: now.Add(10 * time.Hour)},
			&models.Push{DedupeKey: "sent", Kind: models.KindTicketStatus, CitizenID: c.ID, Text: "x", State: models.PushSent},
		); err != nil {
			t.Fatal(err)
		}
		reg := prometheus.NewRegistry()
		reg.MustRegister(api.NewBusinessCollector(api.BusinessOptions{Store: r.store, Now: r.clock.Now}))
		queries := queryCounter(t, r)
		scrape := func() string {
			t.Helper()
			req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
			req.Header.Set("Authorization", "Bearer "+adminToken)
			rec := httptest.NewRecorder()
			api.Metrics(reg, adminToken).ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				t.Fatalf("scrape: %d %s", rec.Code, rec.Body)
			}
			return rec.Body.String()
		}
		body := scrape()
		var webFives int64
		testenv.DB(t, r.store).Model(&models.Rating{}).Where("level = 5 AND channel = 'web'").Count(&webFives)
		for _, want := range []string{
			fmt.Sprintf(`windowbot_ratings_total{channel="web",level="5"} %d`, webFives),
			`windowbot_tickets_open{center="DEMO"} 1`,
			`windowbot_tickets_open{center="EAST"} 2`,
			`windowbot_tickets_overdue{center="EAST"} 2`, // the complaint of a month ago, and the fix turned down a month ago
			`windowbot_tickets_overdue{center="CITY"} 0`,
			`windowbot_outbox_pushes{state="due"} 1`,
			`windowbot_outbox_pushes{state="held"} 1`,
			`windowbot_outbox_pushes{state="sent"} 1`,
			`windowbot_outbox_pushes{state="failed"} 0`,
			"# TYPE windowbot_ratings_total counter",
			"windowbot_business_figures_age_seconds 0",
		} {
			if !strings.Contains(body, want+"\n") {
				t.Errorf("metrics lack %q", want)
			}
		}
		if webFives == 0 {
			t.Fatal("the seed has no 5-level web ratings")
		}
		// Within the cache period a scrape reads nothing; after it, the figures are read again.
		read := queries.Load()
		r.clock.Add(20 * time.Second)
		if body := scrape(); queries.Load() != read || !strings.Contains(body, "windowbot_business_figures_age_seconds 20\n") {
			t.Errorf("second scrape within 30s read %d statements", queries.Load()-read)
		}
		r.clock.Add(15 * time.Second)
		if body := scrape(); queries.Load() == read || !strings.Contains(body, "windowbot_business_figures_age_seconds 0\n") {
			t.Errorf("a scrape after the cache period did not read the figures again")
		}
	})
}
