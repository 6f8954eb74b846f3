package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"windowbot/models"
)

// Metrics counts what the push pipeline and the scheduler do. Each counter is labelled by
// channel (platform) and kind of notice.
type Metrics struct {
	sent, failed, retried, dropped, held *prometheus.CounterVec
	sendSeconds                          *prometheus.HistogramVec
	jobRuns                              *prometheus.CounterVec
}

// QueuedCounter counts the queued pushes by channel and kind; *models.Store implements it.
type QueuedCounter interface {
	QueuedPushes(ctx context.Context) ([]models.PushCount, error)
}

var _ QueuedCounter = (*models.Store)(nil)

// NewMetrics registers the pipeline's metrics with reg. queued (may be nil) is asked at every
// scrape for the gauge windowbot_pushes_queued, so the backlog is exact whichever replica
// is scraped.
func NewMetrics(reg prometheus.Registerer, queued QueuedCounter, logger *slog.Logger) *Metrics {
	counter := func(name, help string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "windowbot", Subsystem: "pushes", Name: name, Help: help,
		}, []string{"channel", "kind"})
	}
	m := &Metrics{
		sent:    counter("sent_total", "Pushes the platform accepted."),
		failed:  counter("failed_total", "Pushes given up on: refused for good or attempts exhausted."),
		retried: counter("retried_total", "Failed send attempts that will be tried again."),
		dropped: counter("dropped_total", "Pushes dropped because the recipient blocked the bot, is inactive or unsubscribed."),
		held:    counter("held_total", "Pushes held back by quiet hours."),
		sendSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "windowbot", Subsystem: "pushes", Name: "send_seconds",
			Help:    "Duration of one send call to the platform.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2, 12),
		}, []string{"channel"}),
		jobRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "windowbot", Subsystem: "jobs", Name: "runs_total",
			Help: "Scheduled job occurrences by result: done, failed, or skipped (claimed before).",
		}, []string{"job", "result"}),
	}
	if reg == nil {
		return m
	}
	reg.MustRegister(m.sent, m.failed, m.retried, m.dropped, m.held, m.sendSeconds, m.jobRuns)
	if queued != nil {
		reg.MustRegister(&queuedCollector{q: queued, logger: logger})
	}
	return m
}

func (m *Metrics) outcome(d *Delivery) {
	if m == nil {
		return
	}
	var c *prometheus.CounterVec
	switch d.Outcome {
	case Sent:
		c = m.sent
	case Failed:
		c = m.failed
	case Retry:
		c = m.retried
	case Dropped:
		c = m.dropped
	case Held:
		c = m.held
	default:
		return
	}
	c.WithLabelValues(string(d.To.Platform), d.Push.Kind).Inc()
}

func (m *Metrics) sendTime(channel string, d time.Duration) {
	if m != nil {
		m.sendSeconds.WithLabelValues(channel).Observe(d.Seconds())
	}
}

func (m *Metrics) jobRun(job, result string) {
	if m != nil {
		m.jobRuns.WithLabelValues(job, result).Inc()
	}
}

var queuedDesc = prometheus.NewDesc("windowbot_pushes_queued",
	"Pushes waiting in the outbox (due or not), by channel and kind.", []string{"channel", "kind"}, nil)

// queuedCollector reads the backlog from the database at scrape time.
type queuedCollector struct {
	q      QueuedCounter
	logger *slog.Logger
}

// Describe implements prometheus.Collector.
func (c *queuedCollector) Describe(ch chan<- *prometheus.Desc) { ch <- queuedDesc }

// Collect counts the backlog now, within five seconds.
func (c *queuedCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts, err := c.q.QueuedPushes(ctx)
	if err != nil {
		c.logger.Warn("metrics: queued pushes not counted", "error", err)
		ch <- prometheus.NewInvalidMetric(queuedDesc, err)
		return
	}
	for _, pc := range counts {
		ch <- prometheus.MustNewConstMetric(queuedDesc, prometheus.GaugeValue, float64(pc.N), pc.Platform, pc.Kind)
	}
}
