package flows

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"windowbot/bot"
	"windowbot/models"
)

// Both the rating and the complaint begin by finding out which window the citizen means: from a
// link, by choosing a center and then one of its windows, or by typing the code on the counter.
// The steps and the button payloads (<flow>:center:<id>, <flow>:window:<code>) are the same in
// both conversations; what follows the choice is each flow's own.
const (
	stepCenter = "center"
	stepWindow = "window"
)

// choosePlace begins the choice of a window in flow: with no center there is nothing to choose
// and the conversation ends; with one, its windows are offered (windowsOf); with several, the
// centers are, after intro.
func choosePlace(ctx context.Context, t *Turn, store *models.Store, flow, intro string,
	windowsOf func(*models.Center) ([]bot.Reply, error)) ([]bot.Reply, error) {
	centers, err := store.Centers(ctx)
	if err != nil {
		return nil, fmt.Errorf("flows: %s: %w", flow, err)
	}
	switch len(centers) {
	case 0:
		t.End()
		return []bot.Reply{{Text: t.T("no_windows")}}, nil
	case 1:
		return windowsOf(&centers[0])
	}
	return askCenter(t, flow, intro, centers), nil
}

// askCenter moves to the center step and offers the centers as buttons.
func askCenter(t *Turn, flow, intro string, centers []models.Center) []bot.Reply {
	t.ask(stepCenter)
	btns := make([]bot.Button, 0, len(centers))
	for _, c := range centers {
		btns = append(btns, bot.Button{Label: c.Name, Payload: flow + ":center:" + strconv.FormatUint(uint64(c.ID), 10)})
	}
	text := t.T("choose_center") + "\n" + t.T("type_window_code")
	if intro != "" {
		text = intro + "\n\n" + text
	}
	return []bot.Reply{{Text: text, Buttons: bot.Column(btns...)}}
}

// askWindow moves to the window step and offers first, then the windows of a center.
func askWindow(t *Turn, flow, text string, ws []models.Window, first ...bot.Button) []bot.Reply {
	t.ask(stepWindow)
	btns := append(make([]bot.Button, 0, len(first)+len(ws)), first...)
	for _, w := range ws {
		btns = append(btns, bot.Button{Label: w.Code + " " + w.Name, Payload: flow + ":window:" + w.Code})
	}
	return []bot.Reply{{Text: text, Buttons: bot.Column(btns...)}}
}

// centerByID finds the center a pressed button names; nil when it no longer exists or the
// payload is not a number (a stale or forged button).
func centerByID(ctx context.Context, store *models.Store, idText string) (*models.Center, error) {
	id, err := strconv.ParseUint(idText, 10, 64)
	if err != nil {
		return nil, nil
	}
	centers, err := store.Centers(ctx)
	if err != nil {
		return nil, err
	}
	for i := range centers {
		if centers[i].ID == uint(id) {
			return &centers[i], nil
		}
	}
	return nil, nil
}

// windowByCode finds the window a link, a button or a typed code names; nil when the code is
// malformed or unknown.
func windowByCode(ctx context.Context, store *models.Store, code string) (*models.Window, error) {
	if !models.WindowCodePattern.MatchString(code) {
		return nil, nil
	}
	w, err := store.WindowByCode(ctx, code)
	if errors.Is(err, models.ErrNotFound) {
		return nil, nil
	}
	return w, err
}

// unknownWindow says a code names no window. Started from a link with a bad code, the
// conversation moves to the window step so the citizen can type one.
func unknownWindow(t *Turn, code string) []bot.Reply {
	if t.step() == "" {
		t.ask(stepWindow)
	}
	return []bot.Reply{{Text: t.T("window_unknown", "Code", models.Truncate(code, 40))}}
}
