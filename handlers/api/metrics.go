package api

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"windowbot/models"
)

// Metrics serves what g gathers, in the Prometheus text format, to callers with the admin
// token; without an admin token it serves nobody, like the admin API.
func Metrics(g prometheus.Gatherer, token string) http.Handler {
	h := promhttp.HandlerFor(g, promhttp.HandlerOpts{})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !authorized(r, token) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="windowbot"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// DefaultBusinessTTL is how long the business figures of /metrics are reused: a scrape within it
// reads nothing from the database.
const DefaultBusinessTTL = 30 * time.Second

// BusinessOptions configures the business figures of /metrics. Store is required.
type BusinessOptions struct {
	Store *models.Store
	// TTL is how long figures are reused (default DefaultBusinessTTL); concurrent scrapes share
	// one reading.
	TTL time.Duration
	// Now decides which tickets are overdue and which pushes are due (default time.Now).
	Now    func() time.Time
	Logger *slog.Logger
}

// The business figures, read at scrape time.
var (
	ratingsDesc = prometheus.NewDesc("windowbot_ratings_total",
		"Ratings on record by level (1-5) and channel, excluded ones too: it only grows.", []string{"level", "channel"}, nil)
	ticketsOpenDesc = prometheus.NewDesc("windowbot_tickets_open",
		"Tickets (bad reviews and complaints) still being handled, by center code.", []string{"center"}, nil)
	ticketsOverdueDesc = prometheus.NewDesc("windowbot_tickets_overdue",
		"Open tickets past the deadline that applies to them, by center code.", []string{"center"}, nil)
	outboxDesc = prometheus.NewDesc("windowbot_outbox_pushes",
		"Pushes in the outbox by state: due (queued, may be sent now), held (queued until later: quiet hours, a retry's backoff), sent, failed, dropped.",
		[]string{"state"}, nil)
	figuresAgeDesc = prometheus.NewDesc("windowbot_business_figures_age_seconds",
		"How old the business figures of this scrape are (they are reused for a while).", nil, nil)
)

// pushStates are the states windowbot_outbox_pushes always reports, zero or not, so that a
// state does not vanish from a graph when its count drops to nothing.
var pushStates = []string{models.PushDue, models.PushHeld, models.PushSent, models.PushFailed, models.PushDropped}

// businessFigures is one reading of the business figures.
type businessFigures struct {
	at      time.Time
	ratings []models.RatingCount
	tickets map[string]*models.TicketCount // by center code
	pushes  map[string]int
}

// businessCollector reads the business figures from the database when Prometheus scrapes,
// through a cache: however often and by however many scrapers, the database is asked at most
// once per TTL, with four grouped counts.
type businessCollector struct {
	o     BusinessOptions
	cache *cache[*businessFigures]
}

// NewBusinessCollector returns the collector of the business figures: ratings by level and
// channel, open and overdue tickets per center, pushes by state with those held until later
// apart from those due. It panics without a Store.
func NewBusinessCollector(o BusinessOptions) prometheus.Collector {
	if o.Store == nil {
		panic("api: NewBusinessCollector needs a Store")
	}
	if o.TTL <= 0 {
		o.TTL = DefaultBusinessTTL
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &businessCollector{o: o, cache: newCache[*businessFigures](o.TTL, o.Now, o.Logger)}
}

// Describe implements prometheus.Collector.
func (c *businessCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{ratingsDesc, ticketsOpenDesc, ticketsOverdueDesc, outboxDesc, figuresAgeDesc} {
		ch <- d
	}
}

// Collect reports the figures, read within ten seconds or reused.
func (c *businessCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	f, err := c.cache.get(ctx, "figures", c.read)
	if err != nil {
		c.o.Logger.Warn("metrics: business figures not read", "err", err)
		for _, d := range []*prometheus.Desc{ratingsDesc, ticketsOpenDesc, ticketsOverdueDesc, outboxDesc} {
			ch <- prometheus.NewInvalidMetric(d, err)
		}
		return
	}
	for _, r := range f.ratings {
		ch <- prometheus.MustNewConstMetric(ratingsDesc, prometheus.CounterValue, float64(r.N), strconv.Itoa(r.Level), r.Channel)
	}
	for code, t := range f.tickets {
		ch <- prometheus.MustNewConstMetric(ticketsOpenDesc, prometheus.GaugeValue, float64(t.Open), code)
		ch <- prometheus.MustNewConstMetric(ticketsOverdueDesc, prometheus.GaugeValue, float64(t.Overdue), code)
	}
	for _, s := range pushStates {
		ch <- prometheus.MustNewConstMetric(outboxDesc, prometheus.GaugeValue, float64(f.pushes[s]), s)
	}
	ch <- prometheus.MustNewConstMetric(figuresAgeDesc, prometheus.GaugeValue, c.o.Now().Sub(f.at).Seconds())
}

// read counts the figures now.
func (c *businessCollector) read(ctx context.Context) (*businessFigures, error) {
	now := c.o.Now()
	f := &businessFigures{at: now, tickets: map[string]*models.TicketCount{}, pushes: map[string]int{}}
	var err error
	if f.ratings, err = c.o.Store.RatingCounts(ctx); err != nil {
		return nil, err
	}
	centers, err := c.o.Store.Centers(ctx)
	if err != nil {
		return nil, err
	}
	codes := make(map[uint]string, len(centers))
	for _, ctr := range centers {
		codes[ctr.ID] = ctr.Code
		f.tickets[ctr.Code] = &models.TicketCount{CenterID: ctr.ID}
	}
	counts, err := c.o.Store.TicketCounts(ctx, nil, now)
	if err != nil {
		return nil, err
	}
	for _, tc := range counts {
		if t := f.tickets[codes[tc.CenterID]]; t != nil {
			t.Open += tc.Open
			t.Overdue += tc.Overdue
		}
	}
	states, err := c.o.Store.PushStates(ctx, now)
	if err != nil {
		return nil, err
	}
	for _, s := range states {
		f.pushes[s.State] = s.N
	}
	return f, nil
}
