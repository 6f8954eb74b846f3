package flows_test

import (
	"context"
	"strings"

	"windowbot/bot"
	"windowbot/flows"
)

// driver drives the engine as a caller does (handlers in production), with just enough of a
// router for the conversations' tests: "/name args" (and a button's "cmd:/name args") starts
// the flow of that name, "/start w_CODE" and "/start s_NO" start rating, "/cancel" ends the
// conversation, and everything else goes to the conversation under way — with none, the engine
// answers that it expired. The commands' own answers, help and the rest are handlers' and are
// tested there.
type driver struct{ engine *flows.Engine }

var _ bot.Handler = driver{}

// Handle begins the turn, starts or continues a flow, and commits the turn.
func (d driver) Handle(ctx context.Context, in bot.Inbound) ([]bot.Reply, error) {
	t, err := d.engine.Begin(ctx, in)
	if err != nil {
		return nil, err
	}
	defer t.Close()
	replies, err := d.route(ctx, t)
	if err != nil {
		return nil, err
	}
	if err := t.Commit(ctx, replies); err != nil {
		return nil, err
	}
	return replies, nil
}

func (d driver) route(ctx context.Context, t *flows.Turn) ([]bot.Reply, error) {
	line := strings.TrimSpace(t.In.Text)
	if cmd, ok := strings.CutPrefix(t.In.Payload, "cmd:"); ok {
		line, t.In.Payload = cmd, ""
	}
	if !strings.HasPrefix(line, "/") {
		return t.Continue(ctx)
	}
	name, arg, _ := strings.Cut(line[1:], " ")
	arg = strings.TrimSpace(arg)
	switch name {
	case "cancel":
		t.End()
		return []bot.Reply{{Text: "(cancelled)"}}, nil
	case "start":
		if code, ok := strings.CutPrefix(arg, "w_"); ok {
			arg = code
		}
		name = flows.RateFlowName
	}
	return t.Start(ctx, name, arg)
}
