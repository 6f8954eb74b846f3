package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"windowbot/bot"
	"windowbot/internal/testenv"
	"windowbot/jobs"
	"windowbot/jobs/report"
	"windowbot/models"
)

// provincial is a fake provincial 好差评 endpoint: it checks the bearer token, accepts a record
// ID once and answers a repeat 409 (the same record), as the interface asks of the platform.
type provincial struct {
	mu       sync.Mutex
	accepted map[string]int // record ID → times accepted (must end at 1)
	repeats  map[string]int // record ID → times sent again after it was accepted
	records  map[string]report.Record
	onPost   func(replica string) // called after a record is accepted, before the answer
}

func newProvincial() *provincial {
	return &provincial{accepted: map[string]int{}, repeats: map[string]int{}, records: map[string]report.Record{}}
}

func (p *provincial) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer secret-token" {
		http.Error(w, `{"code":"401","msg":"bad token"}`, http.StatusUnauthorized)
		return
	}
	body, _ := io.ReadAll(r.Body)
	var rec report.Record
	if err := json.Unmarshal(body, &rec); err != nil || rec.RecordID == "" || r.Header.Get(report.IDHeader) != rec.RecordID {
		http.Error(w, `{"code":"400"}`, http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	if p.accepted[rec.RecordID] > 0 {
		p.repeats[rec.RecordID]++
		p.mu.Unlock()
		w.WriteHeader(http.StatusConflict)
		return
	}
	p.accepted[rec.RecordID]++
	p.records[rec.RecordID] = rec
	hook := p.onPost
	p.mu.Unlock()
	if hook != nil {
		hook(r.Header.Get("X-Replica"))
	}
	fmt.Fprint(w, `{"code":"200","msg":"ok"}`)
}

// replicaTransport names the replica on each request, so the fake endpoint can kill one.
type replicaTransport struct{ name string }

func (rt replicaTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Replica", rt.name)
	return http.DefaultTransport.RoundTrip(r)
}

// TestReportSenderTwoReplicasOneKilled: two replicas send the report outbox to the provincial
// endpoint at once; one is killed in the middle of its batch, right after the platform accepted a
// record it had not yet marked sent. Once its lease lapses the other replica sends the rest:
// every rating reaches the platform, each accepted once (the killed replica's last record comes
// again under the same ID and is answered "already have it"), and the outbox ends all sent.
func TestReportSenderTwoReplicasOneKilled(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := ctxT(t)
		oneWindow(t, s)
		w, err := s.WindowByCode(ctx, "W001")
		if err != nil {
			t.Fatal(err)
		}
		const n = 40
		at := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
		for i := range n {
			c := citizen(t, s, bot.WeChat, fmt.Sprintf("o-report-%02d", i))
			r := &models.Rating{WindowID: w.ID, CitizenID: c.ID, Level: 5 - i%3, Praise: "warm", Channel: "wechat",
				Comment: "很好，电话 13812345678", CreatedAt: at.Add(time.Duration(i) * time.Second)}
			if err := s.CreateRating(ctx, r, at.Add(-time.Hour)); err != nil {
				t.Fatal(err)
			}
		}

		p := newProvincial()
		srv := httptest.NewServer(p)
		t.Cleanup(srv.Close)
		clk := testenv.NewClock(at.Add(time.Minute))
		mapper := report.NewMapper(report.Mapping{AreaCode: "310000", DataSource: "001"}, testenv.Shanghai)
		sender := func(name string) *jobs.ReportSender {
			cl, err := report.NewClient(report.Config{URL: srv.URL, Auth: report.AuthBearer, Token: "secret-token"},
				report.Options{HTTPClient: &http.Client{Transport: replicaTransport{name}, Timeout: 10 * time.Second}})
			if err != nil {
				t.Fatal(err)
			}
			return &jobs.ReportSender{Store: s, Client: cl, Mapper: mapper, Now: clk.Now, Batch: 8, Lease: time.Minute}
		}
		one, two := sender("one"), sender("two")

		oneCtx, kill := context.WithCancel(ctx)
		var once sync.Once
		seen := 0
		p.onPost = func(replica string) {
			if replica != "one" {
				return
			}
			p.mu.Lock()
			seen++
			k := seen == 3
			p.mu.Unlock()
			if k {
				once.Do(kill) // killed after the platform took its third record, before it settled it
			}
		}
		var wg sync.WaitGroup
		wg.Go(func() {
			for oneCtx.Err() == nil {
				if _, err := one.Once(oneCtx); err != nil && !errors.Is(err, context.Canceled) {
					t.Error(err)
					return
				}
			}
		})
		wg.Go(func() {
			for {
				b, err := two.Once(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				if oneCtx.Err() != nil && b.Sent == 0 {
					return
				}
			}
		})
		wg.Wait()

		st, err := s.ReportStatus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Pending == 0 {
			t.Fatalf("nothing was left leased by the killed replica: %+v", st)
		}
		clk.Add(2 * time.Minute) // the killed replica's lease lapses
		for {
			b, err := two.Once(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if b.Sent == 0 {
				break
			}
		}

		if st, err = s.ReportStatus(ctx); err != nil || st.Sent != n || st.Pending != 0 || st.Failed != 0 {
			t.Fatalf("outbox %+v (%v), want %d sent", st, err, n)
		}
		if len(p.accepted) != n {
			t.Fatalf("the platform has %d records, want %d", len(p.accepted), n)
		}
		repeats := 0
		for id, k := range p.accepted {
			if k != 1 {
				t.Errorf("record %s accepted %d times", id, k)
			}
			repeats += p.repeats[id]
		}
		if repeats != 1 {
			t.Errorf("%d records came again, want exactly the killed replica's unsettled one", repeats)
		}
		for id, rec := range p.records {
			if rec.AreaCode != "310000" || rec.WindowCode != "W001" || rec.ProManager != "" && rec.ProManager != "张伟" ||
				strings.Contains(rec.WritingEvaluation, "13812345678") || rec.Satisfaction == "" || rec.AssessTime == "" {
				t.Fatalf("record %s: %+v", id, rec)
			}
		}
	})
}

// TestReportSenderWaitsAsTold: a platform answering 429 with Retry-After gets the record again
// only after the wait it asked for, a 400 fails the record for good, and a later try that is
// accepted marks it sent.
func TestReportSenderWaitsAsTold(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := ctxT(t)
		oneWindow(t, s)
		w, _ := s.WindowByCode(ctx, "W001")
		at := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
		for i, level := range []int{5, 4} {
			c := citizen(t, s, bot.WeChat, fmt.Sprintf("o-wait-%d", i))
			if err := s.CreateRating(ctx, &models.Rating{WindowID: w.ID, CitizenID: c.ID, Level: level, Channel: "wechat", CreatedAt: at}, at.Add(-time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		var mu sync.Mutex
		busy := true
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var rec report.Record
			json.NewDecoder(r.Body).Decode(&rec)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case rec.Satisfaction == "4":
				http.Error(w, `{"code":"400","msg":"bad deptCode"}`, http.StatusBadRequest)
			case busy:
				w.Header().Set("Retry-After", "120")
				w.WriteHeader(http.StatusTooManyRequests)
			default:
				fmt.Fprint(w, `{"code":"200"}`)
			}
		}))
		t.Cleanup(srv.Close)
		cl, err := report.NewClient(report.Config{URL: srv.URL, Auth: report.AuthNone}, report.Options{})
		if err != nil {
			t.Fatal(err)
		}
		clk := testenv.NewClock(at.Add(time.Minute))
		sender := &jobs.ReportSender{Store: s, Client: cl, Mapper: report.NewMapper(report.Mapping{}, testenv.Shanghai), Now: clk.Now}
		if b, err := sender.Once(ctx); err != nil || b != (jobs.ReportBatch{Retried: 1, Failed: 1}) {
			t.Fatalf("first batch %+v (%v)", b, err)
		}
		mu.Lock()
		busy = false
		mu.Unlock()
		clk.Add(119 * time.Second)
		if b, err := sender.Once(ctx); err != nil || b != (jobs.ReportBatch{}) {
			t.Fatalf("before the wait: %+v (%v), want nothing sent", b, err)
		}
		clk.Add(2 * time.Second)
		if b, err := sender.Once(ctx); err != nil || b != (jobs.ReportBatch{Sent: 1}) {
			t.Fatalf("after the wait: %+v (%v)", b, err)
		}
		st, err := s.ReportStatus(ctx)
		if err != nil || st.Sent != 1 || st.Failed != 1 || st.Pending != 0 || !strings.Contains(st.LastError, "400") {
			t.Fatalf("status %+v (%v)", st, err)
		}
	})
}
