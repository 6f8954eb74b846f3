package handlers

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"windowbot/models"
)

// APIStore is what the admin API reads. *models.Store implements it.
type APIStore interface {
	WindowByCode(ctx context.Context, code string) (*models.Window, error)
	WindowStats(ctx context.Context, windowID uint, from, to time.Time) (models.RatingStats, error)
	CenterByCode(ctx context.Context, code string) (*models.Center, error)
	Centers(ctx context.Context) ([]models.Center, error)
	Windows(ctx context.Context, centerID *uint) ([]models.Window, error)
	StaffByID(ctx context.Context, id uint) (*models.Staff, error)
	Tickets(ctx context.Context, f models.TicketFilter) ([]models.Ticket, error)
	CountTickets(ctx context.Context, f models.TicketFilter) (int, error)
	TicketByNo(ctx context.Context, no string) (*models.Ticket, error)
	TicketEvents(ctx context.Context, ticketID uint, publicOnly bool) ([]models.TicketEvent, error)
	TicketAttachments(ctx context.Context, ticketID uint) ([]models.TicketAttachment, error)
	TicketAttachment(ctx context.Context, ticketID, id uint) (*models.TicketAttachment, error)
	Ratings(ctx context.Context, f models.RatingFilter) ([]models.RatingRow, error)
	CountRatings(ctx context.Context, f models.RatingFilter) (int, error)
	StatsByWindow(ctx context.Context, scope models.Scope, from, to time.Time) (map[uint]models.RatingStats, error)
	TicketCounts(ctx context.Context, centerID *uint, now time.Time) ([]models.TicketCount, error)
}

var _ APIStore = (*models.Store)(nil)

// API serves the admin HTTP API under /api/v1, guarded by a bearer token.
type API struct {
	store  APIStore
	token  string
	logger *slog.Logger
	loc    *time.Location
	refs   *models.Pseudonyms
	now    func() time.Time
	target float64
}

// APIOption configures the API.
type APIOption func(*API)

// WithPseudonyms names citizens in the API's answers with refs: pass the pseudonyms the chat
// commands use, so that a citizen in a report is the one a supervisor sees in a ticket. Without
// it the pseudonyms are keyed by the admin token.
func WithPseudonyms(refs *models.Pseudonyms) APIOption { return func(a *API) { a.refs = refs } }

// WithClock sets the clock that decides which tickets are overdue (default time.Now).
func WithClock(now func() time.Time) APIOption { return func(a *API) { a.now = now } }

// WithTarget sets the satisfaction target reported with statistics, a rate in (0, 1] (default
// 0.95).
func WithTarget(target float64) APIOption {
	return func(a *API) {
		if target > 0 && target <= 1 {
			a.target = target
		}
	}
}

// NewAPI returns the admin API. An empty token disables it (every call answers 401), so a
// deployment without an admin token exposes nothing.
func NewAPI(store APIStore, token string, loc *time.Location, logger *slog.Logger, opts ...APIOption) *API {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if loc == nil {
		loc = time.UTC
	}
	a := &API{store: store, token: token, logger: logger, loc: loc, now: time.Now, target: 0.95}
	for _, o := range opts {
		o(a)
	}
	if a.refs == nil {
		a.refs = models.NewPseudonyms([]byte("windowbot-api-pseudonyms:" + token))
	}
	return a
}

// Routes registers the API on mux.
func (a *API) Routes(mux *http.ServeMux) {
	mux.Handle("GET /api/v1/windows/{code}/stats", a.auth(http.HandlerFunc(a.windowStats)))
	mux.Handle("GET /api/v1/tickets", a.auth(http.HandlerFunc(a.tickets)))
	mux.Handle("GET /api/v1/tickets/{no}", a.auth(http.HandlerFunc(a.ticket)))
	mux.Handle("GET /api/v1/tickets/{no}/attachments/{id}", a.auth(http.HandlerFunc(a.attachment)))
	mux.Handle("GET /api/v1/ratings", a.auth(http.HandlerFunc(a.ratings)))
	mux.Handle("GET /api/v1/stats", a.auth(http.HandlerFunc(a.stats)))
}

func (a *API) auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if a.token == "" || !ok || subtle.ConstantTimeCompare([]byte(got), []byte(a.token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="windowbot"`)
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "unauthorized"})
			return
		}
		next.ServeHTTP(w, r)
	})
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

func (a *API) windowStats(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	code := r.PathValue("code")
	from, to, err := a.period(r)
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
	st, err := a.store.WindowStats(ctx, win.ID, from, to)
	if err != nil {
		a.fail(w, err)
		return
	}
	out := WindowStats{
		WindowCode: win.Code, WindowName: win.Name, Ratings: st.Total, ByLevel: map[string]int{},
		SatisfactionRate: st.SatisfactionRate, GoodRate: st.GoodRate,
	}
	if !from.IsZero() {
		out.From = &from
	}
	if !to.IsZero() {
		out.To = &to
	}
	for l := 1; l <= 5; l++ {
		out.ByLevel[strconv.Itoa(l)] = st.ByLevel[l]
	}
	writeJSON(w, http.StatusOK, out)
}

// period reads ?from=&to= as dates (2006-01-02, in the hall's zone; to is inclusive) or RFC 3339
// times. Missing bounds are zero: all time.
func (a *API) period(r *http.Request) (from, to time.Time, err error) {
	parse := func(s string, end bool) (time.Time, error) {
		if s == "" {
			return time.Time{}, nil
		}
		if t, err := time.ParseInLocation(time.DateOnly, s, a.loc); err == nil {
			if end {
				t = t.AddDate(0, 0, 1)
			}
			return t, nil
		}
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return time.Time{}, errors.New("from/to must be YYYY-MM-DD or RFC 3339")
		}
		return t, nil
	}
	if from, err = parse(r.URL.Query().Get("from"), false); err != nil {
		return
	}
	to, err = parse(r.URL.Query().Get("to"), true)
	return
}

func (a *API) fail(w http.ResponseWriter, err error) {
	a.logger.Error("handlers: api", "err", err)
	writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal error"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Pinger is anything /readyz checks.
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
