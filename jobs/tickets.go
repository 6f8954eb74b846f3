package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"windowbot/bot"
	"windowbot/internal/text"
	"windowbot/models"
)

// The ticket jobs work through the ticket state machine of models (Store.Transition): they
// never set a ticket's state themselves.

// deadlineKind names the deadline a ticket is working against.
func deadlineKind(lang string, t *models.Ticket) string {
	if t.State == models.StateSubmitted {
		return text.T(lang, "job.deadline_callback")
	}
	return text.T(lang, "job.deadline_rectify")
}

// where describes a ticket to staff: its window, or the whole center; never the citizen.
func where(lang string, t *models.Ticket) string {
	cat := text.Category(lang, t.Category)
	if t.Window != nil {
		return t.Window.Code + " " + t.Window.Name + " · " + cat
	}
	if t.WindowID == nil {
		return text.T(lang, "whole_center") + " · " + cat
	}
	return cat
}

// dateIn formats t as a date in loc.
func dateIn(t time.Time, loc *time.Location) string { return t.In(loc).Format(time.DateOnly) }

// deadlineReminders, on working days, tells whoever handles a ticket that its current deadline
// is today, or is the next working day (so a Friday reminds of a deadline on Monday). Handlers
// are the assigned owner, else the window's staff, else the center's supervisors.
func (d *Deps) deadlineReminders(ctx context.Context, occ Occurrence) (int, error) {
	cal := d.Calendar
	now := occ.At.In(d.loc())
	if !cal.IsWorkday(now) {
		return 0, nil
	}
	today := startOfDay(now)
	next := cal.NextWorkday(now)
	tickets, err := d.Store.TicketsDue(ctx, today, next.AddDate(0, 0, 1))
	if err != nil {
		return 0, err
	}
	var pushes []*models.Push
	for i := range tickets {
		t := &tickets[i]
		due := t.Due()
		which := "remind_next"
		key := "job.remind_next"
		if due.Before(today.AddDate(0, 0, 1)) {
			which, key = "remind_today", "job.remind_today"
		}
		accs, err := d.handlers(ctx, t)
		if err != nil {
			return 0, err
		}
		for _, a := range accs {
			lang := d.langOf(a.Citizen)
			pushes = append(pushes, &models.Push{
				DedupeKey: fmt.Sprintf("%s:%s:%s:%s:c%d", KindDeadlineReminder, t.No, dateIn(due, d.loc()), which, a.Citizen.ID),
				Kind:      KindDeadlineReminder, CitizenID: a.Citizen.ID,
				Text: text.T(lang, key, "No", t.No, "Where", where(lang, t), "Deadline", deadlineKind(lang, t), "Day", dateIn(due, d.loc())),
			})
		}
	}
	return d.enqueue(ctx, occ.At, pushes)
}

// handlers are who works on a ticket: owner or window staff, else the center's supervisors.
func (d *Deps) handlers(ctx context.Context, t *models.Ticket) ([]models.Account, error) {
	accs, err := d.Store.TicketHandlers(ctx, t)
	if err != nil || len(accs) > 0 {
		return accs, err
	}
	return d.Store.CenterSupervisorAccounts(ctx, t.CenterID)
}

// overdueEscalation, on working days, escalates every ticket past its current deadline to the
// supervisors (the ticket is then escalated), and chases (催办) those already escalated, once a
// working day. Both go through Store.Transition as system actions, so the audit trail records
// them and the store queues the notices to the handlers and supervisors in the same
// transaction; the event's note says how late the ticket is.
func (d *Deps) overdueEscalation(ctx context.Context, occ Occurrence) (int, error) {
	now := occ.At.In(d.loc())
	if !d.Calendar.IsWorkday(now) {
		return 0, nil
	}
	overdue, err := d.Store.OverdueTickets(ctx, now)
	if err != nil {
		return 0, err
	}
	// Today's escalations and chases, so a forced re-run neither chases twice nor chases a
	// ticket on the day it was escalated.
	chased, err := d.Store.TicketsWithEventSince(ctx, models.ActChase, models.RoleSystem, startOfDay(now))
	if err != nil {
		return 0, err
	}
	escalated, err := d.Store.TicketsWithEventSince(ctx, models.ActEscalate, models.RoleSystem, startOfDay(now))
	if err != nil {
		return 0, err
	}
	done := 0
	var errs []error
	for _, t := range overdue {
		late := d.Calendar.WorkdaysLate(t.Due(), now)
		c := models.Change{Actor: models.Actor{Role: models.RoleSystem}, At: now,
			Note: text.T(d.Lang, "job.overdue_note", "Deadline", deadlineKind(d.Lang, &t), "Days", late)}
		switch {
		case !t.Escalated:
			c.Action = models.ActEscalate
		case !chased[t.ID] && !escalated[t.ID]:
			c.Action = models.ActChase
		default:
			continue // chased today already (a forced re-run)
		}
		_, _, err := d.Store.Transition(ctx, t.No, c)
		var te *models.TransitionError
		switch {
		case errors.As(err, &te):
			// Moved on since it was read (accepted, resolved, escalated by hand): nothing to do.
			d.Logger.InfoContext(ctx, "overdue ticket changed meanwhile", "ticket", t.No, "action", c.Action, "error", err)
		case err != nil:
			errs = append(errs, err)
		default:
			done++
		}
	}
	return done, errors.Join(errs...)
}

// dailyDigest, on working days, sends each supervisor for their scope: the bad reviews opened
// since the previous working day began, the tickets overdue now, and the previous working day's
// satisfaction rate. It is headed with the days it counts, not the day it is sent: a digest
// sent on 12-04 is about 12-03, one sent on a Monday about Friday to Sunday.
func (d *Deps) dailyDigest(ctx context.Context, occ Occurrence) (int, error) {
	cal := d.Calendar
	now := occ.At.In(d.loc())
	if !cal.IsWorkday(now) {
		return 0, nil
	}
	today, prev := startOfDay(now), cal.PrevWorkday(now)
	bad, err := d.Store.NewBadReviews(ctx, prev, today)
	if err != nil {
		return 0, err
	}
	overdue, err := d.Store.OverdueTickets(ctx, now)
	if err != nil {
		return 0, err
	}
	sd, err := d.loadSupervisorData(ctx, prev, prev.AddDate(0, 0, 1))
	if err != nil {
		return 0, err
	}
	var pushes []*models.Push
	for _, a := range sd.sups {
		scope := models.SupervisorScope(a.Staff)
		lang := d.langOf(a.Citizen)
		msg := text.T(lang, "job.digest_title", "Day", digestDays(lang, prev, today), "Scope", d.scopeName(lang, scope, sd.centers))
		badHere, lateHere := ticketsIn(bad, scope), ticketsIn(overdue, scope)
		msg += "\n" + text.T(lang, "job.digest_bad", "Count", len(badHere))
		msg += digestLines(lang, badHere, func(t *models.Ticket) string {
			return text.T(lang, "job.digest_line", "No", t.No, "Where", where(lang, t))
		})
		msg += "\n" + text.T(lang, "job.digest_overdue", "Count", len(lateHere))
		msg += digestLines(lang, lateHere, func(t *models.Ticket) string {
			return text.T(lang, "job.digest_late", "No", t.No, "Where", where(lang, t), "Days", cal.WorkdaysLate(t.Due(), now))
		})
		if sum := models.Sum(talliesIn(sd.tallies, scope)); sum.Total() == 0 {
			msg += "\n" + text.T(lang, "job.digest_no_sat", "Day", dateIn(prev, d.loc()))
		} else {
			msg += "\n" + text.T(lang, "job.digest_sat", "Day", dateIn(prev, d.loc()), "Rate", percent(sum.SatisfactionRate()), "Count", sum.Total())
		}
		pushes = append(pushes, &models.Push{
			DedupeKey: fmt.Sprintf("%s:%s:c%d", KindDailyDigest, dateIn(now, d.loc()), a.Citizen.ID),
			Kind:      KindDailyDigest, CitizenID: a.Citizen.ID, Text: msg,
		})
	}
	return d.enqueue(ctx, occ.At, pushes)
}

// digestDays names the days from the start of from to the end of the day before until.
func digestDays(lang string, from, until time.Time) string {
	last := until.AddDate(0, 0, -1)
	if !last.After(from) {
		return dateIn(from, from.Location())
	}
	return text.T(lang, "job.digest_days", "From", dateIn(from, from.Location()), "To", dateIn(last, from.Location()))
}

// ticketsIn returns the tickets of scope (a center, or 0 for all).
func ticketsIn(ts []models.Ticket, scope uint) []*models.Ticket {
	var out []*models.Ticket
	for i := range ts {
		if scope == 0 || ts[i].CenterID == scope {
			out = append(out, &ts[i])
		}
	}
	return out
}

// digestLines writes a line for each of the first ten tickets, then how many more there are.
func digestLines(lang string, ts []*models.Ticket, line func(t *models.Ticket) string) string {
	var out string
	for i, t := range ts {
		if i == 10 {
			out += "\n" + text.T(lang, "job.digest_more", "Count", len(ts)-10)
			break
		}
		out += "\n" + line(t)
	}
	return out
}

// rerating reminds, once, the citizens of tickets resolved RerateReminderDays ago or more that
// they have not re-rated the fix, then closes as "no reply" those past the ticket rules'
// RerateDays (Store.CloseUnanswered: one transition each).
func (d *Deps) rerating(ctx context.Context, occ Occurrence) (int, error) {
	now := occ.At
	closeDays := d.Store.TicketRules().RerateDays
	if closeDays <= 0 {
		closeDays = 7
	}
	waiting, err := d.Store.AwaitingRerate(ctx, now.AddDate(0, 0, -d.RerateReminderDays))
	if err != nil {
		return 0, err
	}
	var pushes []*models.Push
	for i := range waiting {
		t := &waiting[i]
		closeAt := t.ResolvedAt.AddDate(0, 0, closeDays)
		if !closeAt.After(now) {
			continue // closed below
		}
		rs, err := d.Store.TicketReporters(ctx, t)
		if err != nil {
			return 0, err
		}
		for _, c := range rs {
			if c.Platform == models.PlatformSMS {
				continue // a walk-in: texted below
			}
			lang := d.langOf(c)
			p := &models.Push{
				DedupeKey: fmt.Sprintf("%s:%s:%d:c%d", KindRerateReminder, t.No, t.ResolvedAt.Unix(), c.ID),
				Kind:      KindRerateReminder, CitizenID: c.ID,
				Text: text.T(lang, "job.rerate_remind", "No", t.No, "Closes", closeAt.In(d.loc()).Format("2006-01-02 15:04")),
			}
			if c.ID == t.CitizenID {
				// Only who filed it gives the verdict; the button is the router's /rerate command.
				raw, _ := json.Marshal(bot.Column(bot.Button{Label: text.T(lang, "job.rerate_button"), Payload: "cmd:/rerate " + t.No}))
				p.Buttons = string(raw)
			}
			pushes = append(pushes, p)
		}
		// A complainant the chat cannot reach (the web chat's page closed) is texted as well.
		sms, err := d.Store.RerateReminderSMS(ctx, t, fmt.Sprintf("%s:%s:%d", KindRerateReminder, t.No, t.ResolvedAt.Unix()),
			closeAt.In(d.loc()).Format("2006-01-02 15:04"), now)
		if err != nil {
			return 0, err
		}
		if sms != nil {
			pushes = append(pushes, sms)
		}
	}
	n, err := d.enqueue(ctx, now, pushes)
	if err != nil {
		return 0, err
	}
	closed, err := d.Store.CloseUnanswered(ctx, now)
	return n + closed, err
}
