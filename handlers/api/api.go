// Package api is the HTTP surface of windowbot that is not a chat: the admin API under /api/v1,
// the public rectification board, health and readiness, and metrics. The chat commands live in
// package handlers; both read the records through *models.Store.
package api

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"windowbot/models"
)

// Options configures the admin API. Zero values take the documented defaults.
type Options struct {
	Store *models.Store
	// Token is the bearer token every call must carry. Empty disables the API (every call
	// answers 401), so a deployment without an admin token exposes nothing.
	Token string
	// Target is the satisfaction target reported with statistics, a rate in (0, 1]; required,
	// from the configuration (configs.Jobs.Target), so that the API, the chat and the reports
	// measure against the same one.
	Target float64
	// Location is the hall's zone: dates in queries and times in answers (default UTC).
	Location *time.Location
	// Pseudonyms names citizens in the answers: pass the pseudonyms the chat commands use, so
	// that a citizen in a report is the one a supervisor sees in a ticket. Without it the
	// pseudonyms are keyed by the token.
	Pseudonyms *models.Pseudonyms
	// Now decides which tickets are overdue and which month is current (default time.Now).
	Now    func() time.Time
	Logger *slog.Logger
}

// Admin serves the admin API under /api/v1, guarded by a bearer token.
type Admin struct {
	store  *models.Store
	token  string
	logger *slog.Logger
	loc    *time.Location
	refs   *models.Pseudonyms
	now    func() time.Time
	target float64
}

// NewAdmin returns the admin API. It panics without a Target in (0, 1].
func NewAdmin(o Options) *Admin {
	if o.Target <= 0 || o.Target > 1 {
		panic("api: NewAdmin needs a Target in (0, 1]")
	}
	a := &Admin{store: o.Store, token: o.Token, logger: o.Logger, loc: o.Location, refs: o.Pseudonyms, now: o.Now, target: o.Target}
	if a.logger == nil {
		a.logger = slog.New(slog.DiscardHandler)
	}
	if a.loc == nil {
		a.loc = time.UTC
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.refs == nil {
		a.refs = models.NewPseudonyms([]byte("windowbot-api-pseudonyms:" + o.Token))
	}
	return a
}

// Routes registers the API on mux.
func (a *Admin) Routes(mux *http.ServeMux) {
	mux.Handle("GET /api/v1/windows/{code}/stats", a.auth(http.HandlerFunc(a.windowStats)))
	mux.Handle("GET /api/v1/tickets", a.auth(http.HandlerFunc(a.tickets)))
	mux.Handle("GET /api/v1/tickets/{no}", a.auth(http.HandlerFunc(a.ticket)))
	mux.Handle("GET /api/v1/tickets/{no}/attachments/{id}", a.auth(http.HandlerFunc(a.attachment)))
	mux.Handle("GET /api/v1/ratings", a.auth(http.HandlerFunc(a.ratings)))
	mux.Handle("GET /api/v1/stats", a.auth(http.HandlerFunc(a.stats)))
}

func (a *Admin) auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !authorized(r, a.token) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="windowbot"`)
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "unauthorized"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// authorized reports whether r carries token as its bearer token; an empty token authorizes
// nothing.
func authorized(r *http.Request, token string) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return token != "" && ok && subtle.ConstantTimeCompare([]byte(got), []byte(token)) == 1
}

// WindowStats is the JSON of GET /api/v1/windows/{code}/stats.
type WindowStats struct {
	WindowCode       string         `json:"window_code"`
	WindowName       string         `json:"window_name"`
	From             *time.Time     `json:"from,omitempty"`
	To               *time.Time     `json:"to,omitempty"`
	Ratings          int            `json:"ratings"`
	ByLevel          map[string]int `json:"by_level"`
	SatisfactionRate float64        `json:"satisfaction_rate"`
	GoodRate         float64        `json:"good_rate"`
}

func (a *Admin) windowStats(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	code := r.PathValue("code")
	from, to, err := a.dates(r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	win, err := a.store.WindowByCode(ctx, code)
	if errors.Is(err, models.ErrNotFound) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "unknown window"})
		return
	}
	if err != nil {
		a.fail(w, err)
		return
	}
	st, err := a.store.StatsIn(ctx, models.Scope{WindowID: &win.ID}, from, to)
	if err != nil {
		a.fail(w, err)
		return
	}
	out := WindowStats{
		WindowCode: win.Code, WindowName: win.Name, Ratings: st.Total(), ByLevel: byLevel(st),
		SatisfactionRate: st.SatisfactionRate(), GoodRate: st.GoodRate(),
	}
	if !from.IsZero() {
		out.From = &from
	}
	if !to.IsZero() {
		out.To = &to
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *Admin) fail(w http.ResponseWriter, err error) {
	a.logger.Error("api: admin", "err", err)
	writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal error"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
