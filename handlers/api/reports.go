package api

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"windowbot/models"
)

// The reporting endpoints answer JSON, or CSV when asked with Accept: text/csv (or ?format=csv).
// JSON lists are paged (?page=1&per_page=50, at most 500 a page) and carry the total; a CSV
// export holds every matching row, UTF-8 with a byte-order mark so that Excel reads the Chinese.
// Citizens appear only as pseudonyms and phone numbers only masked.

const (
	defaultPerPage = 50
	maxPerPage     = 500
)

// csvBatch is how many rows a CSV export reads from the store at a time (the tests lower it).
var csvBatch = 1000

// badRequest is an error in the query string, answered with 400 and its text.
type badRequest string

func (e badRequest) Error() string { return string(e) }

func (a *Admin) answer(w http.ResponseWriter, err error) {
	var br badRequest
	switch {
	case errors.As(err, &br):
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": string(br)})
	case errors.Is(err, models.ErrNotFound):
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "not found"})
	default:
		a.fail(w, err)
	}
}

func wantsCSV(r *http.Request) bool {
	if strings.EqualFold(r.URL.Query().Get("format"), "csv") {
		return true
	}
	for part := range strings.SplitSeq(r.Header.Get("Accept"), ",") {
		mt, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(mt, "text/csv") {
			return true
		}
	}
	return false
}

// paging reads ?page= and ?per_page=.
func paging(r *http.Request) (page, perPage int, err error) {
	page, perPage = 1, defaultPerPage
	read := func(name string, dst *int, most int) error {
		raw := r.URL.Query().Get(name)
		if raw == "" {
			return nil
		}
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > most {
			return badRequest(fmt.Sprintf("%s must be a whole number from 1 to %d", name, most))
		}
		*dst = n
		return nil
	}
	if err := read("page", &page, 1_000_000); err != nil {
		return 0, 0, err
	}
	if err := read("per_page", &perPage, maxPerPage); err != nil {
		return 0, 0, err
	}
	return page, perPage, nil
}

// Page is the envelope of a paged JSON list.
type Page[T any] struct {
	Items   []T `json:"items"`
	Page    int `json:"page"`
	PerPage int `json:"per_page"`
	Total   int `json:"total"`
}

// place reads ?center= and ?window= codes.
func (a *Admin) place(ctx context.Context, r *http.Request) (centerID, windowID *uint, err error) {
	if code := r.URL.Query().Get("center"); code != "" {
		c, err := a.store.CenterByCode(ctx, code)
		if errors.Is(err, models.ErrNotFound) {
			return nil, nil, badRequest("unknown center " + strconv.Quote(code))
		}
		if err != nil {
			return nil, nil, err
		}
		centerID = &c.ID
	}
	if code := r.URL.Query().Get("window"); code != "" {
		w, err := a.store.WindowByCode(ctx, code)
		if errors.Is(err, models.ErrNotFound) {
			return nil, nil, badRequest("unknown window " + strconv.Quote(code))
		}
		if err != nil {
			return nil, nil, err
		}
		windowID = &w.ID
	}
	return centerID, windowID, nil
}

func (a *Admin) stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(a.loc).Format(time.RFC3339)
}

func (a *Admin) stampPtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return a.stamp(*t)
}

// writeCSV sends header and the rows rows yields, as an attachment named name.
func writeCSV(w http.ResponseWriter, name string, header []string, rows func(emit func([]string) error) error) error {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte("\xEF\xBB\xBF"))
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return err
	}
	emit := func(row []string) error {
		for i, cell := range row {
			row[i] = csvSafe(cell)
		}
		return cw.Write(row)
	}
	if err := rows(emit); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// csvSafe keeps a spreadsheet from running a cell as a formula: text a citizen typed that starts
// with = + - @ (or a tab or carriage return) gets a leading apostrophe, which Excel and WPS show
// as text. Numbers, negative ones included, are left as they are.
func csvSafe(cell string) string {
	if cell == "" || !strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
		return cell
	}
	if _, err := strconv.ParseFloat(cell, 64); err == nil {
		return cell
	}
	return "'" + cell
}

// TicketJSON is a ticket as the API shows it.
type TicketJSON struct {
	No              string      `json:"no"`
	Kind            string      `json:"kind"`
	State           string      `json:"state"`
	CenterCode      string      `json:"center_code"`
	CenterName      string      `json:"center_name"`
	WindowCode      string      `json:"window_code,omitempty"`
	WindowName      string      `json:"window_name,omitempty"`
	Category        string      `json:"category"`
	Description     string      `json:"description"`
	Citizen         string      `json:"citizen"`
	Anonymous       bool        `json:"anonymous"`
	Phone           string      `json:"phone,omitempty"`
	CallbackConsent bool        `json:"callback_consent"`
	Owner           string      `json:"owner_staff_no,omitempty"`
	Escalated       bool        `json:"escalated"`
	CreatedAt       string      `json:"created_at"`
	CallbackDue     string      `json:"callback_due"`
	RectifyDue      string      `json:"rectify_due"`
	AcceptedAt      string      `json:"accepted_at,omitempty"`
	ResolvedAt      string      `json:"resolved_at,omitempty"`
	ClosedAt        string      `json:"closed_at,omitempty"`
	CloseReason     string      `json:"close_reason,omitempty"`
	Plan            string      `json:"plan,omitempty"`
	Result          string      `json:"result,omitempty"`
	Reason          string      `json:"reason,omitempty"`
	Rerate          string      `json:"rerate,omitempty"`
	AppealBy        string      `json:"appeal_by,omitempty"`
	PublishedAt     string      `json:"published_at,omitempty"`
	Events          []EventJSON `json:"events,omitempty"`
	// Attachments are the complaint's photos (with the ticket only).
	Attachments []AttachmentJSON `json:"attachments,omitempty"`
}

// EventJSON is one line of a ticket's audit trail.
type EventJSON struct {
	Action    string `json:"action"`
	FromState string `json:"from_state,omitempty"`
	ToState   string `json:"to_state"`
	ActorRole string `json:"actor_role"`
	ActorNo   string `json:"actor_staff_no,omitempty"`
	Actor     string `json:"actor_citizen,omitempty"`
	Note      string `json:"note,omitempty"`
	Public    bool   `json:"public"`
	At        string `json:"at"`
}

var ticketCSVHeader = []string{"no", "kind", "state", "center_code", "center_name", "window_code", "window_name",
	"category", "description", "citizen", "anonymous", "phone", "callback_consent", "owner_staff_no", "escalated",
	"created_at", "callback_due", "rectify_due", "accepted_at", "resolved_at", "closed_at", "close_reason",
	"plan", "result", "reason", "rerate", "appeal_by", "published_at"}

func (t TicketJSON) csv() []string {
	b := strconv.FormatBool
	return []string{t.No, t.Kind, t.State, t.CenterCode, t.CenterName, t.WindowCode, t.WindowName,
		t.Category, t.Description, t.Citizen, b(t.Anonymous), t.Phone, b(t.CallbackConsent), t.Owner, b(t.Escalated),
		t.CreatedAt, t.CallbackDue, t.RectifyDue, t.AcceptedAt, t.ResolvedAt, t.ClosedAt, t.CloseReason,
		t.Plan, t.Result, t.Reason, t.Rerate, t.AppealBy, t.PublishedAt}
}

// staffNos remembers staff numbers looked up for one answer.
type staffNos struct {
	a  *Admin
	no map[uint]string
}

func (s *staffNos) of(ctx context.Context, id *uint) (string, error) {
	if id == nil {
		return "", nil
	}
	if no, ok := s.no[*id]; ok {
		return no, nil
	}
	st, err := s.a.store.StaffByID(ctx, *id)
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		return "", err
	}
	no := ""
	if st != nil {
		no = st.StaffNo
	}
	s.no[*id] = no
	return no, nil
}

func (a *Admin) ticketJSON(ctx context.Context, t *models.Ticket, nos *staffNos) (TicketJSON, error) {
	owner, err := nos.of(ctx, t.OwnerStaffID)
	if err != nil {
		return TicketJSON{}, err
	}
	out := TicketJSON{
		No: t.No, Kind: t.Kind, State: string(t.State), Category: t.Category, Description: models.MaskPII(t.Description),
		Citizen: a.refs.Citizen(t.CitizenID), Anonymous: t.Anonymous, CallbackConsent: t.CallbackConsent,
		Owner: owner, Escalated: t.Escalated, CreatedAt: a.stamp(t.CreatedAt), CallbackDue: a.stamp(t.CallbackDue),
		RectifyDue: a.stamp(t.RectifyDue), AcceptedAt: a.stampPtr(t.AcceptedAt), ResolvedAt: a.stampPtr(t.ResolvedAt),
		ClosedAt: a.stampPtr(t.ClosedAt), CloseReason: t.CloseReason, Plan: models.MaskPII(t.Plan), Result: models.MaskPII(t.Result), Reason: models.MaskPII(t.Reason),
		Rerate: t.Rerate, AppealBy: t.AppealBy, PublishedAt: a.stampPtr(t.PublishedAt),
	}
	if t.Phone != "" {
		out.Phone = models.MaskPhone(t.Phone)
	}
	if t.Center != nil {
		out.CenterCode, out.CenterName = t.Center.Code, t.Center.Name
	}
	if t.Window != nil {
		out.WindowCode, out.WindowName = t.Window.Code, t.Window.Name
	}
	return out, nil
}

// ticketFilter reads ?state=a,b&center=&window=&from=&to=.
func (a *Admin) ticketFilter(ctx context.Context, r *http.Request) (models.TicketFilter, error) {
	var f models.TicketFilter
	if raw := r.URL.Query().Get("state"); raw != "" {
		for s := range strings.SplitSeq(raw, ",") {
			st := models.TicketState(strings.TrimSpace(s))
			if !slices.Contains(models.TicketStates, st) {
				return f, badRequest("unknown state " + strconv.Quote(string(st)))
			}
			f.States = append(f.States, st)
		}
	}
	var err error
	if f.CenterID, f.WindowID, err = a.place(ctx, r); err != nil {
		return f, err
	}
	if f.From, f.To, err = a.dates(r); err != nil {
		return f, badRequest(err.Error())
	}
	return f, nil
}

func (a *Admin) tickets(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f, err := a.ticketFilter(ctx, r)
	if err != nil {
		a.answer(w, err)
		return
	}
	nos := &staffNos{a: a, no: map[uint]string{}}
	serveList(a, w, r, "tickets", ticketCSVHeader, TicketJSON.csv,
		func() (int, error) { return a.store.CountTickets(ctx, f) },
		func(limit, offset int) ([]TicketJSON, error) {
			f.Limit, f.Offset = limit, offset
			ts, err := a.store.Tickets(ctx, f)
			if err != nil {
				return nil, err
			}
			out := make([]TicketJSON, 0, len(ts))
			for i := range ts {
				tj, err := a.ticketJSON(ctx, &ts[i], nos)
				if err != nil {
					return nil, err
				}
				out = append(out, tj)
			}
			return out, nil
		})
}

// serveList answers a list endpoint: as CSV, every row, fetched csvBatch at a time; as JSON,
// the page asked for with the count of all rows. fetch returns at most limit rows from offset.
func serveList[J any](a *Admin, w http.ResponseWriter, r *http.Request, name string, header []string, row func(J) []string,
	count func() (int, error), fetch func(limit, offset int) ([]J, error)) {
	if wantsCSV(r) {
		err := writeCSV(w, name+".csv", header, func(emit func([]string) error) error {
			for offset := 0; ; offset += csvBatch {
				items, err := fetch(csvBatch, offset)
				if err != nil {
					return err
				}
				for _, it := range items {
					if err := emit(row(it)); err != nil {
						return err
					}
				}
				if len(items) < csvBatch {
					return nil
				}
			}
		})
		if err != nil {
			a.logger.Error("api: admin: "+name+" csv", "err", err)
		}
		return
	}
	page, perPage, err := paging(r)
	if err != nil {
		a.answer(w, err)
		return
	}
	total, err := count()
	if err != nil {
		a.answer(w, err)
		return
	}
	items, err := fetch(perPage, (page-1)*perPage)
	if err != nil {
		a.answer(w, err)
		return
	}
	writeJSON(w, http.StatusOK, Page[J]{Items: append([]J{}, items...), Page: page, PerPage: perPage, Total: total})
}

func (a *Admin) ticket(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	t, err := a.store.TicketByNo(ctx, r.PathValue("no"))
	if err != nil {
		a.answer(w, err)
		return
	}
	nos := &staffNos{a: a, no: map[uint]string{}}
	tj, err := a.ticketJSON(ctx, t, nos)
	if err != nil {
		a.answer(w, err)
		return
	}
	evs, err := a.store.TicketEvents(ctx, t.ID, false)
	if err != nil {
		a.answer(w, err)
		return
	}
	for _, ev := range evs {
		ej := EventJSON{Action: string(ev.Action), FromState: string(ev.FromState), ToState: string(ev.ToState),
			ActorRole: ev.ActorRole, Note: models.MaskPII(ev.Note), Public: ev.Public, At: a.stamp(ev.CreatedAt)}
		if ej.ActorNo, err = nos.of(ctx, ev.ActorStaffID); err != nil {
			a.answer(w, err)
			return
		}
		// Staff act from a chat account too; only a citizen's account stands for the actor.
		if ev.ActorCitizenID != nil && ev.ActorStaffID == nil {
			ej.Actor = a.refs.Citizen(*ev.ActorCitizenID)
		}
		tj.Events = append(tj.Events, ej)
	}
	as, err := a.store.TicketAttachments(ctx, t.ID)
	if err != nil {
		a.answer(w, err)
		return
	}
	for _, at := range as {
		aj := AttachmentJSON{ID: at.ID, Platform: at.Platform, MIMEType: at.MIMEType, Size: at.Size, FileID: at.FileID}
		if at.Platform != "telegram" {
			// Web uploads and WeChat images are kept in the database; Telegram keeps its own.
			aj.URL = "/api/v1/tickets/" + t.No + "/attachments/" + strconv.FormatUint(uint64(at.ID), 10)
		}
		tj.Attachments = append(tj.Attachments, aj)
	}
	if !wantsCSV(r) {
		writeJSON(w, http.StatusOK, tj)
		return
	}
	// One row per event, each with the ticket's number and state.
	header := []string{"no", "state", "action", "from_state", "to_state", "actor_role", "actor_staff_no", "actor_citizen", "note", "public", "at"}
	err = writeCSV(w, tj.No+".csv", header, func(emit func([]string) error) error {
		for _, e := range tj.Events {
			if err := emit([]string{tj.No, tj.State, e.Action, e.FromState, e.ToState, e.ActorRole, e.ActorNo, e.Actor, e.Note, strconv.FormatBool(e.Public), e.At}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		a.logger.Error("api: admin: ticket csv", "err", err)
	}
}

// RatingJSON is a rating as the API shows it.
type RatingJSON struct {
	ID         uint     `json:"id"`
	CreatedAt  string   `json:"created_at"`
	CenterCode string   `json:"center_code"`
	WindowCode string   `json:"window_code"`
	WindowName string   `json:"window_name"`
	Level      int      `json:"level"`
	Aspects    []string `json:"aspects"`
	Praise     []string `json:"praise"`
	Comment    string   `json:"comment,omitempty"`
	Channel    string   `json:"channel"`
	Excluded   bool     `json:"excluded"`
	TicketNo   string   `json:"ticket_no,omitempty"`
	Citizen    string   `json:"citizen"`
}

var ratingCSVHeader = []string{"id", "created_at", "center_code", "window_code", "window_name", "level", "aspects", "praise", "comment", "channel", "excluded", "ticket_no", "citizen"}

func (a *Admin) ratingJSON(r models.RatingRow) RatingJSON {
	keys := func(s string) []string {
		if out := models.SplitKeys(s); out != nil {
			return out
		}
		return []string{}
	}
	return RatingJSON{ID: r.ID, CreatedAt: a.stamp(r.CreatedAt), CenterCode: r.CenterCode, WindowCode: r.WindowCode,
		WindowName: r.WindowName, Level: r.Level, Aspects: keys(r.Aspects), Praise: keys(r.Praise), Comment: models.MaskPII(r.Comment),
		Channel: r.Channel, Excluded: r.Excluded, TicketNo: r.TicketNo, Citizen: a.refs.Citizen(r.CitizenID)}
}

func (j RatingJSON) csv() []string {
	return []string{strconv.FormatUint(uint64(j.ID), 10), j.CreatedAt, j.CenterCode, j.WindowCode, j.WindowName,
		strconv.Itoa(j.Level), strings.Join(j.Aspects, ","), strings.Join(j.Praise, ","), j.Comment, j.Channel,
		strconv.FormatBool(j.Excluded), j.TicketNo, j.Citizen}
}

func (a *Admin) ratings(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var f models.RatingFilter
	var err error
	if f.CenterID, f.WindowID, err = a.place(ctx, r); err != nil {
		a.answer(w, err)
		return
	}
	if f.From, f.To, err = a.dates(r); err != nil {
		a.answer(w, badRequest(err.Error()))
		return
	}
	serveList(a, w, r, "ratings", ratingCSVHeader, RatingJSON.csv,
		func() (int, error) { return a.store.CountRatings(ctx, f) },
		func(limit, offset int) ([]RatingJSON, error) {
			f.Limit, f.Offset = limit, offset
			rows, err := a.store.Ratings(ctx, f)
			if err != nil {
				return nil, err
			}
			out := make([]RatingJSON, 0, len(rows))
			for _, row := range rows {
				out = append(out, a.ratingJSON(row))
			}
			return out, nil
		})
}

// StatsFigures are the figures of a window or a center in a period.
type StatsFigures struct {
	Ratings          int            `json:"ratings"`
	ByLevel          map[string]int `json:"by_level"`
	SatisfactionRate float64        `json:"satisfaction_rate"`
	GoodRate         float64        `json:"good_rate"`
	Bad              int            `json:"bad_reviews"`
	MeetsTarget      bool           `json:"meets_target"`
	OpenTickets      int            `json:"open_tickets"`
	OverdueTickets   int            `json:"overdue_tickets"`
}

// WindowFigures are a window's figures.
type WindowFigures struct {
	Code string `json:"code"`
	Name string `json:"name"`
	StatsFigures
}

// CenterFigures are a center's figures with its windows'.
type CenterFigures struct {
	Code string `json:"code"`
	Name string `json:"name"`
	StatsFigures
	Windows []WindowFigures `json:"windows"`
}

// StatsJSON is the answer of GET /api/v1/stats.
type StatsJSON struct {
	Period  string          `json:"period"`
	From    string          `json:"from"`
	To      string          `json:"to"`
	Target  float64         `json:"target"`
	Total   StatsFigures    `json:"total"`
	Centers []CenterFigures `json:"centers"`
}

func (a *Admin) figures(t models.Tally, tc models.TicketCount) StatsFigures {
	return StatsFigures{Ratings: t.Total(), ByLevel: byLevel(t), SatisfactionRate: t.SatisfactionRate(),
		GoodRate: t.GoodRate(), Bad: t.Bad(), MeetsTarget: t.MeetsTarget(a.target),
		OpenTickets: tc.Open, OverdueTickets: tc.Overdue}
}

// byLevel is the JSON of a tally's counts by level: every level from "1" to "5".
func byLevel(t models.Tally) map[string]int {
	out := make(map[string]int, len(t.ByLevel))
	for _, l := range models.Levels {
		out[strconv.Itoa(int(l))] = t.Count(l)
	}
	return out
}

// stats answers GET /api/v1/stats?center=CODE&period=2026-11|2026|month|year|last: every center
// (or the one asked for) with its windows, their ratings against the target and their open and
// overdue tickets now.
func (a *Admin) stats(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	now := a.now()
	per, err := a.calendarPeriod(r, now)
	if err != nil {
		a.answer(w, err)
		return
	}
	var centers []models.Center
	var centerID *uint
	if code := r.URL.Query().Get("center"); code != "" {
		c, err := a.store.CenterByCode(ctx, code)
		if errors.Is(err, models.ErrNotFound) {
			a.answer(w, badRequest("unknown center "+strconv.Quote(code)))
			return
		}
		if err != nil {
			a.answer(w, err)
			return
		}
		centers, centerID = []models.Center{*c}, &c.ID
	} else {
		if centers, err = a.store.Centers(ctx); err != nil {
			a.answer(w, err)
			return
		}
	}
	windows, err := a.store.Windows(ctx, centerID)
	if err != nil {
		a.answer(w, err)
		return
	}
	tallies, err := a.store.WindowTallies(ctx, per.From, per.To)
	if err != nil {
		a.answer(w, err)
		return
	}
	byWindow := make(map[uint]models.Tally, len(tallies))
	for _, t := range tallies {
		byWindow[t.ID] = t
	}
	counts, err := a.store.TicketCounts(ctx, centerID, now)
	if err != nil {
		a.answer(w, err)
		return
	}
	out := StatsJSON{Period: per.Key(), From: a.stamp(per.From), To: a.stamp(per.To), Target: a.target, Centers: []CenterFigures{}}
	var all models.Tally
	var allTickets models.TicketCount
	for _, c := range centers {
		cf := CenterFigures{Code: c.Code, Name: c.Name, Windows: []WindowFigures{}}
		var sum models.Tally
		var ctc models.TicketCount
		for _, tc := range counts {
			if tc.CenterID == c.ID {
				ctc.Open += tc.Open
				ctc.Overdue += tc.Overdue
			}
		}
		for _, win := range windows {
			if win.CenterID != c.ID {
				continue
			}
			st := byWindow[win.ID] // a window without ratings counts zero
			sum.Add(st)
			cf.Windows = append(cf.Windows, WindowFigures{Code: win.Code, Name: win.Name, StatsFigures: a.figures(st, models.SumTicketCounts(counts, &win.ID))})
		}
		cf.StatsFigures = a.figures(sum, ctc)
		all.Add(sum)
		allTickets.Open += ctc.Open
		allTickets.Overdue += ctc.Overdue
		out.Centers = append(out.Centers, cf)
	}
	out.Total = a.figures(all, allTickets)
	if !wantsCSV(r) {
		writeJSON(w, http.StatusOK, out)
		return
	}
	header := []string{"period", "center_code", "center_name", "window_code", "window_name", "ratings",
		"level_1", "level_2", "level_3", "level_4", "level_5", "satisfaction_rate", "good_rate", "bad_reviews",
		"meets_target", "open_tickets", "overdue_tickets"}
	row := func(cc, cn, wc, wn string, f StatsFigures) []string {
		rate := func(x float64) string { return strconv.FormatFloat(x, 'f', 4, 64) }
		return []string{out.Period, cc, cn, wc, wn, strconv.Itoa(f.Ratings),
			strconv.Itoa(f.ByLevel["1"]), strconv.Itoa(f.ByLevel["2"]), strconv.Itoa(f.ByLevel["3"]),
			strconv.Itoa(f.ByLevel["4"]), strconv.Itoa(f.ByLevel["5"]), rate(f.SatisfactionRate), rate(f.GoodRate),
			strconv.Itoa(f.Bad), strconv.FormatBool(f.MeetsTarget), strconv.Itoa(f.OpenTickets), strconv.Itoa(f.OverdueTickets)}
	}
	// A center's own row (no window) carries its totals, including complaints about it as a whole.
	err = writeCSV(w, "stats-"+out.Period+".csv", header, func(emit func([]string) error) error {
		for _, c := range out.Centers {
			if err := emit(row(c.Code, c.Name, "", "", c.StatsFigures)); err != nil {
				return err
			}
			for _, wf := range c.Windows {
				if err := emit(row(c.Code, c.Name, wf.Code, wf.Name, wf.StatsFigures)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		a.logger.Error("api: admin: stats csv", "err", err)
	}
}

// AttachmentJSON is a complaint's photo as the API lists it. URL serves the bytes where windowbot
// keeps them; a Telegram photo is named by its FileID, fetched through the bot's getFile.
type AttachmentJSON struct {
	ID       uint   `json:"id"`
	Platform string `json:"platform"`
	MIMEType string `json:"mime_type,omitempty"`
	Size     int64  `json:"size,omitempty"`
	FileID   string `json:"file_id,omitempty"`
	URL      string `json:"url,omitempty"`
}

// attachment serves the bytes of a complaint's photo.
func (a *Admin) attachment(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	t, err := a.store.TicketByNo(ctx, r.PathValue("no"))
	if err != nil {
		a.answer(w, err)
		return
	}
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "not found"})
		return
	}
	at, err := a.store.TicketAttachment(ctx, t.ID, uint(id))
	if err != nil {
		a.answer(w, err)
		return
	}
	if len(at.Data) == 0 {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "kept by the platform", "file_id": at.FileID})
		return
	}
	// The bytes came from a citizen: serve them only as the image type they were sniffed as.
	ct := http.DetectContentType(at.Data)
	if !strings.HasPrefix(ct, "image/") {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'none'")
	w.Header().Set("Cache-Control", "private, no-store")
	_, _ = w.Write(at.Data)
}
