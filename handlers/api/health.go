package api

import (
	"context"
	"net/http"
	"time"
)

// Pinger is anything /readyz checks: the database and the state store.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Health registers /healthz (the process answers) and /readyz (every dependency answers within
// two seconds; 503 naming the first that does not).
func Health(mux *http.ServeMux, deps map[string]Pinger) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		status := map[string]string{}
		code := http.StatusOK
		for name, p := range deps {
			if err := p.Ping(ctx); err != nil {
				status[name] = "unavailable"
				code = http.StatusServiceUnavailable
				continue
			}
			status[name] = "ok"
		}
		writeJSON(w, code, status)
	})
}
