package jobs

import (
	"encoding/json"
	"fmt"
	"time"

	"windowbot/bot"
	"windowbot/internal/text"
	"windowbot/models"
)

// Renderer words a push for its recipient. A push queued by a job carries its text already; a
// push caused in a transaction (a ticket's notices) carries its message as data
// (models.PushMessage), worded here from the text catalog in the recipient's language, when it
// is sent.
type Renderer struct {
	// Lang is the language of recipients who never said theirs (default zh-CN).
	Lang string
	// Location is the hall's zone, in which days are named (default UTC).
	Location *time.Location
}

// Reply returns the message of p as it is sent. p.Citizen, when loaded, gives the language.
func (r Renderer) Reply(p *models.Push) (bot.Reply, error) {
	out := bot.Reply{Text: p.Text, Kind: p.Kind}
	if p.Buttons != "" {
		if err := json.Unmarshal([]byte(p.Buttons), &out.Buttons); err != nil {
			return bot.Reply{}, fmt.Errorf("buttons are not valid JSON: %w", err)
		}
	}
	m := p.Message
	if m == nil {
		return out, nil
	}
	lang := text.Lang(r.Lang)
	if p.Citizen != nil && p.Citizen.Lang != "" {
		lang = text.Lang(p.Citizen.Lang)
	}
	kv := make([]any, 0, 2*len(m.Args))
	for name, v := range m.Args {
		w, err := r.word(lang, m.Kinds[name], v)
		if err != nil {
			return bot.Reply{}, fmt.Errorf("message %s: field %s: %w", m.Key, name, err)
		}
		kv = append(kv, name, w)
	}
	out.Text = text.T(lang, m.Key, kv...)
	for _, row := range m.Buttons {
		btns := make([]bot.Button, 0, len(row))
		for _, b := range row {
			btns = append(btns, bot.Button{Label: text.T(lang, b.Key), Payload: b.Payload})
		}
		out.Buttons = append(out.Buttons, btns)
	}
	return out, nil
}

// word is the value v of a field of the given kind (models.ArgCategory, …) in lang.
func (r Renderer) word(lang, kind, v string) (string, error) {
	switch kind {
	case "":
		return v, nil
	case models.ArgCategory:
		return text.Category(lang, v), nil
	case models.ArgWholeCenter:
		return v + " · " + text.T(lang, "whole_center"), nil
	case models.ArgRoute:
		return text.T(lang, "route."+v), nil
	case models.ArgState:
		return text.State(lang, v), nil
	case models.ArgDay:
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return "", err
		}
		loc := r.Location
		if loc == nil {
			loc = time.UTC
		}
		return text.Day(lang, t.In(loc)), nil
	}
	return "", fmt.Errorf("unknown kind %q", kind)
}
