package cli

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"
)

// cmdHealthcheck is `windowbot healthcheck`: it asks a running server's /healthz and succeeds
// when it answers 200. The image has no curl or wget, so its HEALTHCHECK runs this. The server
// is the one this configuration describes (http_addr, on this machine) unless --url names
// another.
func cmdHealthcheck(ctx context.Context, a *app, args []string) error {
	fs := flags("healthcheck", a.stderr)
	url := fs.String("url", "", "the health URL (default http://127.0.0.1:<port of http_addr>/healthz)")
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for the answer")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *url == "" {
		u, err := healthURL(a.cfg.HTTPAddr)
		if err != nil {
			return err
		}
		*url = u
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %s", *url, res.Status)
	}
	fmt.Fprintln(a.stdout, "ok")
	return nil
}

// healthURL is the /healthz of a server listening on addr, reached on this machine: a wildcard
// host (":8080", "0.0.0.0:8080", "[::]:8080") is reached on the loopback.
func healthURL(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("healthcheck: http_addr %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/healthz", nil
}
