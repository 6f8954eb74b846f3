package api_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"windowbot/handlers/api"
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
