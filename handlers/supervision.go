package handlers

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"windowbot/bot"
	"windowbot/flows"
	"windowbot/internal/text"
	"windowbot/models"
)

// The commands of supervision beyond ratings: paper cards, inspections by kind and citizen
// inspectors' visits, the one-time notification guide sent by staff, and the rating-fraud flags.

// card enters a paper feedback card (/card W001 2 内容), or asks for it step by step.
func (d *Desk) card(ctx context.Context, c *call) ([]bot.Reply, error) {
	return c.t.Start(ctx, flows.CardFlowName, c.args)
}

// inspectKindWords are the kinds of inspection as a supervisor may type them after /visit.
var inspectKindWords = map[string]string{
	"自查": models.InspectSelf, "互查": models.InspectMutual, "现场检查": models.InspectOnSite, "暗访": models.InspectUnannounced,
	models.InspectSelf: models.InspectSelf, models.InspectMutual: models.InspectMutual,
	models.InspectOnSite: models.InspectOnSite, models.InspectUnannounced: models.InspectUnannounced,
}

// visit starts a checklist inspection: a citizen inspector's is an unannounced visit (暗访); a
// supervisor names the kind (/visit 自查 W001) or is asked it.
func (d *Desk) visit(ctx context.Context, c *call) ([]bot.Reply, error) {
	first, rest, _ := strings.Cut(c.args, " ")
	kind, named := inspectKindWords[strings.ToLower(first)]
	if c.acct.role() == models.RoleInspector {
		if named {
			c.args = strings.TrimSpace(rest)
		}
		return c.t.Start(ctx, flows.VisitFlowName, models.InspectUnannounced+" "+c.args)
	}
	if named {
		return c.t.Start(ctx, flows.VisitFlowName, kind+" "+strings.TrimSpace(rest))
	}
	return c.t.Start(ctx, flows.VisitFlowName, flows.VisitAskKind+" "+c.args)
}

// visitsShown is how many visits /visits lists.
const visitsShown = 10

// visits lists the account's own visits and what came of them: for each, when, where, the
// compliance and the state of each ticket a failed item opened. Nothing of ratings or citizens.
func (d *Desk) visits(ctx context.Context, c *call) ([]bot.Reply, error) {
	vs, err := d.o.Store.VisitsOf(ctx, c.acct.actor.StaffID, visitsShown)
	if err != nil {
		return nil, fmt.Errorf("handlers: visits: %w", err)
	}
	if len(vs) == 0 {
		return c.reply(c.T("visits_none")), nil
	}
	var b strings.Builder
	b.WriteString(c.T("visits_head", "Count", len(vs)))
	for _, v := range vs {
		b.WriteString(c.T("visits_line", "Day", flows.StampLabel(c.lang(), v.Inspection.CreatedAt, d.loc()),
			"Kind", c.T("inspect_kind."+v.Inspection.Kind), "Window", v.Window.Place(), "Score", v.Inspection.Score))
		for _, it := range v.Items {
			if it.Ticket == nil {
				continue
			}
			b.WriteString(c.T("visits_ticket", "Item", d.checkLabel(c, it.Item), "No", it.Ticket.No,
				"State", text.State(c.lang(), string(it.Ticket.State))))
		}
	}
	return c.reply(b.String()), nil
}

// checkLabel words a checklist item as the visit did.
func (d *Desk) checkLabel(c *call, key string) string {
	for _, it := range d.o.Store.Checklist() {
		if it.Key == key && it.Label != "" {
			return it.Label
		}
	}
	return c.T("check." + key)
}

// walkin records a complaint a citizen made in person at the center or by phone (来访来电投诉登记):
// "/walkin WINDOW PHONE WHAT HAPPENED". The citizen has no chat with the bot; the phone they
// gave at the desk, with their consent, is how they hear of the ticket, and its texted link
// brings them into the web chat to re-rate the fix (models.Store.CreateWalkIn).
func (d *Desk) walkin(ctx context.Context, c *call) ([]bot.Reply, error) {
	code, rest, _ := strings.Cut(strings.TrimSpace(c.args), " ")
	phone, desc, _ := strings.Cut(strings.TrimSpace(rest), " ")
	desc = strings.TrimSpace(desc)
	if code == "" || phone == "" || desc == "" {
		return c.reply(c.T("usage_walkin")), nil
	}
	if _, ok := models.NormalizeMobile(phone); !ok {
		return c.reply(c.T("walkin_bad_phone")), nil
	}
	w, err := d.o.Store.WindowByCode(ctx, strings.ToUpper(code))
	if err == nil && !c.acct.actor.Covers(&models.Ticket{CenterID: w.CenterID, WindowID: &w.ID}) {
		err = models.ErrNotFound
	}
	if errors.Is(err, models.ErrNotFound) {
		return c.reply(c.T("walkin_no_window", "Window", models.Truncate(code, 20))), nil
	}
	if err != nil {
		return nil, fmt.Errorf("handlers: walk-in: %w", err)
	}
	tk, err := d.o.Store.CreateWalkIn(ctx, models.NewComplaint{CenterID: w.CenterID, WindowID: &w.ID, Category: models.CategoryOther,
		Description: models.Truncate(desc, models.MaxDescriptionRunes), Phone: phone, At: c.t.Now})
	if errors.Is(err, models.ErrBanned) {
		return c.reply(c.T("walkin_banned")), nil
	}
	if err != nil {
		return nil, fmt.Errorf("handlers: walk-in: %w", err)
	}
	key := "walkin_done_no_sms"
	if d.o.Store.TextsComplainants() {
		key = "walkin_done"
	}
	return c.reply(c.T(key, "No", tk.No, "Place", w.Place(), "Phone", models.MaskPhone(tk.Phone))), nil
}

// flagsShown is how many flags /flags lists at once.
const flagsShown = 10

// flagWords are the words a supervisor may type after /flags for a decision.
var flagWords = map[string]string{
	models.DecisionKeep: models.DecisionKeep, "保留": models.DecisionKeep, "有效": models.DecisionKeep,
	models.DecisionExclude: models.DecisionExclude, "剔除": models.DecisionExclude, "无效": models.DecisionExclude,
}

// flags lists the ratings the fraud signals hold out, in the supervisor's centers, each with its
// buttons to keep it (it counts again) or exclude it (it stays on record and never counts):
// "/flags", "/flags keep ID", "/flags exclude ID". The citizen is never shown.
func (d *Desk) flags(ctx context.Context, c *call) ([]bot.Reply, error) {
	word, rest, _ := strings.Cut(strings.TrimSpace(c.args), " ")
	if word != "" {
		decision, ok := flagWords[strings.ToLower(word)]
		id, err := strconv.ParseUint(strings.TrimPrefix(strings.TrimSpace(rest), "#"), 10, 32)
		if !ok || err != nil {
			return c.reply(c.T("usage_flags")), nil
		}
		f, err := d.o.Store.DecideFlag(ctx, c.acct.actor, uint(id), decision, c.t.Now)
		switch {
		case errors.Is(err, models.ErrNotFound):
			return c.reply(c.T("flag_unknown", "ID", id)), nil
		case errors.Is(err, models.ErrFlagDecided):
			return c.reply(c.T("flag_decided", "ID", id)), nil
		case err != nil:
			return nil, fmt.Errorf("handlers: flags: %w", err)
		}
		d.o.Logger.InfoContext(ctx, "rating flag decided", "flag_id", f.ID, "rating_id", f.RatingID, "signal", f.Signal,
			"decision", decision, "staff_id", c.acct.actor.StaffID)
		done := c.T("flag_exclude", "ID", id)
		if decision == models.DecisionKeep {
			done = c.T("flag_keep", "ID", id)
		}
		// The rest follows, with fresh buttons (WeChat's numbers answer the last list only).
		rest, err := d.flagList(ctx, c)
		if err != nil {
			return nil, err
		}
		return append(c.reply(done), rest...), nil
	}
	return d.flagList(ctx, c)
}

// flagList lists the undecided flags in the supervisor's centers, a rating an entry.
func (d *Desk) flagList(ctx context.Context, c *call) ([]bot.Reply, error) {
	fs, err := d.o.Store.PendingFlags(ctx, c.acct.actor, flagsShown)
	if err != nil {
		return nil, fmt.Errorf("handlers: flags: %w", err)
	}
	if len(fs) == 0 {
		return c.reply(c.T("flags_none")), nil
	}
	rules := d.o.Store.FraudRules()
	// One entry a rating, with every signal raised on it; deciding one flag decides them all.
	var order []uint
	byRating := map[uint][]models.FlagView{}
	for _, f := range fs {
		if byRating[f.RatingID] == nil {
			order = append(order, f.RatingID)
		}
		byRating[f.RatingID] = append(byRating[f.RatingID], f)
	}
	var b strings.Builder
	b.WriteString(c.T("flags_head", "Count", len(order)))
	var btns [][]bot.Button
	for _, rid := range order {
		f := byRating[rid][0]
		who := c.T("flags_no_staff")
		if f.Staff != nil {
			who = f.Staff.Name
		}
		var signals []string
		for _, g := range byRating[rid] {
			signals = append(signals, signalText(c, rules, g.Signal, g.Detail))
		}
		b.WriteString(c.T("flags_line", "ID", f.ID, "Time", flows.StampLabel(c.lang(), f.Rating.CreatedAt, d.loc()),
			"Place", f.Window.Place(), "Staff", who, "Level", text.Level(c.lang(), f.Rating.Level),
			"Signal", strings.Join(signals, c.T("flags_and"))))
		id := strconv.FormatUint(uint64(f.ID), 10)
		btns = append(btns, []bot.Button{
			{Label: c.T("flags_keep", "ID", id), Payload: "cmd:/flags keep " + id},
			{Label: c.T("flags_exclude", "ID", id), Payload: "cmd:/flags exclude " + id},
		})
	}
	b.WriteString(c.T("flags_foot"))
	return []bot.Reply{{Text: b.String(), Buttons: btns}}, nil
}

// signalText says what a signal saw: how many ratings, windows or days within how long.
func signalText(c *call, r models.FraudRules, signal, count string) string {
	switch signal {
	case models.SignalBurst:
		return c.T("flag.burst", "Count", count, "Minutes", int(r.BurstWindow.Minutes()))
	case models.SignalFresh:
		return c.T("flag.fresh", "Count", count, "Minutes", int(r.FreshWindow.Minutes()), "Age", int(r.FreshAge.Minutes()))
	case models.SignalDevice:
		return c.T("flag.device", "Count", count, "Hours", int(r.DeviceWindow.Hours()))
	}
	return c.T("flag.low_repeat", "Count", count, "Days", r.LowDays)
}
