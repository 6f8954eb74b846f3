// Command loadtest drives real dialogs — WeChat, Telegram webhook and web chat — against running
// windowbot replicas, reports the time of each step and checks afterwards that the database holds
// exactly the ratings and tickets it completed. See docs/operations.md ("Load test").
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"windowbot/internal/loadtest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := loadtest.Main(ctx, os.Args[1:], os.LookupEnv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
