//go:build chaos

package chaos_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	gormlogger "gorm.io/gorm/logger"

	"windowbot/internal/loadtest"
)

// cluster is windowbot's replicas on a private PostgreSQL and Redis, with the fake platforms
// the load tool serves.
type cluster struct {
	bin, dbURL, pair, pgDir string
	// haDir and master are the Redis Sentinel set-up's (newCluster with sentinel): its folder and
	// the master's port.
	haDir, haScript string
	master          int
	env             []string
	replicas        []*process
	urls            []string
	redis           *process
	rdb             *redis.Client
	db              *gorm.DB
	plat            *loadtest.Platforms
}

// newCluster builds the binary and starts the servers and n replicas, the demo center seeded
// and every staff member given a Telegram account (so bad reviews and complaints go through the
// outbox).
//
// With sentinel, Redis is a master, its replica and three sentinels (scripts/redis-ha.sh) and the
// replicas reach it through the sentinels (redis.mode sentinel); otherwise one Redis server.
func newCluster(t *testing.T, n int, sentinel bool) *cluster {
	root := repoRoot(t)
	dir := t.TempDir()
	ctx := context.Background()
	c := &cluster{}

	// The binary, built once.
	c.bin = filepath.Join(dir, "windowbot")
	build := exec.Command("go", "build", "-o", c.bin, ".")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}

	// A private PostgreSQL (primary and standby; the run uses the primary) and a private Redis
	// that writes every command to its append-only file, so that a restart keeps the sessions.
	// Not t.TempDir: the servers run as the postgres user, who must reach the folder.
	pgBase, err := os.MkdirTemp("", "windowbot-chaos-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(pgBase, 0o755); err != nil {
		t.Fatal(err)
	}
	pgPort := freePort(t)
	c.pgDir, c.pair = filepath.Join(pgBase, "pg"), filepath.Join(root, "scripts", "pg-pair.sh")
	t.Cleanup(func() {
		_ = exec.Command("bash", c.pair, "stop", c.pgDir).Run()
		os.RemoveAll(pgBase)
	})
	run(t, "bash", c.pair, "start", c.pgDir, fmt.Sprint(pgPort), fmt.Sprint(freePort(t)))
	c.dbURL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", pgPort)
	var redisEnv []string
	if sentinel {
		c.haDir, c.haScript = filepath.Join(dir, "redis-ha"), filepath.Join(root, "scripts", "redis-ha.sh")
		c.master = freePort(t)
		ports := []int{c.master, freePort(t), freePort(t), freePort(t), freePort(t)}
		args := []string{c.haScript, "sentinel", c.haDir}
		var sentinels []string
		for i, p := range ports {
			args = append(args, fmt.Sprint(p))
			if i >= 2 {
				sentinels = append(sentinels, fmt.Sprintf("127.0.0.1:%d", p))
			}
		}
		t.Cleanup(func() { _ = exec.Command("bash", c.haScript, "stop", c.haDir).Run() })
		run(t, "bash", args...)
		c.rdb = redis.NewFailoverClient(&redis.FailoverOptions{MasterName: "windowbot", SentinelAddrs: sentinels})
		redisEnv = []string{"WINDOWBOT_REDIS_MODE=sentinel", "WINDOWBOT_REDIS_ADDRS=" + strings.Join(sentinels, ","),
			"WINDOWBOT_REDIS_MASTER=windowbot"}
	} else {
		redisPort := freePort(t)
		redisDir := filepath.Join(dir, "redis")
		if err := os.MkdirAll(redisDir, 0o755); err != nil {
			t.Fatal(err)
		}
		c.redis = &process{t: t, name: "redis", log: &bytes.Buffer{}, env: os.Environ(), args: []string{"redis-server",
			"--port", fmt.Sprint(redisPort), "--bind", "127.0.0.1", "--dir", redisDir, "--save", "",
			"--appendonly", "yes", "--appendfsync", "always"}}
		c.redis.start()
		t.Cleanup(c.redis.kill)
		c.rdb = redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", redisPort)})
		redisEnv = []string{fmt.Sprintf("WINDOWBOT_REDIS_URL=redis://127.0.0.1:%d/0", redisPort)}
	}
	t.Cleanup(func() { c.rdb.Close() })
	for deadline := time.Now().Add(10 * time.Second); c.rdb.Ping(ctx).Err() != nil; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("redis did not start")
		}
	}

	// The fake platforms the load tool serves and the replicas call.
	c.plat = loadtest.NewPlatforms(botToken)
	platLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	platSrv := &http.Server{Handler: c.plat}
	go func() { _ = platSrv.Serve(platLn) }()
	t.Cleanup(func() { platSrv.Close() })

	c.env = append(append(os.Environ(), redisEnv...),
		"WINDOWBOT_DATABASE_URL="+c.dbURL,
		"WINDOWBOT_PUBLIC_URL=https://hall.example.gov.cn", "WINDOWBOT_ADMIN_TOKEN=chaos-admin-token-0123456",
		"WINDOWBOT_LOG_LEVEL=warn", "WINDOWBOT_SHUTDOWN_TIMEOUT=5s", "WINDOWBOT_PUSH_QUIET_HOURS=",
		// The fake Bot API has no limits: pacing would only make the outbox take minutes to drain.
		"WINDOWBOT_PUSH_TELEGRAM_RATE=0", "WINDOWBOT_PUSH_TELEGRAM_CHAT_INTERVAL=0s",
		// The pushes a killed replica had leased wait out the lease: short, so the run sees them sent.
		"WINDOWBOT_PUSH_LEASE=15s",
		"WINDOWBOT_WECHAT_APP_ID="+appID, "WINDOWBOT_WECHAT_APP_SECRET=chaossecret", "WINDOWBOT_WECHAT_TOKEN="+wxToken,
		"WINDOWBOT_WECHAT_AES_KEY="+aesKey, "WINDOWBOT_WECHAT_API_URL=http://"+platLn.Addr().String(),
		"WINDOWBOT_TELEGRAM_TOKEN="+botToken, "WINDOWBOT_TELEGRAM_API_URL=http://"+platLn.Addr().String(),
		"WINDOWBOT_TELEGRAM_MODE=webhook", "WINDOWBOT_TELEGRAM_WEBHOOK_SECRET="+secret, "WINDOWBOT_TELEGRAM_USERNAME=ChaosBot",
	)
	seed := exec.Command(c.bin, "seed", "--demo")
	seed.Env = c.env
	if out, err := seed.CombinedOutput(); err != nil {
		t.Fatalf("seed: %v\n%s", err, out)
	}
	if c.db, err = gorm.Open(postgres.Open(c.dbURL), &gorm.Config{Logger: gormlogger.Discard}); err != nil {
		t.Fatal(err)
	}
	if err := c.db.Exec(`INSERT INTO citizens (platform, external_id, staff_id, lang, created_at, updated_at, last_seen_at)
		SELECT 'telegram', CAST(900000 + id AS TEXT), id, 'zh-CN', now(), now(), now() FROM staffs`).Error; err != nil {
		t.Fatal(err)
	}
	for i := range n {
		port := freePort(t)
		p := &process{t: t, name: fmt.Sprintf("replica %d", i), log: &bytes.Buffer{},
			env: append(slices.Clone(c.env), fmt.Sprintf("WINDOWBOT_HTTP_ADDR=127.0.0.1:%d", port)), args: []string{c.bin, "serve"}}
		p.start()
		t.Cleanup(p.kill)
		c.replicas = append(c.replicas, p)
		c.urls = append(c.urls, fmt.Sprintf("http://127.0.0.1:%d", port))
	}
	for _, u := range c.urls {
		waitHTTP(t, u+"/readyz", 30*time.Second)
	}
	return c
}

// load runs the load tool against targets for d.
func (c *cluster) load(ctx context.Context, targets []string, d time.Duration, seed uint64) (*loadtest.Report, string, error) {
	var progress bytes.Buffer
	rep, err := loadtest.Run(ctx, loadtest.Options{
		Targets: targets, Duration: d, Concurrency: 8, Seed: seed,
		WeChatAppID: appID, WeChatToken: wxToken, WeChatAESKey: aesKey, TelegramSecret: secret,
		DatabaseURL: c.dbURL, Platforms: c.plat, Progress: &progress, ProgressEvery: 10 * time.Second,
	})
	return rep, progress.String(), err
}

// drained waits up to a minute for every push to be sent (or dropped for a recipient gone) and
// returns how many pushes there are, those still waiting by state, and the doubled dedupe keys.
func (c *cluster) drained() (pushes int64, waiting map[string]int, doubled int64) {
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		var rows []struct {
			State string
			N     int
		}
		c.db.Raw("SELECT state, COUNT(*) AS n FROM pushes WHERE state NOT IN ('sent', 'dropped') GROUP BY state").Scan(&rows)
		waiting = map[string]int{}
		for _, r := range rows {
			waiting[r.State] = r.N
		}
		if len(waiting) == 0 || time.Now().After(deadline) {
			break
		}
	}
	c.db.Raw("SELECT COUNT(*) FROM pushes").Scan(&pushes)
	c.db.Raw("SELECT COUNT(*) FROM (SELECT dedupe_key FROM pushes GROUP BY dedupe_key HAVING COUNT(*) > 1) d").Scan(&doubled)
	return pushes, waiting, doubled
}

// held logs a load's report and fails the test unless the database holds exactly what the
// citizens were told (the load tool's ledger check).
func held(t *testing.T, rep *loadtest.Report, progress string) {
	t.Helper()
	var report strings.Builder
	rep.Write(&report, false)
	t.Logf("load:\n%s\n%s", progress, report.String())
	if rep.Check == nil || !rep.Check.OK() {
		t.Errorf("the database does not hold what the citizens were told: %v", rep.Check)
	}
}
