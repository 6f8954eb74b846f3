// Package deploy holds the files that run windowbot with two replicas under docker compose,
// Prometheus and Grafana. Its test checks that they fit together and fit the program: docker
// itself is not needed to run it.
package deploy_test

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"gopkg.in/yaml.v3"

	"windowbot/handlers/api"
	"windowbot/internal/testenv"
	"windowbot/jobs"
)

type compose struct {
	Services map[string]struct {
		Image       string
		Environment map[string]string
		Secrets     []string
		Volumes     []string
		Ports       []string
	}
	Secrets map[string]struct{ Environment string }
}

// scrapeConfig is what the test reads of a job in prometheus.yml.
type scrapeConfig struct {
	JobName       string `yaml:"job_name"`
	MetricsPath   string `yaml:"metrics_path"`
	Authorization struct {
		Type            string
		CredentialsFile string `yaml:"credentials_file"`
	}
	StaticConfigs []struct{ Targets []string } `yaml:"static_configs"`
}

func readCompose(t *testing.T) compose {
	t.Helper()
	b, err := os.ReadFile("docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var c compose
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestComposeRunsTwoReplicasOnSharedStores(t *testing.T) {
	c := readCompose(t)
	var replicas []string
	ports := map[string]bool{}
	for name, s := range c.Services {
		if !strings.HasPrefix(name, "windowbot-") {
			continue
		}
		replicas = append(replicas, name)
		if s.Image != "windowbot:local" || !strings.HasPrefix(s.Environment["WINDOWBOT_DATABASE_URL"], "postgres://") ||
			!strings.Contains(s.Environment["WINDOWBOT_DATABASE_URL"], "@postgres:5432/") ||
			s.Environment["WINDOWBOT_REDIS_URL"] != "redis://redis:6379/0" ||
			!strings.HasPrefix(s.Environment["WINDOWBOT_ADMIN_TOKEN"], "${WINDOWBOT_ADMIN_TOKEN:?") {
			t.Errorf("%s: %+v", name, s)
		}
		for _, p := range s.Ports {
			if ports[p] || !strings.HasSuffix(p, ":8080") {
				t.Errorf("%s: port %s", name, p)
			}
			ports[p] = true
		}
	}
	if len(replicas) != 2 {
		t.Fatalf("replicas %v, want two", replicas)
	}
	for _, svc := range []string{"postgres", "redis", "prometheus", "grafana"} {
		if _, ok := c.Services[svc]; !ok {
			t.Errorf("no %s service", svc)
		}
	}
	if c.Secrets["admin_token"].Environment != "WINDOWBOT_ADMIN_TOKEN" || !slices.Contains(c.Services["prometheus"].Secrets, "admin_token") {
		t.Errorf("prometheus does not get the admin token as a secret: %+v", c.Secrets)
	}

	// Prometheus scrapes each replica with that token.
	b, err := os.ReadFile("prometheus.yml")
	if err != nil {
		t.Fatal(err)
	}
	var prom struct {
		ScrapeConfigs []scrapeConfig `yaml:"scrape_configs"`
	}
	if err := yaml.Unmarshal(b, &prom); err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(prom.ScrapeConfigs, func(s scrapeConfig) bool { return s.JobName == "windowbot" })
	if i < 0 {
		t.Fatal("no windowbot job in prometheus.yml")
	}
	job := prom.ScrapeConfigs[i]
	if job.MetricsPath != "/metrics" || job.Authorization.Type != "Bearer" || job.Authorization.CredentialsFile != "/run/secrets/admin_token" {
		t.Errorf("windowbot job: %+v", job)
	}
	var targets []string
	for _, sc := range job.StaticConfigs {
		targets = append(targets, sc.Targets...)
	}
	slices.Sort(targets)
	slices.Sort(replicas)
	for i := range replicas {
		replicas[i] += ":8080"
	}
	if !slices.Equal(targets, replicas) {
		t.Errorf("prometheus scrapes %v, the replicas are %v", targets, replicas)
	}

	// The image checks its own health.
	df, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^HEALTHCHECK .*\\\n\s+CMD \["/usr/local/bin/windowbot", "healthcheck"\]`).Match(df) {
		t.Error("the Dockerfile has no HEALTHCHECK running windowbot healthcheck")
	}
}

// describer collects the names of the metrics registered with it.
type describer struct{ names map[string]bool }

var descName = regexp.MustCompile(`fqName: "([a-z_:]+)"`)

func (d describer) Register(c prometheus.Collector) error {
	ch := make(chan *prometheus.Desc, 100)
	c.Describe(ch)
	close(ch)
	for desc := range ch {
		if m := descName.FindStringSubmatch(desc.String()); m != nil {
			d.names[m[1]] = true
		}
	}
	return nil
}
func (d describer) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		_ = d.Register(c)
	}
}
func (d describer) Unregister(prometheus.Collector) bool { return true }

// Every windowbot metric the dashboard queries is one the program exports.
func TestDashboardQueriesExportedMetrics(t *testing.T) {
	d := describer{names: map[string]bool{}}
	jobs.NewMetrics(d, nil, nil)
	d.MustRegister(api.NewBusinessCollector(api.BusinessOptions{Store: testenv.OpenStore(t, testenv.SQLiteURL(t))}))
	b, err := os.ReadFile("grafana/windowbot.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		UID    string
		Panels []struct {
			Title   string
			Type    string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatal(err)
	}
	used := regexp.MustCompile(`windowbot_[a-z_]+`)
	queried := 0
	for _, p := range dash.Panels {
		if p.Type != "row" && len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			for _, name := range used.FindAllString(tg.Expr, -1) {
				queried++
				base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_sum"), "_count")
				if !d.names[name] && !d.names[base] {
					t.Errorf("panel %q queries %s, which windowbot does not export", p.Title, name)
				}
			}
		}
	}
	for _, want := range []string{"windowbot_ratings_total", "windowbot_tickets_open", "windowbot_tickets_overdue", "windowbot_outbox_pushes"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the dashboard does not show %s", want)
		}
	}
	if dash.UID != "windowbot" || queried < 10 {
		t.Errorf("dashboard %q queries %d windowbot metrics", dash.UID, queried)
	}
}
