package handlers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"windowbot/bot"
	"windowbot/flows"
	"windowbot/internal/text"
	"windowbot/models"
)

// DeskState is what the commands keep outside the database: the /bind lock-out and where
// /more continues. flows.State provides it.
type DeskState interface {
	bot.KV
	flows.Counter
}

// DeskOptions configures a Desk. Zero values take the documented defaults.
type DeskOptions struct {
	Store *models.Store
	State DeskState
	// Pseudonyms names citizens to supervisors without revealing them; required.
	Pseudonyms *models.Pseudonyms
	Logger     *slog.Logger
	// Target is the campaign's satisfaction target, a rate in (0, 1]; required, from the
	// configuration (configs.Jobs.Target), like the reports' and the admin API's.
	Target float64
	// MinRatings is the least number of ratings a window or person needs to be ranked or made
	// service star, and the weight of the prior in the adjusted score (default 20).
	MinRatings int
	// PageSize is how many rows a list shows at once (default 10).
	PageSize int
	// Invitations draws the QR code of /invite; nil answers that none can be made.
	Invitations Invitations
	// CaseExpiryDays is how long an invitation of /invite stays valid (default
	// models.DefaultCaseExpiryDays).
	CaseExpiryDays int
}

// Limits of what staff and supervisors type.
const (
	bindFailLimit    = 5
	bindLockout      = time.Hour
	moreTTL          = 30 * time.Minute
	listFetchLimit   = 500
	maxRank          = 50
	callbackDataSize = 64 // Telegram's limit on a button's payload
)

// SetInvitations sets what draws /invite's QR codes, once the channels that make their links
// exist, and how long those invitations stay valid. Call it before the desk serves.
func (d *Desk) SetInvitations(inv Invitations, expiryDays int) {
	d.o.Invitations, d.o.CaseExpiryDays = inv, expiryDays
}

// Desk runs the commands of staff and supervisors in chat: binding, their tickets, statistics
// and supervision. Every command checks the account's role and scope first.
type Desk struct {
	o DeskOptions
}

// NewDesk returns the staff and supervisor commands. It panics without Pseudonyms or without a
// Target in (0, 1].
func NewDesk(o DeskOptions) *Desk {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MinRatings <= 0 {
		o.MinRatings = 20
	}
	if o.PageSize <= 0 {
		o.PageSize = 10
	}
	if o.Pseudonyms == nil {
		panic("handlers: NewDesk needs Pseudonyms")
	}
	if o.Target <= 0 || o.Target > 1 {
		panic("handlers: NewDesk needs a Target in (0, 1]")
	}
	return &Desk{o: o}
}

// account is who a chat account acts as in this turn.
type account struct {
	actor models.Actor
	// staff is the bound staff record, nil for a citizen.
	staff *models.Staff
}

func (a account) role() string { return a.actor.Role }

// supervises reports whether the account is a supervisor's or an administrator's.
func (a account) supervises() bool {
	return a.actor.Role == models.RoleSupervisor || a.actor.Role == models.RoleAdmin
}

// account loads the role of the turn's chat account. A binding to a staff record that is gone
// or has no usable role makes the account a citizen again.
func (d *Desk) account(ctx context.Context, c *models.Citizen) (account, error) {
	if c.StaffID == nil {
		return account{actor: models.ActorFor(c.ID, nil)}, nil
	}
	st, err := d.o.Store.StaffByID(ctx, *c.StaffID)
	if errors.Is(err, models.ErrNotFound) {
		return account{actor: models.ActorFor(c.ID, nil)}, nil
	}
	if err != nil {
		return account{}, fmt.Errorf("handlers: account: %w", err)
	}
	a := account{actor: models.ActorFor(c.ID, st)}
	if a.role() != models.RoleCitizen {
		a.staff = st
	}
	return a, nil
}

// call is one command being run for an account.
type call struct {
	t    *flows.Turn
	acct account
	name string
	args string
	// page is the page of a list asked for (1 = first).
	page int
	// pressed: the command came from a button.
	pressed bool
}

func (c *call) lang() string                  { return c.t.Lang }
func (c *call) T(k string, kv ...any) string  { return c.t.T(k, kv...) }
func (c *call) reply(text string) []bot.Reply { return []bot.Reply{{Text: text}} }

// line is the command as typed, which a page button or /more runs again.
func (c *call) line() string {
	if c.args == "" {
		return "/" + c.name
	}
	return "/" + c.name + " " + c.args
}

// Role sets of the commands.
var (
	anyRole   = []string{models.RoleCitizen, models.RoleStaff, models.RoleLead, models.RoleSupervisor, models.RoleAdmin, models.RoleInspector}
	boundRole = []string{models.RoleStaff, models.RoleLead, models.RoleSupervisor, models.RoleAdmin}
	// inspRole: citizen inspectors, and supervisors who visit with the same checklist.
	inspRole  = []string{models.RoleInspector, models.RoleSupervisor, models.RoleAdmin}
	staffRole = []string{models.RoleStaff, models.RoleLead}
	supRole   = []string{models.RoleSupervisor, models.RoleAdmin}
)

// deskCommand is one command of the desk: who may use it and what it does.
type deskCommand struct {
	roles []string
	run   func(d *Desk, ctx context.Context, c *call) ([]bot.Reply, error)
}

// deskCommands maps a command name to its roles and handler. /appeal is the citizen's flow for
// everybody but staff, and /more pages through the last list: the router handles both.
var deskCommands = map[string]deskCommand{
	"bind":   {anyRole, (*Desk).bind},
	"unbind": {append(slices.Clone(boundRole), models.RoleInspector), (*Desk).unbind},
	"more":   {boundRole, nil},

	"todo":      {boundRole, (*Desk).todo},
	"ticket":    {boundRole, (*Desk).ticket},
	"accept":    {boundRole, (*Desk).accept},
	"plan":      {boundRole, (*Desk).plan},
	"done":      {boundRole, (*Desk).done},
	"mystats":   {staffRole, (*Desk).mystats},
	"invite":    {staffRole, (*Desk).invite},
	"sendguide": {staffRole, (*Desk).sendguide},

	"approve":  {supRole, (*Desk).approve},
	"sendback": {supRole, (*Desk).sendback},
	"refer":    {supRole, (*Desk).refer},

	"stats":    {supRole, (*Desk).stats},
	"rank":     {supRole, (*Desk).rank},
	"overdue":  {supRole, (*Desk).overdue},
	"assign":   {supRole, (*Desk).assign},
	"verify":   {supRole, (*Desk).verify},
	"review":   {supRole, (*Desk).review},
	"escalate": {supRole, (*Desk).escalate},
	"inspect":  {supRole, (*Desk).inspect},
	"card":     {supRole, (*Desk).card},
	"walkin":   {supRole, (*Desk).walkin},
	"flags":    {supRole, (*Desk).flags},
	"visit":    {inspRole, (*Desk).visit},
	"visits":   {inspRole, (*Desk).visits},
	"publish":  {supRole, (*Desk).publish},
	"star":     {supRole, (*Desk).star},
	"ban":      {supRole, (*Desk).ban},
	"unban":    {supRole, (*Desk).unban},
}

// deskKeywords are words staff type on WeChat instead of a command; like the citizens' keywords
// only a message that is exactly the word counts, and only for a role that has the command.
var deskKeywords = map[string]string{
	"待办": "todo", "我的待办": "todo",
	"更多": "more", "下一页": "more",
	"我的统计": "mystats",
	"邀评":   "invite", "亮码评价": "invite",
	"发送指南": "sendguide",
	"统计":   "stats", "逾期": "overdue", "排名": "rank", "服务之星": "star",
	"解绑": "unbind", "解除绑定": "unbind",
	"暗访": "visit", "我的暗访": "visits",
	"刷评": "flags", "可疑评价": "flags",
}

// deskWords are Chinese words staff and supervisors may type instead of a command's name, followed
// by its arguments ("受理 T20261123-0001"), as the buttons are labelled; only for a role that has
// the command.
var deskWords = map[string]string{
	"查看": "ticket", "查看工单": "ticket", "受理": "accept", "整改方案": "plan", "提交整改方案": "plan",
	"整改结果": "done", "提交整改结果": "done", "办结": "done", "通过": "approve", "审核通过": "approve",
	"退回": "sendback", "移送": "refer", "移送纪检监察": "refer", "核实": "verify", "复核": "review",
	"指派": "assign", "督办": "escalate", "升级督办": "escalate", "公示": "publish", "申诉": "appeal",
}

// allowed reports whether role may use the desk command name.
func allowed(name, role string) bool {
	c, ok := deskCommands[name]
	return ok && slices.Contains(c.roles, role)
}

// help is the role's part of /help.
func (d *Desk) help(lang, role string) string {
	switch role {
	case models.RoleStaff:
		return text.T(lang, "help_staff")
	case models.RoleLead:
		return text.T(lang, "help_lead")
	case models.RoleSupervisor, models.RoleAdmin:
		return text.T(lang, "help_supervisor")
	case models.RoleInspector:
		return text.T(lang, "help_inspector")
	}
	return ""
}

// banned reports whether the account may no longer rate or complain.
func (d *Desk) banned(ctx context.Context, citizenID uint) (bool, error) {
	b, err := d.o.Store.Banned(ctx, citizenID)
	if err != nil {
		return false, fmt.Errorf("handlers: %w", err)
	}
	return b, nil
}

// Binding.

// bindSubjects are what wrong binding codes are counted against, each locked out of /bind on
// its own after bindFailLimit failures: the chat account, the code tried (guessing one known
// code from many accounts), and the client's address where the channel knows it (a web visitor
// gets a new account with each new cookie, but not a new address).
func bindSubjects(c *call, code string) []string {
	sum := sha256.Sum256([]byte(code))
	subjects := []string{strconv.FormatUint(uint64(c.t.Citizen.ID), 10), "code:" + hex.EncodeToString(sum[:12])}
	if addr := c.t.In.ClientAddr; addr != "" {
		subjects = append(subjects, "addr:"+addr)
	}
	return subjects
}

func bindFailKey(subject string) string { return "bindfail:" + subject }
func bindLockKey(subject string) string { return "bindlock:" + subject }

func (d *Desk) bind(ctx context.Context, c *call) ([]bot.Reply, error) {
	if c.acct.staff != nil {
		return c.reply(c.T("bind_already", "Role", roleLabel(c.lang(), c.acct.role()), "Name", c.acct.staff.Name)), nil
	}
	code := models.NormInviteCode(c.args)
	if code == "" {
		return c.reply(c.T("bind_usage")), nil
	}
	id := c.t.Citizen.ID
	subjects := bindSubjects(c, code)
	for _, s := range subjects {
		if _, err := d.o.State.Get(ctx, bindLockKey(s)); err == nil {
			return c.reply(c.T("bind_locked")), nil
		} else if !errors.Is(err, bot.ErrNotFound) {
			return nil, fmt.Errorf("handlers: bind: %w", err)
		}
	}
	st, err := d.o.Store.RedeemInvite(ctx, code, id, c.t.Now)
	switch {
	case errors.Is(err, models.ErrInvalidCode):
		locked := false
		most := int64(0)
		for _, s := range subjects {
			n, err := d.o.State.Incr(ctx, bindFailKey(s), bindLockout)
			if err != nil {
				return nil, fmt.Errorf("handlers: bind: %w", err)
			}
			most = max(most, n)
			if n >= bindFailLimit {
				if err := d.o.State.Set(ctx, bindLockKey(s), []byte("1"), bindLockout); err != nil {
					return nil, fmt.Errorf("handlers: bind: %w", err)
				}
				locked = true
			}
		}
		d.o.Logger.InfoContext(ctx, "binding code refused", "platform", c.t.In.Platform, "citizen_id", id, "failures", most)
		if locked {
			return c.reply(c.T("bind_invalid") + "\n" + c.T("bind_locked")), nil
		}
		return c.reply(c.T("bind_invalid")), nil
	case errors.Is(err, models.ErrAlreadyBound):
		return c.reply(c.T("bind_usage")), nil
	case err != nil:
		return nil, fmt.Errorf("handlers: bind: %w", err)
	}
	d.o.Logger.InfoContext(ctx, "chat account bound to staff", "platform", c.t.In.Platform, "citizen_id", id,
		"staff_no", st.StaffNo, "role", st.Role)
	return c.reply(c.T("bind_ok", "Role", roleLabel(c.lang(), st.Role), "Name", st.Name, "Place", d.staffPlace(c.lang(), st))), nil
}

func (d *Desk) unbind(ctx context.Context, c *call) ([]bot.Reply, error) {
	err := d.o.Store.Unbind(ctx, c.t.Citizen.ID, c.t.Now)
	if err != nil && !errors.Is(err, models.ErrNotBound) {
		return nil, fmt.Errorf("handlers: unbind: %w", err)
	}
	d.o.Logger.InfoContext(ctx, "chat account unbound", "platform", c.t.In.Platform, "citizen_id", c.t.Citizen.ID)
	return c.reply(c.T("unbind_ok")), nil
}

func roleLabel(lang, role string) string { return text.T(lang, "role_"+role) }

// staffPlace names where a staff record works: the window, the supervised center, or all.
func (d *Desk) staffPlace(lang string, st *models.Staff) string {
	switch {
	case (st.Role == models.RoleStaff || st.Role == models.RoleLead) && st.Window != nil:
		return st.Window.Code + " " + st.Window.Name
	case st.Role == models.RoleSupervisor && st.Center != nil:
		return st.Center.Name
	case st.Role == models.RoleSupervisor && st.Window != nil:
		return st.Window.Code
	}
	return text.T(lang, "all_centers")
}

// Lists.

// listItem is one row of a list, with the button that opens it.
type listItem struct {
	line   string
	button *bot.Button
}

func moreKey(t *flows.Turn) string { return "more:" + string(t.In.Platform) + ":" + t.In.ChatID }

// list shows one page of items: a button per row and a "next" button on Telegram and the web,
// and /more, remembered for this chat, on WeChat where buttons are typed.
func (d *Desk) list(ctx context.Context, c *call, head string, items []listItem, foot string) ([]bot.Reply, error) {
	size := d.o.PageSize
	pages := max(1, (len(items)+size-1)/size)
	p := min(max(c.page, 1), pages)
	var b strings.Builder
	b.WriteString(head)
	if pages > 1 {
		b.WriteString(c.T("page", "Page", p, "Pages", pages))
	}
	var btns []bot.Button
	for _, it := range items[(p-1)*size : min(p*size, len(items))] {
		b.WriteString("\n" + it.line)
		if it.button != nil {
			btns = append(btns, *it.button)
		}
	}
	if foot != "" {
		b.WriteString("\n\n" + foot)
	}
	next := ""
	if p < pages {
		next = strconv.Itoa(p+1) + ":" + c.line()
		b.WriteString("\n" + c.T("more_hint"))
		// WeChat shows no buttons, and a numbered "next" there would promise a choice nobody
		// remembers: /more it is.
		if payload := "page:" + next; len(payload) <= callbackDataSize && c.t.In.Platform != bot.WeChat {
			btns = append(btns, bot.Button{Label: c.T("btn_next"), Payload: payload})
		}
	}
	if err := d.o.State.Set(ctx, moreKey(c.t), []byte(next), moreTTL); err != nil {
		return nil, fmt.Errorf("handlers: %s: %w", c.name, err)
	}
	// The rows' buttons are commands: kept, so that on WeChat a number opens its row.
	return []bot.Reply{{Text: b.String(), Buttons: bot.Column(btns...), Pick: next == "" && len(btns) > 0}}, nil
}

// more returns the page and command line that /more continues with; ok is false when there is
// nothing more.
func (d *Desk) more(ctx context.Context, t *flows.Turn) (page int, line string, ok bool, err error) {
	raw, err := d.o.State.Get(ctx, moreKey(t))
	if errors.Is(err, bot.ErrNotFound) {
		return 0, "", false, nil
	}
	if err != nil {
		return 0, "", false, fmt.Errorf("handlers: more: %w", err)
	}
	n, line, found := strings.Cut(string(raw), ":")
	page, convErr := strconv.Atoi(n)
	if !found || convErr != nil || page < 2 {
		return 0, "", false, nil
	}
	return page, line, true, nil
}

// Tickets.

// visible returns the ticket numbered no if the account's scope covers it; nil otherwise, which
// the commands answer exactly like a number that does not exist. A bad review that names the
// account (its person, never its handler) is returned too, marked read only: the person named
// may read it and appeal, and nothing else.
func (d *Desk) visible(ctx context.Context, c *call, no string) (tk *models.Ticket, readOnly bool, err error) {
	no = models.NormTicketNo(no)
	if !models.TicketNoPattern.MatchString(no) {
		return nil, false, nil
	}
	tk, err = d.o.Store.TicketByNo(ctx, no)
	if errors.Is(err, models.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("handlers: %s: %w", c.name, err)
	}
	a := c.acct.actor
	switch {
	case a.Covers(tk):
		return tk, false, nil
	case a.Named(tk) && tk.Kind == models.KindBadReview && (a.Role == models.RoleStaff || a.Role == models.RoleLead):
		return tk, true, nil
	}
	return nil, false, nil
}

func (c *call) unknownTicket(no string) []bot.Reply {
	return c.reply(c.T("ticket_unknown_staff", "No", models.Truncate(models.NormTicketNo(no), 24)))
}

// urgency orders tickets by the deadline that applies now, the earliest first; tickets without
// one (under review) come last.
func urgency(a, b models.Ticket) int {
	da, db := a.Due(), b.Due()
	switch {
	case da.IsZero() && !db.IsZero():
		return 1
	case !da.IsZero() && db.IsZero():
		return -1
	}
	if c := da.Compare(db); c != 0 {
		return c
	}
	return a.CreatedAt.Compare(b.CreatedAt)
}

func (d *Desk) todo(ctx context.Context, c *call) ([]bot.Reply, error) {
	f := models.TicketFilter{States: models.OpenStates(), Limit: listFetchLimit}
	head := "todo_head"
	if r := c.acct.role(); r == models.RoleStaff || r == models.RoleLead {
		actor := c.acct.actor
		f.Handler = &actor
	} else {
		f.CenterID, f.SupervisorOwned, head = c.acct.actor.CenterID, true, "todo_head_sup"
	}
	ts, err := d.o.Store.Tickets(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("handlers: todo: %w", err)
	}
	if len(ts) == 0 {
		return c.reply(c.T("todo_none")), nil
	}
	slices.SortStableFunc(ts, urgency)
	rules := d.o.Store.TicketRules()
	items := make([]listItem, len(ts))
	for i, tk := range ts {
		items[i] = listItem{line: d.ticketLine(c, i+1, &tk, rules), button: &bot.Button{Label: tk.No, Payload: "cmd:/ticket " + tk.No}}
	}
	return d.list(ctx, c, c.T(head, "Count", len(ts)), items, c.T("list_hint"))
}

// ticketLine is a ticket in a list: number, state, place, deadline, lateness.
func (d *Desk) ticketLine(c *call, n int, tk *models.Ticket, rules models.TicketRules) string {
	loc := rules.Location()
	line := fmt.Sprintf("%d. %s · %s · %s", n, tk.No, text.State(c.lang(), string(tk.State)), models.Truncate(flows.TicketPlace(c.lang(), tk), 30))
	if due := tk.Due(); !due.IsZero() {
		line += c.T("track_due", "Due", flows.DayLabel(c.lang(), due, loc))
		if late := lateDays(rules, due, c.t.Now); late > 0 {
			line += c.T("list_late", "Days", late)
		}
	}
	if tk.Escalated && !c.acct.supervises() {
		line += c.T("list_escalated")
	}
	return line
}

// lateDays counts the working days a deadline is past, at least 1 once it has passed.
func lateDays(rules models.TicketRules, due, now time.Time) int {
	if !now.After(due) {
		return 0
	}
	if rules.Calendar == nil {
		return max(1, int(now.Sub(due).Hours()/24))
	}
	return max(1, rules.Calendar.WorkdaysLate(due, now))
}

func (d *Desk) ticket(ctx context.Context, c *call) ([]bot.Reply, error) {
	no, _, _ := strings.Cut(c.args, " ")
	if no == "" {
		return c.reply(c.T("usage_ticket")), nil
	}
	tk, readOnly, err := d.visible(ctx, c, no)
	if err != nil || tk == nil {
		return c.unknownTicket(no), err
	}
	if readOnly {
		return d.namedView(c, tk), nil
	}
	return d.ticketView(ctx, c, tk)
}

// namedView is a bad review as the person it names reads it: where, what, its state, the plan
// and the result; never who rated, nor the handlers' notes; and how to appeal.
func (d *Desk) namedView(c *call, tk *models.Ticket) []bot.Reply {
	lang, loc := c.lang(), d.o.Store.TicketRules().Location()
	var b strings.Builder
	b.WriteString(c.T("t_head", "No", tk.No, "Kind", c.T("kind_"+tk.Kind)))
	b.WriteString(c.T("track_place", "Place", flows.TicketPlace(lang, tk)))
	b.WriteString(c.T("track_category", "Category", text.Category(lang, tk.Category)))
	b.WriteString(c.T("track_state", "State", text.State(lang, string(tk.State))))
	b.WriteString(c.T("t_created", "Time", flows.StampLabel(lang, tk.CreatedAt, loc)))
	if tk.Description != "" {
		b.WriteString(c.T("t_desc", "Description", models.Truncate(models.MaskPII(tk.Description), 500)))
	}
	if tk.Plan != "" {
		b.WriteString(c.T("t_plan", "Plan", models.Truncate(models.MaskPII(tk.Plan), 300)))
	}
	if tk.Result != "" && tk.State != models.StatePendingReview {
		b.WriteString(c.T("t_result", "Result", models.Truncate(models.MaskPII(tk.Result), 300)))
	}
	b.WriteString(c.T("t_readonly"))
	if tk.State.Open() && tk.State != models.StateAppealed && !tk.StaffAppealed {
		b.WriteString("\n" + c.T("hint_appeal", "No", tk.No))
	}
	return c.reply(b.String())
}

// ticketView shows one ticket with its timeline, in the words of staff and supervisors. Staff
// never see who filed it; supervisors see a pseudonym (an anonymous filing's own, never the
// citizen's), the masked phone, and the full number only when the citizen agreed to a
// call-back. Supervisors and leads see whom the citizen named. The next actions are buttons.
func (d *Desk) ticketView(ctx context.Context, c *call, tk *models.Ticket) ([]bot.Reply, error) {
	lang, rules := c.lang(), d.o.Store.TicketRules()
	loc := rules.Location()
	sup := c.acct.supervises()
	evs, err := d.o.Store.TicketEvents(ctx, tk.ID, !sup && c.acct.role() != models.RoleLead)
	if err != nil {
		return nil, fmt.Errorf("handlers: ticket: %w", err)
	}
	photos, err := d.o.Store.TicketAttachments(ctx, tk.ID)
	if err != nil {
		return nil, fmt.Errorf("handlers: ticket: %w", err)
	}
	var b strings.Builder
	b.WriteString(c.T("t_head", "No", tk.No, "Kind", c.T("kind_"+tk.Kind)))
	b.WriteString(c.T("track_place", "Place", flows.TicketPlace(lang, tk)))
	b.WriteString(c.T("track_category", "Category", text.Category(lang, tk.Category)))
	if tk.MatterID != nil {
		// A complaint about materials not told at once names its matter: check its list.
		m, err := d.o.Store.MatterByID(ctx, *tk.MatterID)
		if err != nil {
			return nil, fmt.Errorf("handlers: ticket: %w", err)
		}
		b.WriteString(c.T("t_matter", "Matter", m.Name, "Code", m.Code))
	}
	state := text.State(lang, string(tk.State))
	if tk.Escalated && tk.State.Open() {
		state += c.T("track_escalated")
	}
	b.WriteString(c.T("track_state", "State", state))
	owner, err := d.owner(ctx, lang, tk)
	if err != nil {
		return nil, err
	}
	b.WriteString(c.T("t_owner", "Owner", owner))
	if tk.NamedStaffID != nil && (sup || c.acct.role() == models.RoleLead) {
		st, err := d.o.Store.StaffByID(ctx, *tk.NamedStaffID)
		if err != nil && !errors.Is(err, models.ErrNotFound) {
			return nil, fmt.Errorf("handlers: ticket: %w", err)
		}
		if st != nil {
			b.WriteString(c.T("t_named", "Name", st.Name, "StaffNo", st.StaffNo))
		}
	}
	if tk.Conduct {
		b.WriteString(c.T("t_conduct"))
	}
	b.WriteString(c.T("t_created", "Time", flows.StampLabel(lang, tk.CreatedAt, loc)))
	if due := tk.Due(); !due.IsZero() {
		b.WriteString(c.T("track_deadline", "Due", flows.DayLabel(lang, due, loc)))
		if late := lateDays(rules, due, c.t.Now); late > 0 {
			b.WriteString(c.T("list_late", "Days", late))
		}
	}
	if tk.Description != "" {
		b.WriteString(c.T("t_desc", "Description", models.Truncate(models.MaskPII(tk.Description), 500)))
	}
	counts := map[string]int{}
	for _, p := range photos {
		counts[p.Purpose]++
	}
	if n := counts[models.PhotoComplaint]; n > 0 {
		b.WriteString(c.T("t_photos", "Count", n))
	}
	ref := d.ref(tk)
	if sup {
		ident := c.T("t_realname")
		if tk.Anonymous || tk.Phone == "" {
			ident = c.T("t_anonymous")
		}
		b.WriteString(c.T("t_citizen", "Citizen", ref, "Identity", ident))
		switch {
		case tk.Phone != "" && tk.CallbackConsent:
			b.WriteString(c.T("t_phone", "Phone", tk.Phone))
		case tk.Phone != "":
			b.WriteString(c.T("t_phone_masked", "Phone", models.MaskPhone(tk.Phone)))
		}
		n, err := d.o.Store.CountFollowers(ctx, tk.ID)
		if err != nil {
			return nil, fmt.Errorf("handlers: ticket: %w", err)
		}
		if n > 0 {
			b.WriteString(c.T("t_followers", "Count", n))
		}
	}
	if tk.State == models.StateRejected && tk.Reason != "" {
		b.WriteString(c.T("track_reason", "Reason", models.MaskPII(tk.Reason)))
	}
	if tk.Plan != "" {
		b.WriteString(c.T("t_plan", "Plan", models.Truncate(models.MaskPII(tk.Plan), 300)))
	}
	if tk.Result != "" {
		b.WriteString(c.T("t_result", "Result", models.Truncate(models.MaskPII(tk.Result), 300)))
	}
	if n := counts[models.PhotoEvidence]; n > 0 {
		b.WriteString(c.T("t_evidence", "Count", n))
	}
	if tk.AppealBy != "" {
		b.WriteString(c.T("t_appeal", "By", c.T("actor_"+tk.AppealBy), "Reason", models.Truncate(models.MaskPII(tk.AppealReason), 300)))
	}
	if tk.Rerate != "" {
		b.WriteString(c.T("t_rerate", "Verdict", c.T("rerate_"+tk.Rerate)))
	}
	if n := counts[models.PhotoRerate]; n > 0 {
		b.WriteString(c.T("t_rerate_photos", "Count", n))
	}
	if tk.ReferredAt != nil {
		b.WriteString(c.T("t_referred", "Time", flows.StampLabel(lang, *tk.ReferredAt, loc)))
	}
	if tk.PublishedAt != nil {
		b.WriteString(c.T("t_published", "Time", flows.StampLabel(lang, *tk.PublishedAt, loc)))
	}
	if len(evs) > 0 {
		b.WriteString(c.T("track_timeline"))
		for _, ev := range evs {
			fmt.Fprintf(&b, "\n%s %s", flows.StampLabel(lang, ev.CreatedAt, loc), flows.StaffEventLabel(lang, &ev))
			b.WriteString(c.T("t_event_actor", "Actor", c.T("actor_"+ev.ActorRole)))
			if note := eventNote(lang, &ev); note != "" && ev.Action != models.ActSubmit && (sup || ev.Public || c.acct.role() == models.RoleLead) {
				b.WriteString(c.T("track_note", "Note", models.Truncate(note, 200)))
			}
		}
	}
	hints, buttons := d.nextSteps(c, tk, ref)
	if len(hints) > 0 {
		b.WriteString("\n\n" + strings.Join(hints, "\n"))
	}
	return []bot.Reply{{Text: b.String(), Buttons: buttons, Pick: len(buttons) > 0}}, nil
}

// ref is how supervisors, exports and reports name who filed a ticket: the citizen's pseudonym,
// or for an anonymous filing a pseudonym of its own, which nothing joins to the citizen's.
func (d *Desk) ref(tk *models.Ticket) string { return d.o.Pseudonyms.Of(tk) }

// eventNote is an event's note with the outcome of a re-rating or a review in words.
func eventNote(lang string, ev *models.TicketEvent) string {
	switch ev.Action {
	case models.ActRerate:
		outcome, rest, _ := strings.Cut(ev.Note, ": ")
		return joinNote(text.T(lang, "rerate_"+outcome), models.MaskPII(rest))
	case models.ActReview:
		outcome, rest, _ := strings.Cut(ev.Note, ": ")
		key := "btn_dismiss"
		if outcome == models.ReviewUphold {
			key = "btn_uphold"
		}
		return joinNote(text.T(lang, key), models.MaskPII(rest))
	}
	return models.MaskPII(ev.Note)
}

func joinNote(a, b string) string {
	if b == "" {
		return a
	}
	return a + "：" + b
}

// pushButtons words the buttons of models.NextActions in lang.
func pushButtons(lang string, rows [][]models.PushButton) [][]bot.Button {
	var out [][]bot.Button
	for _, row := range rows {
		btns := make([]bot.Button, 0, len(row))
		for _, b := range row {
			btns = append(btns, bot.Button{Label: text.T(lang, b.Key), Payload: b.Payload})
		}
		out = append(out, btns)
	}
	return out
}

// nextSteps are the actions the account can take on the ticket now: buttons for each (a
// command that needs words asks for them when pressed), and hints with the commands to type.
func (d *Desk) nextSteps(c *call, tk *models.Ticket, ref string) (hints []string, buttons [][]bot.Button) {
	working := tk.State.Open() && tk.State != models.StateAppealed && tk.State != models.StatePendingReview
	role := models.RoleStaff
	if c.acct.supervises() {
		role = models.RoleSupervisor
	}
	rows := models.NextActions(tk, role)
	// The view is open already: its own "view" button is left out.
	buttons = pushButtons(c.lang(), rows[1:])
	min := d.o.Store.TicketRules().MinResult()
	switch tk.State {
	case models.StateSubmitted:
		if role == models.RoleSupervisor {
			hints = append(hints, c.T("hint_verify", "No", tk.No))
		} else {
			hints = append(hints, c.T("hint_accept", "No", tk.No))
		}
	case models.StateAccepted, models.StateReopened:
		hints = append(hints, c.T("hint_plan", "No", tk.No))
	case models.StateRectifying:
		hints = append(hints, c.T("hint_done", "No", tk.No, "Min", min))
	case models.StatePendingReview:
		if role == models.RoleSupervisor {
			hints = append(hints, c.T("hint_approve", "No", tk.No))
		} else {
			hints = append(hints, c.T("hint_pending"))
		}
	case models.StateAppealed:
		if role == models.RoleSupervisor {
			hints = append(hints, c.T("hint_review", "No", tk.No))
		}
	}
	if role == models.RoleStaff {
		if working && tk.Kind == models.KindBadReview && !tk.StaffAppealed {
			hints = append(hints, c.T("hint_appeal", "No", tk.No))
		}
		return hints, buttons
	}
	if tk.Conduct && tk.State.Open() && tk.State != models.StateAppealed {
		hints = append(hints, c.T("hint_refer", "No", tk.No))
	}
	var more []bot.Button
	if working && !tk.Escalated {
		more = append(more, bot.Button{Label: c.T("btn_escalate"), Payload: "cmd:/escalate " + tk.No})
	}
	if (tk.State == models.StateResolved || tk.State == models.StateClosed) && tk.PublishedAt == nil && tk.Plan != "" && tk.Result != "" {
		more = append(more, bot.Button{Label: c.T("btn_publish"), Payload: "cmd:/publish " + tk.No})
	}
	if len(more) > 0 {
		buttons = append(buttons, more)
	}
	hints = append(hints, c.T("hint_ban", "Citizen", ref))
	return hints, buttons
}

// owner says who handles a ticket: the assigned person, the supervisors, the window's lead, or
// the window.
func (d *Desk) owner(ctx context.Context, lang string, tk *models.Ticket) (string, error) {
	switch {
	case tk.OwnerStaffID != nil:
		st, err := d.o.Store.StaffByID(ctx, *tk.OwnerStaffID)
		if errors.Is(err, models.ErrNotFound) {
			break
		}
		if err != nil {
			return "", fmt.Errorf("handlers: owner: %w", err)
		}
		if tk.Escalated {
			return st.Name + " " + st.StaffNo + " · " + text.T(lang, "owner_supervisor"), nil
		}
		return st.Name + " " + st.StaffNo, nil
	case tk.Escalated || tk.State == models.StateAppealed || tk.State == models.StatePendingReview ||
		(tk.WindowID != nil && tk.HandledBy() == models.RouteSupervisors):
		return text.T(lang, "owner_supervisor"), nil
	}
	switch {
	case tk.Window != nil && tk.HandledBy() == models.RouteLead:
		return tk.Window.Code + " " + text.T(lang, "owner_lead"), nil
	case tk.Window != nil:
		return text.T(lang, "owner_window", "Code", tk.Window.Code), nil
	}
	return text.T(lang, "owner_center"), nil
}

// Transitions.

// act applies a change to a ticket the account can see and answers with what happened, or with
// the reason the change was refused. The person a ticket names is answered, whatever they try
// but an appeal, exactly as for a ticket that does not exist.
func (d *Desk) act(ctx context.Context, c *call, no string, ch models.Change) ([]bot.Reply, error) {
	return d.actSaying(ctx, c, no, ch, nil)
}

// actSaying is act answering with ok's sentence (nil: flows.DeskDone's).
func (d *Desk) actSaying(ctx context.Context, c *call, no string, ch models.Change, ok func(tk *models.Ticket) string) ([]bot.Reply, error) {
	tk, _, err := d.visible(ctx, c, no)
	if err != nil || tk == nil {
		return c.unknownTicket(no), err
	}
	ch.Actor, ch.At = c.acct.actor, c.t.Now
	after, _, err := d.o.Store.Transition(ctx, tk.No, ch)
	var te *models.TransitionError
	switch {
	case errors.As(err, &te):
		return c.reply(flows.DeskRefusal(c.lang(), tk, ch, te, d.o.Store.TicketRules())), nil
	case errors.Is(err, models.ErrNotFound):
		return c.unknownTicket(no), nil
	case err != nil:
		return nil, fmt.Errorf("handlers: %s: %w", c.name, err)
	}
	d.o.Logger.InfoContext(ctx, "ticket changed from chat", "ticket", after.No, "action", ch.Action,
		"role", c.acct.role(), "staff_id", c.acct.actor.StaffID)
	if ok != nil {
		return c.reply(ok(after)), nil
	}
	return c.reply(flows.DeskDone(c.lang(), after, ch.Action, len(ch.Photos), d.loc())), nil
}

// ask starts the conversation that asks for the words of an action (a plan, a result with its
// photos, a reason) on a ticket the account can see, when the action is possible now; otherwise
// it answers as act would.
func (d *Desk) ask(ctx context.Context, c *call, no string, action models.Action) ([]bot.Reply, error) {
	tk, _, err := d.visible(ctx, c, no)
	if err != nil || tk == nil {
		return c.unknownTicket(no), err
	}
	rules := d.o.Store.TicketRules()
	// A trial on a copy: whether the action is open to the account in the ticket's state.
	trial := *tk
	ch := models.Change{Action: action, Actor: c.acct.actor, Note: strings.Repeat("…", max(rules.MinResult(), 1)), At: c.t.Now}
	if _, err := trial.Apply(ch, rules); err != nil {
		var te *models.TransitionError
		if errors.As(err, &te) && !errors.Is(te, models.ErrBadInput) {
			return c.reply(flows.DeskRefusal(c.lang(), tk, ch, te, rules)), nil
		}
	}
	return c.t.Start(ctx, flows.DeskNoteFlowName, string(action)+" "+tk.No)
}

// noAndText splits "NUMBER text…".
func noAndText(args string) (no, text string) {
	no, text, _ = strings.Cut(strings.TrimSpace(args), " ")
	return no, strings.TrimSpace(text)
}

// tooLong answers text over limit characters, or nil.
func (c *call) tooLong(text string, limit int) []bot.Reply {
	if n := utf8.RuneCountInString(text); n > limit {
		return c.reply(c.T("err_too_long", "Len", n, "Max", limit))
	}
	return nil
}

func (d *Desk) accept(ctx context.Context, c *call) ([]bot.Reply, error) {
	no, _ := noAndText(c.args)
	if no == "" {
		return c.reply(c.T("usage_accept")), nil
	}
	return d.act(ctx, c, no, models.Change{Action: models.ActAccept})
}

func (d *Desk) plan(ctx context.Context, c *call) ([]bot.Reply, error) {
	return d.actWithText(ctx, c, models.ActPlan, "usage_plan", models.MaxNoteRunes)
}

// done records a rectification's result for the supervisors' review: "/done NUMBER RESULT" at
// once, or "/done NUMBER" (the button) step by step with up to three photos.
func (d *Desk) done(ctx context.Context, c *call) ([]bot.Reply, error) {
	return d.actWithText(ctx, c, models.ActDone, "usage_done", models.MaxNoteRunes)
}

func (d *Desk) approve(ctx context.Context, c *call) ([]bot.Reply, error) {
	no, _ := noAndText(c.args)
	if no == "" {
		return c.reply(c.T("usage_approve")), nil
	}
	return d.act(ctx, c, no, models.Change{Action: models.ActApprove})
}

func (d *Desk) sendback(ctx context.Context, c *call) ([]bot.Reply, error) {
	return d.actWithText(ctx, c, models.ActSendBack, "usage_sendback", models.MaxReasonRunes)
}

// refer refers a conduct case to the discipline body, with an optional note: "/refer NUMBER
// note" at once, or the button, which asks for the note.
func (d *Desk) refer(ctx context.Context, c *call) ([]bot.Reply, error) {
	no, note := noAndText(c.args)
	if no == "" {
		return c.reply(c.T("usage_refer")), nil
	}
	if note == "" && c.pressed {
		return d.ask(ctx, c, no, models.ActRefer)
	}
	if r := c.tooLong(note, models.MaxNoteRunes); r != nil {
		return r, nil
	}
	return d.act(ctx, c, no, models.Change{Action: models.ActRefer, Note: note})
}

// staffAppeal is /appeal from a staff or lead account: contesting a bad review of their window,
// or one that names them, as mistaken or malicious (申诉). Citizens' /appeal is their own
// conversation.
func (d *Desk) staffAppeal(ctx context.Context, c *call) ([]bot.Reply, error) {
	return d.actWithText(ctx, c, models.ActAppeal, "usage_appeal", models.MaxReasonRunes)
}

// actWithText runs a change given as "NUMBER text", where the text is required and at most
// limit characters. Without the text (a button, or the command typed alone) it asks for it;
// without a number the answer is usage.
func (d *Desk) actWithText(ctx context.Context, c *call, action models.Action, usage string, limit int) ([]bot.Reply, error) {
	no, text := noAndText(c.args)
	if no == "" {
		return c.reply(c.T(usage)), nil
	}
	if text == "" {
		return d.ask(ctx, c, no, action)
	}
	if r := c.tooLong(text, limit); r != nil {
		return r, nil
	}
	return d.act(ctx, c, no, models.Change{Action: action, Note: text})
}

// ticketLink binds the web chat of t to the ticket whose texted link carries token
// (models.Store.ClaimTicketLink) and shows the ticket as /track does, with the re-rating buttons
// when the fix waits for the complainant's verdict.
func (d *Desk) ticketLink(ctx context.Context, t *flows.Turn, token string) ([]bot.Reply, error) {
	if t.In.Platform != bot.Web {
		t.End()
		return []bot.Reply{{Text: t.T("ticket_link_web")}}, nil
	}
	tk, err := d.o.Store.ClaimTicketLink(ctx, token, t.Citizen.ID, t.Now)
	switch {
	case errors.Is(err, models.ErrNotFound):
		t.End()
		return []bot.Reply{{Text: t.T("ticket_link_unknown"), Buttons: flows.StartButtons(t)}}, nil
	case errors.Is(err, models.ErrTicketLinkTaken):
		t.End()
		return []bot.Reply{{Text: t.T("ticket_link_web")}}, nil
	case err != nil:
		return nil, fmt.Errorf("handlers: ticket link: %w", err)
	}
	d.o.Logger.InfoContext(ctx, "handlers: ticket link opened", "ticket", tk.No, "citizen_id", t.Citizen.ID)
	return t.Start(ctx, flows.TrackFlowName, tk.No)
}
