package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"windowbot/bot"
	"windowbot/models"
)

// A web visitor reloads the page, opens it again from the QR code, or reaches another replica
// behind the load balancer: the conversation must be there each time. Its dialog state is the
// engine's (the state store, by the visitor's cookie); what was said is kept here, in the same
// store, as the visitor's history, which the page shows when it opens. Pushes wait in the
// database (Inbox) until the page takes them, and then join the history.

// HistoryLimit is how many messages of a visitor's conversation are kept; older ones are dropped
// first.
const HistoryLimit = 100

// DefaultHistoryTTL is how long a visitor's history is kept after their last message.
const DefaultHistoryTTL = 24 * time.Hour

// historyLockTTL bounds one change of a history.
const historyLockTTL = 10 * time.Second

// Inbox keeps pushes to web visitors until their page takes them, once. *models.Store keeps
// them in the database, where every replica sees them.
type Inbox interface {
	PutWebPush(ctx context.Context, visitor string, body []byte, now time.Time) error
	// TakeWebPushes returns the visitor's pushes, oldest first, and forgets them.
	TakeWebPushes(ctx context.Context, visitor string) ([][]byte, error)
}

var _ Inbox = (*models.Store)(nil)

// History keeps each visitor's conversation under one key, changed under a lock: the state
// store (flows/state: Redis, shared by the replicas, or in process).
type History interface {
	bot.KV
	bot.Locker
}

// entry is one message of a visitor's history, as the page shows it.
type entry struct {
	// ID is a bot message's id, which a button pressed on it names.
	ID string `json:"id,omitempty"`
	// From is "me" (the visitor) or "bot".
	From    string         `json:"from"`
	Text    string         `json:"text"`
	Buttons [][]bot.Button `json:"buttons"`
	// Photo marks a photo the visitor sent (its bytes are not kept).
	Photo bool `json:"photo,omitempty"`
	// Multi and AcceptsPhoto are the bot message's (wireReply): a reload shows the question
	// under way as it was.
	Multi        bool `json:"multi,omitempty"`
	AcceptsPhoto bool `json:"accepts_photo,omitempty"`
	// Pressed is the label of the button pressed on this message: the page shows its buttons
	// as used.
	Pressed string `json:"pressed,omitempty"`
}

const (
	fromMe  = "me"
	fromBot = "bot"
)

// historyKey is where a visitor's history is kept.
func historyKey(visitor string) string { return "webchat:" + visitor }

// loadHistory returns the visitor's history, empty when there is none.
func (c *Chat) loadHistory(ctx context.Context, visitor string) ([]entry, error) {
	raw, err := c.history.Get(ctx, historyKey(visitor))
	if errors.Is(err, bot.ErrNotFound) {
		return []entry{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("web: load history: %w", err)
	}
	var es []entry
	if err := json.Unmarshal(raw, &es); err != nil {
		// Written by another release: start a new one rather than fail the page.
		return []entry{}, nil
	}
	return es, nil
}

// changeHistory applies change to the visitor's history under its lock and keeps the last
// HistoryLimit entries for the history's TTL.
func (c *Chat) changeHistory(ctx context.Context, visitor string, change func([]entry) []entry) ([]entry, error) {
	unlock, err := c.history.Lock(ctx, "lock:"+historyKey(visitor), historyLockTTL)
	if err != nil {
		return nil, fmt.Errorf("web: lock history: %w", err)
	}
	defer unlock()
	es, err := c.loadHistory(ctx, visitor)
	if err != nil {
		return nil, err
	}
	es = change(es)
	if len(es) > HistoryLimit {
		es = slices.Delete(es, 0, len(es)-HistoryLimit)
	}
	raw, err := json.Marshal(es)
	if err != nil {
		return nil, fmt.Errorf("web: encode history: %w", err)
	}
	if err := c.history.Set(ctx, historyKey(visitor), raw, c.historyTTL); err != nil {
		return nil, fmt.Errorf("web: save history: %w", err)
	}
	return es, nil
}

// record adds one exchange to a visitor's history: what they sent, and the replies. A press
// marks its button as used on the message it sat on; a reply that edits that message (a
// checklist ticking) takes its place. What the visitor typed, and the replies that echo it, are
// kept masked (models.MaskPII): a phone number typed for a call-back is not kept whole for a
// day.
func (c *Chat) record(ctx context.Context, visitor string, in bot.Inbound, replies []wireReply) {
	_, err := c.changeHistory(ctx, visitor, func(es []entry) []entry {
		switch {
		case in.Payload != "":
			i := slices.IndexFunc(es, func(e entry) bool { return e.ID != "" && e.ID == in.MessageID })
			label := ""
			if i >= 0 {
				label = buttonLabel(es[i].Buttons, in.Payload)
			}
			if i >= 0 && len(replies) > 0 && replies[0].Edit {
				es[i] = botEntry(replies[0])
				replies = replies[1:]
				break
			}
			if i >= 0 {
				es[i].Pressed = label
			}
			if label != "" {
				es = append(es, entry{From: fromMe, Text: label, Buttons: [][]bot.Button{}})
			}
		case in.Photo != nil:
			es = append(es, entry{From: fromMe, Photo: true, Text: models.MaskPII(in.Text), Buttons: [][]bot.Button{}})
		case in.Text != "" && !strings.HasPrefix(in.Text, "/start"):
			// The page's own /start (opening it, a QR link) is not something the visitor said.
			es = append(es, entry{From: fromMe, Text: models.MaskPII(in.Text), Buttons: [][]bot.Button{}})
		}
		for _, r := range replies {
			es = append(es, botEntry(r))
		}
		return es
	})
	if err != nil {
		c.log.ErrorContext(ctx, "web: record history", "err", err)
	}
}

// appendPushes adds pushes the page is about to show to the visitor's history.
func (c *Chat) appendPushes(ctx context.Context, visitor string, pushes []wireReply) ([]entry, error) {
	return c.changeHistory(ctx, visitor, func(es []entry) []entry {
		for _, p := range pushes {
			es = append(es, botEntry(p))
		}
		return es
	})
}

// botEntry is a bot message as kept: its text masked too, since it may echo what the visitor
// typed (what was gathered of a description).
func botEntry(r wireReply) entry {
	return entry{ID: r.ID, From: fromBot, Text: models.MaskPII(r.Text), Buttons: r.Buttons, Multi: r.Multi, AcceptsPhoto: r.AcceptsPhoto}
}

// buttonLabel is the label of the button with payload among rows, or "".
func buttonLabel(rows [][]bot.Button, payload string) string {
	for _, row := range rows {
		for _, b := range row {
			if b.Payload == payload {
				return b.Label
			}
		}
	}
	return ""
}

// takePushes takes the visitor's waiting pushes from the inbox. Pushes the inbox returned with
// an error are gone from it, so they are shown all the same.
func (c *Chat) takePushes(ctx context.Context, visitor string) []wireReply {
	bodies, err := c.inbox.TakeWebPushes(ctx, visitor)
	if err != nil {
		c.log.ErrorContext(ctx, "web: take pushes", "err", err)
	}
	out := make([]wireReply, 0, len(bodies))
	for _, b := range bodies {
		var r wireReply
		if err := json.Unmarshal(b, &r); err != nil {
			c.log.ErrorContext(ctx, "web: unreadable push", "err", err)
			continue
		}
		if r.Buttons == nil {
			r.Buttons = [][]bot.Button{}
		}
		r.Edit = false
		out = append(out, r)
	}
	return out
}

// memInbox keeps pushes in this process: for a Chat without an Inbox (tests, a demo on one
// machine). They are lost on restart and invisible to other replicas.
type memInbox struct {
	mu      sync.Mutex
	inboxes map[string]*inbox
	seq     uint64
}

// inbox holds pushes for one visitor until the page polls.
type inbox struct {
	msgs [][]byte
	// last orders inboxes by their newest push, to evict the stalest when there are too many.
	last uint64
}

func newMemInbox() *memInbox { return &memInbox{inboxes: map[string]*inbox{}} }

// PutWebPush implements Inbox, bounded (InboxLimit a visitor, oldest dropped; maxVisitors).
func (m *memInbox) PutWebPush(_ context.Context, visitor string, body []byte, _ time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.seq++
	ib := m.inboxes[visitor]
	if ib == nil {
		if len(m.inboxes) >= maxVisitors {
			m.evictLocked()
		}
		ib = &inbox{}
		m.inboxes[visitor] = ib
	}
	ib.last = m.seq
	if len(ib.msgs) >= InboxLimit {
		ib.msgs = slices.Delete(ib.msgs, 0, len(ib.msgs)-InboxLimit+1)
	}
	ib.msgs = append(ib.msgs, body)
	return nil
}

// evictLocked drops the inbox that was pushed to least recently. It scans every inbox, which is
// fine for something that happens only once the cap is reached.
func (m *memInbox) evictLocked() {
	var oldest string
	var min uint64
	for id, ib := range m.inboxes {
		if oldest == "" || ib.last < min {
			oldest, min = id, ib.last
		}
	}
	delete(m.inboxes, oldest)
}

// TakeWebPushes implements Inbox.
func (m *memInbox) TakeWebPushes(_ context.Context, visitor string) ([][]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ib := m.inboxes[visitor]
	delete(m.inboxes, visitor)
	if ib == nil {
		return nil, nil
	}
	return ib.msgs, nil
}

// memHistory keeps histories in this process: for a Chat without a History (tests, a demo on
// one machine). One lock serves every key: changes are short.
type memHistory struct {
	mu   sync.Mutex
	lock chan struct{}
	kv   map[string]memValue
	now  func() time.Time
}

type memValue struct {
	data    []byte
	expires time.Time
}

func newMemHistory(now func() time.Time) *memHistory {
	return &memHistory{lock: make(chan struct{}, 1), kv: map[string]memValue{}, now: now}
}

// Get implements bot.KV.
func (m *memHistory) Get(_ context.Context, key string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.kv[key]
	if !ok || !m.now().Before(v.expires) {
		delete(m.kv, key)
		return nil, bot.ErrNotFound
	}
	return v.data, nil
}

// Set implements bot.KV.
func (m *memHistory) Set(_ context.Context, key string, value []byte, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.kv) >= maxVisitors {
		// Bounded like the inbox: drop what has expired, then anything.
		for k, v := range m.kv {
			if !m.now().Before(v.expires) || len(m.kv) >= maxVisitors {
				delete(m.kv, k)
			}
		}
	}
	m.kv[key] = memValue{data: value, expires: m.now().Add(ttl)}
	return nil
}

// Lock implements bot.Locker.
func (m *memHistory) Lock(ctx context.Context, _ string, _ time.Duration) (func(), error) {
	select {
	case m.lock <- struct{}{}:
		var once sync.Once
		return func() { once.Do(func() { <-m.lock }) }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
