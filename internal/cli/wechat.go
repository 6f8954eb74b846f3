package cli

import (
	"context"
	"fmt"
)

// cmdWeChat runs the WeChat set-up subcommands: `wechat menu` installs the menu whose buttons
// start rating, a complaint and tracking.
func cmdWeChat(ctx context.Context, a *app, args []string) error {
	if len(args) == 0 || args[0] != "menu" {
		fmt.Fprintln(a.stderr, "wechat: name a subcommand: menu")
		return errUsage
	}
	if err := parse(flags("wechat menu", a.stderr), args[1:]); err != nil {
		return err
	}
	s, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	wx, closeWx, err := a.wechatAPI(ctx, s)
	if err != nil {
		return err
	}
	defer closeWx()
	if err := wx.InstallMenu(ctx); err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, "wechat: menu installed (rate, complain, track)")
	return nil
}
