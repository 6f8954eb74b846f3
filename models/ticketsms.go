package models

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// TicketLinkPrefix starts the deep-link payload of a ticket's web link, the one texted to its
// complainant: "/start k_<token>".
const TicketLinkPrefix = "k_"

// GuideLinkPrefix starts the deep-link payload of a matter's guide that staff hand a citizen:
// "/start g_<matter code>" (a code as WindowCodePattern has it).
const GuideLinkPrefix = "g_"

// PlatformWeb is the platform of a web chat visitor: reachable only while their page is open (or
// when they come back to it), so a complainant there who left a phone is also texted.
const PlatformWeb = "web"

// WithTicketSMS has the store text a complainant (by SMS, through the outbox) the progress of
// their ticket and the invitation to re-rate it, when they left a phone number with consent and
// no chat can reach them: they complained on the web chat, whose page they may have closed, or
// their chat account is gone. Each text carries link(token), the web link that binds the chat
// which opens it to the ticket (ClaimTicketLink). Without this option nobody is texted.
func WithTicketSMS(link func(token string) string) Option {
	return func(s *Store) { s.ticketLink = link }
}

// ticketTexted reports whether the complainant of t is texted as well as told in their chat, and
// whether they have no chat at all (a walk-in, whose account is their phone).
func (s *Store) ticketTexted(tx *gorm.DB, t *Ticket) (texted, chatless bool, err error) {
	if s.ticketLink == nil || t.Phone == "" || !t.CallbackConsent || !PhonePattern.MatchString(t.Phone) {
		return false, false, nil
	}
	var c Citizen
	if err := tx.Select("platform", "inactive").Where("id = ?", t.CitizenID).Limit(1).Find(&c).Error; err != nil {
		return false, false, fmt.Errorf("complainant: %w", err)
	}
	chatless = c.Platform == PlatformSMS
	return chatless || c.Platform == PlatformWeb || c.Platform == "" || c.Inactive, chatless, nil
}

// ticketSMS returns the text message of key (n_sms_progress, n_sms_rerate, …) to the phone of
// t's complainant, with the ticket's web link, or nil when they are not texted (ticketTexted).
// The link's token is made on the first text. dedupe names the occasion; the recipient is added.
// fill, when not nil, gives the message's other fields. chatless reports a complainant without
// a chat (a walk-in), whose text replaces the pushes to their chat.
func (s *Store) ticketSMS(tx *gorm.DB, t *Ticket, kind, key, dedupe string, at time.Time, fill func(*PushMessage)) (p *Push, chatless bool, err error) {
	texted, chatless, err := s.ticketTexted(tx, t)
	if err != nil || !texted {
		return nil, false, err
	}
	if t.LinkToken == "" {
		token := NewCaseToken()
		res := tx.Model(&Ticket{}).Where("id = ? AND link_token = ?", t.ID, "").Update("link_token", token)
		if res.Error != nil {
			return nil, false, fmt.Errorf("ticket link: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			// Made by another transaction since t was read.
			if err := tx.Model(&Ticket{}).Where("id = ?", t.ID).Pluck("link_token", &token).Error; err != nil {
				return nil, false, fmt.Errorf("ticket link: %w", err)
			}
		}
		t.LinkToken = token
	}
	to, err := smsCitizen(tx, t.Phone, at)
	if err != nil {
		return nil, false, err
	}
	m := msg(key).set("No", t.No).set("Link", s.ticketLink(t.LinkToken))
	if fill != nil {
		fill(m)
	}
	return &Push{DedupeKey: fmt.Sprintf("%s:sms%d", dedupe, to.ID), Kind: kind, CitizenID: to.ID, Message: m}, chatless, nil
}

// ticketEventSMS returns the pushes of a ticket event with the complainant's text message
// (ticketSMS) added when the event tells them something in their chat (a progress notice, the
// invitation to re-rate), or, for a walk-in, when it is registered. A walk-in has no chat: the
// text replaces the pushes to them.
func (s *Store) ticketEventSMS(tx *gorm.DB, t *Ticket, ev *TicketEvent, pushes []*Push, at time.Time) ([]*Push, error) {
	key, kind := "", ""
	for _, p := range pushes {
		if p.CitizenID != t.CitizenID {
			continue
		}
		switch p.Kind {
		case KindTicketStatus:
			key, kind = "n_sms_progress", p.Kind
		case KindRerateInvite:
			key, kind = "n_sms_rerate", p.Kind
		}
	}
	if ev.Action == ActSubmit && t.Channel == ChannelWalkIn {
		key, kind = "n_sms_registered", KindTicketStatus
	}
	if key == "" {
		return pushes, nil
	}
	var fill func(*PushMessage)
	if key == "n_sms_progress" {
		fill = func(m *PushMessage) { m.word("State", ArgState, string(t.State)) }
	}
	sms, chatless, err := s.ticketSMS(tx, t, kind, key, fmt.Sprintf("ticket:%s:e%d", t.No, ev.ID), at, fill)
	if err != nil || sms == nil {
		return pushes, err
	}
	if chatless {
		pushes = slices.DeleteFunc(pushes, func(p *Push) bool { return p.CitizenID == t.CitizenID })
	}
	return append(pushes, sms), nil
}

// RerateReminderSMS returns the text message that reminds the complainant of the resolved ticket
// t, by SMS, that their verdict is still open until closes (ticketSMS), or nil when they are not
// texted. dedupe names the reminder; the recipient is added to it.
func (s *Store) RerateReminderSMS(ctx context.Context, t *Ticket, dedupe string, closes string, at time.Time) (*Push, error) {
	var p *Push
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		p, _, err = s.ticketSMS(tx, t, KindRerateReminder, "n_sms_rerate_reminder", dedupe, at, func(m *PushMessage) { m.set("Closes", closes) })
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: re-rating reminder of %s by SMS: %w", t.No, err)
	}
	return p, nil
}

// ErrTicketLinkTaken means a ticket's web link was opened in a chat account of another platform
// than the web: the link binds only a web chat to the ticket.
var ErrTicketLinkTaken = errors.New("store: the ticket's link is not for this chat")

// ClaimTicketLink binds the web chat account citizenID to the ticket whose link token is token,
// and returns the ticket: the complainant opened the link texted to them, maybe in another
// browser than the one they complained in. The ticket becomes theirs (to track and to re-rate);
// the account that filed it keeps following it. ErrNotFound for an unknown token.
func (s *Store) ClaimTicketLink(ctx context.Context, token string, citizenID uint, now time.Time) (*Ticket, error) {
	if !CaseTokenPattern.MatchString(token) {
		return nil, fmt.Errorf("store: claim ticket link: %w", ErrNotFound)
	}
	var t Ticket
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("link_token = ?", token).First(&t).Error; err != nil {
			return notFound(err)
		}
		if t.CitizenID == citizenID {
			return nil
		}
		var who Citizen
		if err := tx.Select("platform").First(&who, citizenID).Error; err != nil {
			return err
		}
		if who.Platform != PlatformWeb {
			return ErrTicketLinkTaken
		}
		err := tx.Clauses(clause.OnConflict{DoNothing: true}).
			Create(&TicketFollower{TicketID: t.ID, CitizenID: t.CitizenID, CreatedAt: now.UTC()}).Error
		if err != nil {
			return err
		}
		if err := tx.Where("ticket_id = ? AND citizen_id = ?", t.ID, citizenID).Delete(&TicketFollower{}).Error; err != nil {
			return err
		}
		t.CitizenID = citizenID
		return tx.Model(&Ticket{}).Where("id = ?", t.ID).Update("citizen_id", citizenID).Error
	})
	if err != nil {
		return nil, fmt.Errorf("store: claim ticket link: %w", err)
	}
	return &t, nil
}

// ChannelWalkIn is the channel of a complaint made in person at the center or by phone (来访来电),
// entered by the center's office for a citizen who has no chat with the bot.
const ChannelWalkIn = "walkin"

// CreateWalkIn opens the complaint in (CreateComplaint) that a citizen made in person or by
// phone and the office entered for them: in.Phone, given with consent, is the citizen — an account
// of platform sms, reachable by text message only — so they are texted their ticket's progress
// and re-rating with its web link (WithTicketSMS). The channel is ChannelWalkIn.
func (s *Store) CreateWalkIn(ctx context.Context, in NewComplaint) (*Ticket, error) {
	phone, ok := NormalizeMobile(in.Phone)
	if !ok {
		return nil, fmt.Errorf("store: walk-in complaint: %w: not a mainland mobile number", ErrBadInput)
	}
	var c *Citizen
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		c, err = smsCitizen(tx, phone, in.At)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: walk-in complaint: %w", err)
	}
	in.CitizenID, in.Phone, in.CallbackConsent, in.Channel, in.Anonymous = c.ID, phone, true, ChannelWalkIn, false
	return s.CreateComplaint(ctx, in)
}

// TextsComplainants reports whether the store texts complainants (WithTicketSMS).
func (s *Store) TextsComplainants() bool { return s.ticketLink != nil }
