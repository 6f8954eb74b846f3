// Command windowbot rates government service windows and takes complaints (好差评) in chat apps.
// Everything it does is in the packages; internal/cli reads the command line and wires them.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"windowbot/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.LookupEnv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
