package handlers

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"windowbot/bot"
	"windowbot/models"
)

// Invitations makes what a staff member shows a citizen at the counter for a case's rating
// invitation on the platform they asked from: the QR code of the link that platform opens (the
// Telegram deep link, the WeChat account's temporary QR code, the web chat's link), as a picture,
// and the link itself.
type Invitations interface {
	Picture(ctx context.Context, platform bot.Platform, c *models.Case) (*bot.Picture, string, error)
}

// invite is /invite [case number] [phone]: a fresh invitation for the staff member's window and
// themselves, answered with its QR code for the citizen to scan (亮码评价). A case number already
// registered answers that case's invitation; a phone (with the citizen's consent, which asking
// for it at the counter is) lets the reminder go by SMS.
func (d *Desk) invite(ctx context.Context, c *call) ([]bot.Reply, error) {
	st := c.acct.staff
	if st == nil || st.WindowID == nil || d.o.Invitations == nil {
		return c.reply(c.T("invite_unavailable")), nil
	}
	var in models.CounterInvite
	in.StaffID = st.ID
	for _, f := range strings.Fields(c.args) {
		if p, ok := models.NormalizeMobile(f); ok && in.Phone == "" {
			in.Phone = p
			continue
		}
		if in.CaseNo == "" {
			in.CaseNo = f
			continue
		}
		return c.reply(c.T("invite_usage")), nil
	}
	cs, err := d.o.Store.CreateCounterInvite(ctx, in, c.t.Now, d.o.CaseExpiryDays)
	var ce *models.CaseError
	switch {
	case errors.As(err, &ce):
		return c.reply(c.T("invite_bad", "Reason", ce.Rows[0].Reason)), nil
	case errors.Is(err, models.ErrNotFound):
		return c.reply(c.T("invite_unavailable")), nil
	case err != nil:
		return nil, fmt.Errorf("handlers: invite: %w", err)
	}
	if cs.WindowID != *st.WindowID {
		// A case number of another window: never show its invitation here.
		return c.reply(c.T("invite_bad", "Reason", c.T("invite_other_window"))), nil
	}
	if cs.Rated {
		return c.reply(c.T("case_rated")), nil
	}
	pic, link, err := d.o.Invitations.Picture(ctx, c.t.In.Platform, cs)
	if err != nil {
		return nil, fmt.Errorf("handlers: invite: %w", err)
	}
	no := ""
	if cs.CaseNo != nil {
		no = c.T("invite_case_no", "No", *cs.CaseNo)
	}
	text := c.T("invite_done", "Window", cs.Window.Place(), "Staff", st.Name, "CaseNo", no,
		"Due", cs.ExpiresAt.In(d.loc()).Format("2006-01-02 15:04"), "Link", link)
	return []bot.Reply{{Text: text, Picture: pic}}, nil
}
