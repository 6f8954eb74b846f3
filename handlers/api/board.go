package api

import (
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"windowbot/internal/text"
	"windowbot/models"
)

// boardLimit is how many notices the board shows.
const boardLimit = 100

// Board is the public rectification board (整改公示栏): the plan and result of every ticket a
// supervisor published, with the window and the kind of problem, never who complained. It needs
// no login: it is meant for the hall's screens and its website.
type Board struct {
	store  *models.Store
	loc    *time.Location
	logger *slog.Logger
}

// NewBoard returns the board.
func NewBoard(store *models.Store, loc *time.Location, logger *slog.Logger) *Board {
	if loc == nil {
		loc = time.UTC
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Board{store: store, loc: loc, logger: logger}
}

// Routes registers GET /notices (the page) and GET /api/v1/public/notices (JSON).
func (b *Board) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /notices", b.page)
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

func (b *Board) notices(r *http.Request) ([]Notice, string, error) {
	lang := text.Lang(r.Header.Get("Accept-Language"))
	if q := r.URL.Query().Get("lang"); q != "" {
		lang = text.Lang(q)
	}
	ts, err := b.store.PublishedTickets(r.Context(), nil, boardLimit)
	if err != nil {
		return nil, lang, err
	}
	out := make([]Notice, 0, len(ts))
	for i := range ts {
		t := &ts[i]
		out = append(out, Notice{
			No: t.No, Place: ticketPlace(lang, t), Category: text.Category(lang, t.Category),
			Plan: models.MaskPII(t.Plan), Result: models.MaskPII(t.Result), PublishedAt: t.PublishedAt.In(b.loc).Format(time.DateOnly),
		})
	}
	return out, lang, nil
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
	ns, _, err := b.notices(r)
	if err != nil {
		b.logger.Error("api: board", "err", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal error"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"notices": ns})
}

func (b *Board) page(w http.ResponseWriter, r *http.Request) {
	ns, lang, err := b.notices(r)
	if err != nil {
		b.logger.Error("api: board", "err", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	data := struct {
		Lang    string
		Title   string
		Empty   string
		Plan    string
		Result  string
		Notices []Notice
	}{lang, text.T(lang, "board_title"), text.T(lang, "board_empty"), text.T(lang, "board_plan"), text.T(lang, "board_result"), ns}
	if err := boardPage.Execute(w, data); err != nil {
		b.logger.Error("api: board page", "err", err)
	}
}

var boardPage = template.Must(template.New("board").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{.Title}}</title>
<style>body{font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;max-width:48rem;margin:auto;padding:1rem;color:#222}
h1{color:#b22222;font-size:1.4rem}article{border:1px solid #ddd;border-radius:.5rem;padding:.8rem 1rem;margin:.8rem 0}
.meta{color:#666;font-size:.9rem}dt{font-weight:bold;margin-top:.4rem}dd{margin:0}</style></head>
<body><h1>{{.Title}}</h1>
{{range .Notices}}<article><div class="meta">{{.PublishedAt}} · {{.No}} · {{.Place}} · {{.Category}}</div>
<dl><dt>{{$.Plan}}</dt><dd>{{.Plan}}</dd><dt>{{$.Result}}</dt><dd>{{.Result}}</dd></dl></article>
{{else}}<p>{{.Empty}}</p>{{end}}
</body></html>
`))
