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
	// GuidePicture is the QR code of a matter's guide (/sendguide) and the link it holds.
	GuidePicture(ctx context.Context, matterCode string) (*bot.Picture, string, error)
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

// sendGuideChoices is how many matters /sendguide offers when the words fit several.
const sendGuideChoices = 5

// sendguide hands a citizen at the counter a matter's guide (一次性告知): "/sendguide WORDS" finds
// the matter as a citizen's /guide does and answers with the QR code of its guide on the web
// chat; the citizen scans it and has every material in their own phone. Several matches are
// offered as buttons.
func (d *Desk) sendguide(ctx context.Context, c *call) ([]bot.Reply, error) {
	words := strings.TrimSpace(c.args)
	if words == "" {
		return c.reply(c.T("sendguide_usage")), nil
	}
	if d.o.Invitations == nil {
		return c.reply(c.T("invite_unavailable")), nil
	}
	ms, err := d.o.Store.FindMatters(ctx, words, sendGuideChoices)
	if err != nil {
		return nil, fmt.Errorf("handlers: sendguide: %w", err)
	}
	switch len(ms) {
	case 0:
		return c.reply(c.T("sendguide_none", "Words", models.Truncate(words, 30))), nil
	case 1:
	default:
		btns := make([]bot.Button, 0, len(ms))
		for _, m := range ms {
			btns = append(btns, bot.Button{Label: m.Name, Payload: "cmd:/sendguide " + m.Code})
		}
		return []bot.Reply{{Text: c.T("sendguide_pick"), Buttons: bot.Column(btns...)}}, nil
	}
	pic, link, err := d.o.Invitations.GuidePicture(ctx, ms[0].Code)
	if err != nil {
		return nil, fmt.Errorf("handlers: sendguide: %w", err)
	}
	return []bot.Reply{{Text: c.T("sendguide_done", "Matter", ms[0].Name, "Link", link), Picture: pic}}, nil
}
