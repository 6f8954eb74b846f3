package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"windowbot/internal/text"
	"windowbot/models"
)

// boardLimit is how many rectification notices the board shows.
const boardLimit = 100

// BoardOptions configures the public board. Store and Target are required.
type BoardOptions struct {
	Store *models.Store
	// Target is the satisfaction target the months are measured against, a rate in (0, 1]: the
	// configuration's, as for the reports.
	Target float64
	// MinRatings is the minimum number of ratings a window needs to be ranked (and the weight of
	// the prior in the adjusted score): the jobs' threshold, so the board ranks as the reports do.
	MinRatings int
	// CacheTTL is how long the figures and pages are reused; 0 reads them at every visit.
	CacheTTL time.Duration
	// StaffNames shows the service stars by name; otherwise by window only.
	StaffNames bool
	// Location is the hall's zone: months and dates (default UTC).
	Location *time.Location
	// Now decides the current month and which tickets are overdue (default time.Now).
	Now    func() time.Time
	Logger *slog.Logger
}

// Board is the public board (公示栏) at /board and /board/{center}: each center's satisfaction
// this month and over the last twelve against the target, the windows ranked, the service
// stars, the year's best and worst windows, how bad reviews and complaints were handled, and the
// rectification notices (整改公示). It needs no login and shows nobody who rated or complained;
// staff only by name where the hall publishes its stars (StaffNames). Everything it shows comes
// from a snapshot read once per CacheTTL for all centers, so a crowd of visitors costs the
// database one set of queries.
type Board struct {
	o       BoardOptions
	stats   *cache[*boardStats]
	notices *cache[[]Notice]
	pages   *cache[[]byte]
}

// NewBoard returns the board. It panics without a Store or without a Target in (0, 1].
func NewBoard(o BoardOptions) *Board {
	if o.Store == nil || o.Target <= 0 || o.Target > 1 {
		panic("api: NewBoard needs a Store and a Target in (0, 1]")
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Board{
		o:       o,
		stats:   newCache[*boardStats](o.CacheTTL, o.Now, o.Logger),
		notices: newCache[[]Notice](o.CacheTTL, o.Now, o.Logger),
		pages:   newCache[[]byte](o.CacheTTL, o.Now, o.Logger),
	}
}

// Routes registers GET /board, /board/{center} (the pages), /notices (where the notices used to
// be: a redirect to their section) and /api/v1/public/notices (the notices as JSON).
func (b *Board) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /board", b.page)
	mux.HandleFunc("GET /board/{center}", b.page)
	mux.HandleFunc("GET /notices", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/board#notices", http.StatusMovedPermanently)
	})
	mux.HandleFunc("GET /api/v1/public/notices", b.json)
}

// Notice is one published rectification, as the board shows it.
type Notice struct {
	No          string `json:"no"`
	Place       string `json:"place"`
	Category    string `json:"category"`
	Plan        string `json:"plan"`
	Result      string `json:"result"`
	PublishedAt string `json:"published_at"`
}

// loadNotices reads the published notices of a center (nil: all) in lang.
func (b *Board) loadNotices(ctx context.Context, lang string, centerID *uint) ([]Notice, error) {
	ts, err := b.o.Store.PublishedTickets(ctx, centerID, boardLimit)
	if err != nil {
		return nil, err
	}
	out := make([]Notice, 0, len(ts))
	for i := range ts {
		t := &ts[i]
		out = append(out, Notice{
			No: t.No, Place: ticketPlace(lang, t), Category: text.Category(lang, t.Category),
			Plan: models.MaskPII(t.Plan), Result: models.MaskPII(t.Result), PublishedAt: t.PublishedAt.In(b.o.Location).Format(time.DateOnly),
		})
	}
	return out, nil
}

// noticesOf returns the notices of a center (nil: all) in lang, from the cache.
func (b *Board) noticesOf(ctx context.Context, lang string, center *models.Center) ([]Notice, error) {
	key, id := lang+"|", (*uint)(nil)
	if center != nil {
		key, id = lang+"|"+center.Code, &center.ID
	}
	return b.notices.get(ctx, key, func(ctx context.Context) ([]Notice, error) { return b.loadNotices(ctx, lang, id) })
}

// ticketPlace names where a ticket is, in the words of the chat's ticket cards: the window with
// its center, or the center as a whole.
func ticketPlace(lang string, t *models.Ticket) string {
	switch {
	case t.Window != nil && t.Window.Center != nil && t.Window.Center.Name != "":
		return t.Window.Center.Name + " · " + t.Window.Code + " " + t.Window.Name
	case t.Window != nil:
		return t.Window.Code + " " + t.Window.Name
	case t.Center != nil:
		return t.Center.Name + " · " + text.T(lang, "whole_center")
	}
	return ""
}

func (b *Board) json(w http.ResponseWriter, r *http.Request) {
	ns, err := b.noticesOf(r.Context(), requestLang(r), nil)
	if err != nil {
		b.o.Logger.Error("api: board notices", "err", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal error"})
		return
	}
	b.cacheHeaders(w)
	writeJSON(w, http.StatusOK, map[string]any{"notices": ns})
}

// errNoCenter is the answer for a center code the board does not know.
var errNoCenter = errors.New("api: board: no such center")

// largeCookie remembers a visitor's 大字模式 on the board, which has no script.
const largeCookie = "board_large"

// largeText reads 大字模式 from ?large=1 or 0, remembering the choice in a cookie for a year, or
// else from the cookie.
func largeText(w http.ResponseWriter, r *http.Request) bool {
	switch r.URL.Query().Get("large") {
	case "1":
		http.SetCookie(w, &http.Cookie{Name: largeCookie, Value: "1", Path: "/", MaxAge: 365 * 24 * 3600, HttpOnly: true, SameSite: http.SameSiteLaxMode})
		return true
	case "0":
		http.SetCookie(w, &http.Cookie{Name: largeCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
		return false
	}
	c, err := r.Cookie(largeCookie)
	return err == nil && c.Value == "1"
}

func (b *Board) page(w http.ResponseWriter, r *http.Request) {
	lang := requestLang(r)
	code := strings.ToUpper(strings.TrimSpace(r.PathValue("center")))
	large := largeText(w, r)
	key := lang + "|" + code
	if large {
		key += "|large"
	}
	body, err := b.pages.get(r.Context(), key, func(ctx context.Context) ([]byte, error) {
		return b.render(ctx, lang, code, large)
	})
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Vary", "Accept-Language, Cookie")
	switch {
	case errors.Is(err, errNoCenter):
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintln(w, text.T(lang, "board.no_center"))
		return
	case err != nil:
		if r.Context().Err() == nil {
			b.o.Logger.Error("api: board", "center", code, "err", err)
		}
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	b.cacheHeaders(w)
	_, _ = w.Write(body)
}

// cacheHeaders lets browsers and proxies keep an answer as long as the board does.
func (b *Board) cacheHeaders(w http.ResponseWriter) {
	if s := int(b.o.CacheTTL / time.Second); s > 0 {
		w.Header().Set("Cache-Control", "public, max-age="+strconv.Itoa(s))
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
}

// render builds the page of a center (code "" for all) in lang.
func (b *Board) render(ctx context.Context, lang, code string, large bool) ([]byte, error) {
	st, err := b.stats.get(ctx, "stats", b.loadStats)
	if err != nil {
		return nil, err
	}
	var center *models.Center
	if code != "" {
		i := slices.IndexFunc(st.centers, func(c models.Center) bool { return strings.EqualFold(c.Code, code) })
		if i < 0 {
			return nil, errNoCenter
		}
		center = &st.centers[i]
	}
	ns, err := b.noticesOf(ctx, lang, center)
	if err != nil {
		return nil, err
	}
	v, err := b.view(st, lang, center, ns, large)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := boardPage.Execute(&buf, v); err != nil {
		return nil, fmt.Errorf("api: board page: %w", err)
	}
	return buf.Bytes(), nil
}

// requestLang is the language of the catalog a visitor reads: ?lang= if given, else the first
// of their browser's Accept-Language preferences the catalog has, else Chinese.
func requestLang(r *http.Request) string {
	if q := r.URL.Query().Get("lang"); q != "" {
		return text.Lang(q)
	}
	return acceptLang(r.Header.Get("Accept-Language"))
}

// acceptLang picks from an Accept-Language header by quality (the order given breaks ties).
func acceptLang(header string) string {
	best, bestQ := text.ZH, 0.0
	for part := range strings.SplitSeq(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		if lang, ok := text.Parse(tag); ok && q > bestQ {
			best, bestQ = lang, q
		}
	}
	return best
}
