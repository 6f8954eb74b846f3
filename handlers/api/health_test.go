package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/redis/go-redis/v9"

	"windowbot/flows/state"
	"windowbot/handlers/api"
	"windowbot/internal/testenv"
	"windowbot/internal/testenv/statetest"
)

// TestReadyz checks /readyz against real stores: ready while both answer, 503 naming the one
// that does not (a closed database, a Redis nobody listens for).
func TestReadyz(t *testing.T) {
	store := openStore(t, testenv.SQLiteURL(t))
	redisUp := statetest.Redis(t)
	down := state.NewRedis(redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1}), "wbtest:")
	t.Cleanup(func() { down.Close() })
	closed := openStore(t, testenv.SQLiteURL(t))
	if err := closed.Close(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		deps map[string]api.Pinger
		code int
		want map[string]string
	}{
		{"all up", map[string]api.Pinger{"database": store, "state": redisUp}, 200, map[string]string{"database": "ok", "state": "ok"}},
		{"redis down", map[string]api.Pinger{"database": store, "state": down}, 503, map[string]string{"database": "ok", "state": "unavailable"}},
		{"database closed", map[string]api.Pinger{"database": closed, "state": redisUp}, 503, map[string]string{"database": "unavailable", "state": "ok"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mux := http.NewServeMux()
			api.Health(mux, tc.deps)
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, httptest.NewRequestWithContext(context.Background(), http.MethodGet, "/readyz", nil))
			var got map[string]string
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != tc.code {
				t.Fatalf("status %d body %s (%v)", rec.Code, rec.Body, err)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
			rec = httptest.NewRecorder()
			mux.ServeHTTP(rec, httptest.NewRequestWithContext(context.Background(), http.MethodGet, "/healthz", nil))
			if rec.Code != 200 {
				t.Errorf("/healthz = %d: the process is alive whatever its dependencies", rec.Code)
			}
		})
	}
}
