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
	// stepCode asks for the code printed on the window's poster.
	stepCode = "code"
)

// Values of the place buttons that are not a center or a window: <flow>:center:code asks for a
// window code instead, <flow>:code:centers goes back to the list.
const (
	placeTypeCode = "code"
	placeCenters  = "centers"
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

// askCenter moves to the center step and offers the centers as buttons, and a last one for a
// citizen who has the window's code: one instruction at a time. A code typed here is taken too.
func askCenter(t *Turn, flow, intro string, centers []models.Center) []bot.Reply {
	t.ask(stepCenter)
	btns := make([]bot.Button, 0, len(centers)+1)
	for _, c := range centers {
		btns = append(btns, bot.Button{Label: c.Name, Payload: flow + ":center:" + strconv.FormatUint(uint64(c.ID), 10)})
	}
	btns = append(btns, bot.Button{Label: t.T("btn_type_code"), Payload: flow + ":center:" + placeTypeCode})
	text := t.T("choose_center")
	if intro != "" {
		text = intro + "\n\n" + text
	}
	return []bot.Reply{{Text: text, Buttons: bot.Column(btns...)}}
}

// askCode moves to the code step: type the code on the window's poster, for example the code of
// a window that exists (the first of the first center), or go back to the centers.
func askCode(ctx context.Context, t *Turn, store *models.Store, flow string) ([]bot.Reply, error) {
	code, err := exampleCode(ctx, store)
	if err != nil {
		return nil, fmt.Errorf("flows: %s: %w", flow, err)
	}
	t.ask(stepCode)
	return []bot.Reply{{Text: t.T("type_window_code", "Code", code), Buttons: [][]bot.Button{{
		{Label: t.T("btn_choose_center"), Payload: flow + ":" + stepCode + ":" + placeCenters},
	}}}}, nil
}

// exampleCode is the code of a window that exists, for the instruction's example: what the
// citizen sees on a poster of their own hall, not a code of the demo data.
func exampleCode(ctx context.Context, store *models.Store) (string, error) {
	centers, err := store.Centers(ctx)
	if err != nil {
		return "", err
	}
	for _, c := range centers {
		ws, err := store.WindowsOfCenter(ctx, c.ID)
		if err != nil {
			return "", err
		}
		if len(ws) > 0 {
			return ws[0].Code, nil
		}
	}
	return "", nil
}

// placeAgain asks the place step under way again: the centers, the windows (the choices last
// offered) or the code.
func placeAgain(ctx context.Context, t *Turn, store *models.Store, flow, chooseWindow string) ([]bot.Reply, error) {
	switch t.step() {
	case stepCenter:
		return []bot.Reply{{Text: t.T("choose_center"), Buttons: t.choices()}}, nil
	case stepWindow:
		return []bot.Reply{{Text: chooseWindow, Buttons: t.choices()}}, nil
	}
	return askCode(ctx, t, store, flow)
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

// unknownWindow answers a code that names no window (typed, or from a link with a bad code)
// with a way on: the windows of the center chosen, or the choice of a place again (begin: the
// centers, or the windows of the only one), where a code can still be typed. Text that is no code at all is answered with the
// hint to choose.
func unknownWindow(t *Turn, code string, begin func() ([]bot.Reply, error)) ([]bot.Reply, error) {
	note := t.T("window_unknown", "Code", models.Truncate(code, 40))
	if !models.WindowCodePattern.MatchString(code) && t.step() != "" {
		note = t.hint()
	}
	if t.step() == stepWindow && len(t.sess.Choices) > 0 {
		// The center is chosen: its windows again.
		return []bot.Reply{{Text: note, Buttons: t.choices()}}, nil
	}
	out, err := begin()
	if err != nil {
		return nil, err
	}
	return append([]bot.Reply{{Text: note}}, out...), nil
}
