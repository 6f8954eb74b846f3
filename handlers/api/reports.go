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

	"windowbot/internal/text"
	"windowbot/models"
)

// The reporting endpoints answer JSON, or CSV when asked with Accept: text/csv (or ?format=csv).
// JSON lists are paged (?page=1&per_page=50, at most 500 a page) and carry the total; a CSV
// export holds every matching row, UTF-8 with a byte-order mark so that Excel reads the Chinese.
// Citizens appear only as pseudonyms (an anonymous filing as its own) and phone numbers only
// masked.
//
// A CSV export is for people who open it in Excel: Chinese headers, levels, states, aspects and
// categories in words, yes and no, times written 2006-01-02 15:04:05 in the hall's zone. Scripts
// ask for ?lang=en (or send Accept-Language: en) and get the codes and RFC 3339 times the JSON
// has, under English headers. JSON is always codes.

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

// csvLang is the language of a CSV export: English codes when ?lang=en or an Accept-Language
// that starts with English asks for them, else Chinese words.
func csvLang(r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l != "" {
		if lang, ok := text.Parse(l); ok {
			return lang
		}
	}
	first, _, _ := strings.Cut(r.Header.Get("Accept-Language"), ",")
	first, _, _ = strings.Cut(strings.TrimSpace(first), ";")
	if lang, ok := text.Parse(first); ok && first != "" {
		return lang
	}
	return text.ZH
}

// csvOut writes the cells of one export in its language: codes and RFC 3339 for English, words
// and 2006-01-02 15:04:05 for Chinese.
type csvOut struct {
	lang string
	loc  *time.Location
}

func (a *Admin) csvOut(r *http.Request) csvOut { return csvOut{lang: csvLang(r), loc: a.loc} }

func (o csvOut) en() bool { return o.lang == text.EN }

// header is the export's header: the codes, or their Chinese names (catalog csv.*).
func (o csvOut) header(codes []string) []string {
	if o.en() {
		return codes
	}
	out := make([]string, len(codes))
	for i, c := range codes {
		key, ok := csvHeaderKeys[c]
		if !ok {
			key = "csv." + c
		}
		out[i] = text.T(o.lang, key)
	}
	return out
}

// at writes a time: RFC 3339 for English, "2006-01-02 15:04:05" in the hall's zone for Chinese.
func (o csvOut) at(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	if o.en() {
		return t.In(o.loc).Format(time.RFC3339)
	}
	return t.In(o.loc).Format(time.DateTime)
}

func (o csvOut) yes(b bool) string {
	switch {
	case o.en():
		return strconv.FormatBool(b)
	case b:
		return text.T(o.lang, "csv.yes")
	}
	return text.T(o.lang, "csv.no_value")
}

// word writes a code in words (key of the catalog), or the code itself for English.
func (o csvOut) word(code, key string) string {
	if o.en() || code == "" {
		return code
	}
	return text.T(o.lang, key)
}

func (o csvOut) state(s string) string    { return o.word(s, "state."+s) }
func (o csvOut) category(c string) string { return o.word(c, "category."+c) }
func (o csvOut) kind(k string) string     { return o.word(k, "kind_"+k) }
func (o csvOut) route(r string) string    { return o.word(r, "route."+r) }
func (o csvOut) closeWhy(c string) string { return o.word(c, "close."+c) }
func (o csvOut) verdict(v string) string  { return o.word(v, "rerate_"+v) }
func (o csvOut) actor(role string) string { return o.word(role, "actor_"+role) }
func (o csvOut) channel(ch string) string {
	if key, ok := channelKeys[ch]; ok {
		return o.word(ch, key)
	}
	return ch
}

// keys writes a list of aspect or praise keys: comma-separated codes, or their words.
func (o csvOut) keys(keys []string, label func(lang, key string) string) string {
	if o.en() {
		return strings.Join(keys, ",")
	}
	words := make([]string, len(keys))
	for i, k := range keys {
		words[i] = label(o.lang, k)
	}
	return strings.Join(words, text.T(o.lang, "list_sep"))
}

// channelKeys are the catalog keys of the channels a rating or complaint came through.
var channelKeys = map[string]string{"wechat": "channel.wechat", "telegram": "channel.telegram", "web": "channel.web", "paper": "channel.paper"}

// csvHeaderKeys are the catalog keys of the Chinese headers, by column code.
var csvHeaderKeys = map[string]string{
	"no": "csv.no", "kind": "csv.kind", "state": "csv.state", "center_code": "csv.center_code", "center_name": "csv.center_name",
	"window_code": "csv.window_code", "window_name": "csv.window_name", "category": "csv.category", "description": "csv.description",
	"citizen": "csv.citizen", "anonymous": "csv.anonymous", "phone": "csv.phone", "callback_consent": "csv.callback_consent",
	"owner_staff_no": "csv.owner_staff_no", "escalated": "csv.escalated", "created_at": "csv.created_at",
	"callback_due": "csv.callback_due", "rectify_due": "csv.rectify_due", "accepted_at": "csv.accepted_at",
	"resolved_at": "csv.resolved_at", "closed_at": "csv.closed_at", "close_reason": "csv.close_reason", "plan": "csv.plan",
	"result": "csv.result", "reason": "csv.reason", "rerate": "csv.rerate", "appeal_by": "csv.appeal_by",
	"published_at": "csv.published_at", "named_staff_no": "csv.named_staff_no", "named_staff_name": "csv.named_staff_name",
	"route": "csv.route", "conduct": "csv.conduct", "referred_at": "csv.referred_at",
	"action": "csv.action", "from_state": "csv.from_state", "to_state": "csv.to_state", "actor_role": "csv.actor_role",
	"actor_staff_no": "csv.actor_staff_no", "actor_citizen": "csv.actor_citizen", "note": "csv.note", "public": "csv.public",
	"at": "csv.at", "id": "csv.id", "level": "csv.level", "level_name": "csv.level_name", "aspects": "csv.aspects",
	"praise": "csv.praise", "comment": "csv.comment", "channel": "csv.channel", "excluded": "csv.excluded",
	"ticket_no": "csv.ticket_no", "staff_no": "csv.staff_no", "staff_name": "csv.staff_name", "period": "csv.period",
	"ratings": "csv.ratings", "level_1": "csv.level_1", "level_2": "csv.level_2", "level_3": "csv.level_3",
	"level_4": "csv.level_4", "level_5": "csv.level_5", "satisfaction_rate": "csv.satisfaction_rate",
	"good_rate": "csv.good_rate", "bad_reviews": "csv.bad_reviews", "meets_target": "csv.meets_target",
	"open_tickets": "csv.open_tickets", "overdue_tickets": "csv.overdue_tickets",
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
	No              string `json:"no"`
	Kind            string `json:"kind"`
	State           string `json:"state"`
	CenterCode      string `json:"center_code"`
	CenterName      string `json:"center_name"`
	WindowCode      string `json:"window_code,omitempty"`
	WindowName      string `json:"window_name,omitempty"`
	Category        string `json:"category"`
	Description     string `json:"description"`
	Citizen         string `json:"citizen"`
	Anonymous       bool   `json:"anonymous"`
	Phone           string `json:"phone,omitempty"`
	CallbackConsent bool   `json:"callback_consent"`
	Owner           string `json:"owner_staff_no,omitempty"`
	Escalated       bool   `json:"escalated"`
	CreatedAt       string `json:"created_at"`
	CallbackDue     string `json:"callback_due"`
	RectifyDue      string `json:"rectify_due"`
	AcceptedAt      string `json:"accepted_at,omitempty"`
	ResolvedAt      string `json:"resolved_at,omitempty"`
	ClosedAt        string `json:"closed_at,omitempty"`
	CloseReason     string `json:"close_reason,omitempty"`
	Plan            string `json:"plan,omitempty"`
	Result          string `json:"result,omitempty"`
	Reason          string `json:"reason,omitempty"`
	Rerate          string `json:"rerate,omitempty"`
	AppealBy        string `json:"appeal_by,omitempty"`
	PublishedAt     string `json:"published_at,omitempty"`
	// NamedStaffNo and NamedStaffName are the staff member the citizen named, if any.
	NamedStaffNo   string `json:"named_staff_no,omitempty"`
	NamedStaffName string `json:"named_staff_name,omitempty"`
	// Route is who handles it: window, lead or supervisors; Conduct marks a conduct case.
	Route      string      `json:"route"`
	Conduct    bool        `json:"conduct"`
	ReferredAt string      `json:"referred_at,omitempty"`
	Events     []EventJSON `json:"events,omitempty"`
	// Attachments are the ticket's photos (with the ticket only).
	Attachments []AttachmentJSON `json:"attachments,omitempty"`

	// t is the ticket, for the CSV's words and times.
	t *models.Ticket
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

	// ev is the event, for the CSV's words and times.
	ev *models.TicketEvent
}

var ticketCSVHeader = []string{"no", "kind", "state", "center_code", "center_name", "window_code", "window_name",
	"category", "description", "citizen", "anonymous", "phone", "callback_consent", "owner_staff_no", "escalated",
	"created_at", "callback_due", "rectify_due", "accepted_at", "resolved_at", "closed_at", "close_reason",
	"plan", "result", "reason", "rerate", "appeal_by", "published_at",
	"named_staff_no", "named_staff_name", "route", "conduct", "referred_at"}

// csv is the ticket's row of the export.
func (t TicketJSON) csv(o csvOut) []string {
	if o.en() || t.t == nil {
		b := strconv.FormatBool
		return []string{t.No, t.Kind, t.State, t.CenterCode, t.CenterName, t.WindowCode, t.WindowName,
			t.Category, t.Description, t.Citizen, b(t.Anonymous), t.Phone, b(t.CallbackConsent), t.Owner, b(t.Escalated),
			t.CreatedAt, t.CallbackDue, t.RectifyDue, t.AcceptedAt, t.ResolvedAt, t.ClosedAt, t.CloseReason,
			t.Plan, t.Result, t.Reason, t.Rerate, t.AppealBy, t.PublishedAt,
			t.NamedStaffNo, t.NamedStaffName, t.Route, b(t.Conduct), t.ReferredAt}
	}
	k := t.t
	return []string{t.No, o.kind(t.Kind), o.state(t.State), t.CenterCode, t.CenterName, t.WindowCode, t.WindowName,
		o.category(t.Category), t.Description, t.Citizen, o.yes(t.Anonymous), t.Phone, o.yes(t.CallbackConsent), t.Owner, o.yes(t.Escalated),
		o.at(&k.CreatedAt), o.at(&k.CallbackDue), o.at(&k.RectifyDue), o.at(k.AcceptedAt), o.at(k.ResolvedAt), o.at(k.ClosedAt), o.closeWhy(t.CloseReason),
		t.Plan, t.Result, t.Reason, o.verdict(t.Rerate), o.actor(t.AppealBy), o.at(k.PublishedAt),
		t.NamedStaffNo, t.NamedStaffName, o.route(t.Route), o.yes(t.Conduct), o.at(k.ReferredAt)}
}

// staffNos remembers staff numbers and names looked up for one answer.
type staffNos struct {
	a    *Admin
	no   map[uint]string
	name map[uint]string
}

func newStaffNos(a *Admin) *staffNos {
	return &staffNos{a: a, no: map[uint]string{}, name: map[uint]string{}}
}

func (s *staffNos) of(ctx context.Context, id *uint) (string, error) {
	no, _, err := s.person(ctx, id)
	return no, err
}

// person returns the staff number and name of the staff record id (nil: none).
func (s *staffNos) person(ctx context.Context, id *uint) (no, name string, err error) {
	if id == nil {
		return "", "", nil
	}
	if no, ok := s.no[*id]; ok {
		return no, s.name[*id], nil
	}
	st, err := s.a.store.StaffByID(ctx, *id)
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		return "", "", err
	}
	if st != nil {
		no, name = st.StaffNo, st.Name
	}
	s.no[*id], s.name[*id] = no, name
	return no, name, nil
}

func (a *Admin) ticketJSON(ctx context.Context, t *models.Ticket, nos *staffNos) (TicketJSON, error) {
	owner, err := nos.of(ctx, t.OwnerStaffID)
	if err != nil {
		return TicketJSON{}, err
	}
	named, namedName, err := nos.person(ctx, t.NamedStaffID)
	if err != nil {
		return TicketJSON{}, err
	}
	out := TicketJSON{
		No: t.No, Kind: t.Kind, State: string(t.State), Category: t.Category, Description: models.MaskPII(t.Description),
		Citizen: a.refs.Of(t), Anonymous: t.Anonymous, CallbackConsent: t.CallbackConsent,
		NamedStaffNo: named, NamedStaffName: namedName, Route: t.HandledBy(), Conduct: t.Conduct, ReferredAt: a.stampPtr(t.ReferredAt), t: t,
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
	nos := newStaffNos(a)
	o := a.csvOut(r)
	serveList(a, w, r, "tickets", o.header(ticketCSVHeader), func(j TicketJSON) []string { return j.csv(o) },
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
	nos := newStaffNos(a)
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
	for i := range evs {
		ev := &evs[i]
		ej := EventJSON{Action: string(ev.Action), FromState: string(ev.FromState), ToState: string(ev.ToState),
			ActorRole: ev.ActorRole, Note: models.MaskPII(ev.Note), Public: ev.Public, At: a.stamp(ev.CreatedAt), ev: ev}
		if ej.ActorNo, err = nos.of(ctx, ev.ActorStaffID); err != nil {
			a.answer(w, err)
			return
		}
		// Staff act from a chat account too; only a citizen's account stands for the actor. The
		// one who filed an anonymous ticket is named by the filing's own pseudonym.
		switch {
		case ev.ActorCitizenID == nil || ev.ActorStaffID != nil:
		case *ev.ActorCitizenID == t.CitizenID:
			ej.Actor = a.refs.Of(t)
		default:
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
		aj := AttachmentJSON{ID: at.ID, Platform: at.Platform, Purpose: at.Purpose, MIMEType: at.MIMEType, Size: at.Size, FileID: at.FileID}
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
	o := a.csvOut(r)
	header := []string{"no", "state", "action", "from_state", "to_state", "actor_role", "actor_staff_no", "actor_citizen", "note", "public", "at"}
	err = writeCSV(w, tj.No+".csv", o.header(header), func(emit func([]string) error) error {
		for _, e := range tj.Events {
			row := []string{tj.No, tj.State, e.Action, e.FromState, e.ToState, e.ActorRole, e.ActorNo, e.Actor, e.Note, strconv.FormatBool(e.Public), e.At}
			if !o.en() {
				row = []string{tj.No, o.state(tj.State), text.StaffEvent(o.lang, e.Action, e.ToState), o.state(e.FromState), o.state(e.ToState),
					o.actor(e.ActorRole), e.ActorNo, e.Actor, e.Note, o.yes(e.Public), o.at(&e.ev.CreatedAt)}
			}
			if err := emit(row); err != nil {
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
	// StaffNo and StaffName are the staff member rated, when the citizen named one.
	StaffNo   string `json:"staff_no,omitempty"`
	StaffName string `json:"staff_name,omitempty"`
	// CaseNo and MatterName are the service case the rating was invited for (一事一评).
	CaseNo     string `json:"case_no,omitempty"`
	MatterName string `json:"matter_name,omitempty"`

	// at is the rating's time, for the CSV.
	at time.Time
}

var ratingCSVHeader = []string{"id", "created_at", "center_code", "window_code", "window_name", "level", "aspects", "praise", "comment", "channel", "excluded", "ticket_no", "citizen",
	"staff_no", "staff_name"}

// ratingCSVHeaderZH is the Chinese export's header: the level in words beside its number.
var ratingCSVHeaderZH = []string{"id", "created_at", "center_code", "window_code", "window_name", "staff_no", "staff_name", "level", "level_name",
	"aspects", "praise", "comment", "channel", "excluded", "ticket_no", "citizen"}

func (a *Admin) ratingJSON(r models.RatingRow) RatingJSON {
	keys := func(s string) []string {
		if out := models.SplitKeys(s); out != nil {
			return out
		}
		return []string{}
	}
	return RatingJSON{ID: r.ID, CreatedAt: a.stamp(r.CreatedAt), CenterCode: r.CenterCode, WindowCode: r.WindowCode,
		WindowName: r.WindowName, Level: r.Level, Aspects: keys(r.Aspects), Praise: keys(r.Praise), Comment: models.MaskPII(r.Comment),
		Channel: r.Channel, Excluded: r.Excluded, TicketNo: r.TicketNo, Citizen: a.refs.Citizen(r.CitizenID),
		StaffNo: r.StaffNo, StaffName: r.StaffName, CaseNo: r.CaseNo, MatterName: r.MatterName, at: r.CreatedAt}
}

func (j RatingJSON) csv(o csvOut) []string {
	id := strconv.FormatUint(uint64(j.ID), 10)
	if o.en() {
		return []string{id, j.CreatedAt, j.CenterCode, j.WindowCode, j.WindowName,
			strconv.Itoa(j.Level), strings.Join(j.Aspects, ","), strings.Join(j.Praise, ","), j.Comment, j.Channel,
			strconv.FormatBool(j.Excluded), j.TicketNo, j.Citizen, j.StaffNo, j.StaffName}
	}
	return []string{id, o.at(&j.at), j.CenterCode, j.WindowCode, j.WindowName, j.StaffNo, j.StaffName,
		strconv.Itoa(j.Level), text.Level(o.lang, j.Level), o.keys(j.Aspects, text.Aspect), o.keys(j.Praise, text.Praise),
		j.Comment, o.channel(j.Channel), o.yes(j.Excluded), j.TicketNo, j.Citizen}
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
	o := a.csvOut(r)
	header := ratingCSVHeader
	if !o.en() {
		header = ratingCSVHeaderZH
	}
	if wantsCSV(r) {
		// Read a batch at a time after the last row read (keyset paging), so that a year's export
		// streams in constant memory and in time that grows with its rows alone.
		err := writeCSV(w, "ratings.csv", o.header(header), func(emit func([]string) error) error {
			f.Limit = csvBatch
			for {
				rows, err := a.store.Ratings(ctx, f)
				if err != nil {
					return err
				}
				for _, row := range rows {
					if err := emit(a.ratingJSON(row).csv(o)); err != nil {
						return err
					}
				}
				if len(rows) < csvBatch {
					return nil
				}
				last := rows[len(rows)-1]
				f.AfterAt, f.AfterID = last.CreatedAt, last.ID
			}
		})
		if err != nil {
			a.logger.Error("api: admin: ratings csv", "err", err)
		}
		return
	}
	serveList(a, w, r, "ratings", o.header(header), func(j RatingJSON) []string { return j.csv(o) },
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
	o := a.csvOut(r)
	row := func(cc, cn, wc, wn string, f StatsFigures) []string {
		rate := func(x float64) string {
			if o.en() {
				return strconv.FormatFloat(x, 'f', 4, 64)
			}
			return strconv.FormatFloat(x*100, 'f', 2, 64) + "%"
		}
		meets := strconv.FormatBool(f.MeetsTarget)
		if !o.en() {
			meets = o.yes(f.MeetsTarget)
		}
		return []string{out.Period, cc, cn, wc, wn, strconv.Itoa(f.Ratings),
			strconv.Itoa(f.ByLevel["1"]), strconv.Itoa(f.ByLevel["2"]), strconv.Itoa(f.ByLevel["3"]),
			strconv.Itoa(f.ByLevel["4"]), strconv.Itoa(f.ByLevel["5"]), rate(f.SatisfactionRate), rate(f.GoodRate),
			strconv.Itoa(f.Bad), meets, strconv.Itoa(f.OpenTickets), strconv.Itoa(f.OverdueTickets)}
	}
	// A center's own row (no window) carries its totals, including complaints about it as a whole.
	err = writeCSV(w, "stats-"+out.Period+".csv", o.header(header), func(emit func([]string) error) error {
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
	// Purpose says whose photo it is: the complaint's (empty), evidence of the fix, or the
	// citizen's with a re-rating of 不满意.
	Purpose  string `json:"purpose,omitempty"`
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
