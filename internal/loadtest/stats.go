package loadtest

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// stats keeps the time of every step and the errors of a run.
type stats struct {
	mu      sync.Mutex
	steps   map[string][]time.Duration
	errs    map[string]int // by step
	samples []string       // the first errors, in full
}

func newStats() *stats {
	return &stats{steps: map[string][]time.Duration{}, errs: map[string]int{}}
}

func (s *stats) add(step string, d time.Duration, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.errs[step]++
		if len(s.samples) < 20 {
			s.samples = append(s.samples, fmt.Sprintf("%s: %v", step, err))
		}
		return
	}
	s.steps[step] = append(s.steps[step], d)
}

// failure records an error that belongs to no one step (a dialog that ended unexpectedly).
func (s *stats) failure(what string, err error) {
	s.add(what, 0, err)
}

func (s *stats) errorCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, e := range s.errs {
		n += e
	}
	return n
}

// StepFigures are the timings of one step over a run.
type StepFigures struct {
	Step   string
	Count  int
	Errors int
	P50    time.Duration
	P99    time.Duration
	Max    time.Duration
}

// figures returns the timings grouped by group, a function of the key a step was recorded
// under ("wechat rate.level"): the key itself, the step alone, or the platform alone.
func (s *stats) figures(group func(key string) string) []StepFigures {
	s.mu.Lock()
	ds := map[string][]time.Duration{}
	errs := map[string]int{}
	for k, v := range s.steps {
		ds[group(k)] = append(ds[group(k)], v...)
	}
	for k, n := range s.errs {
		g := group(k)
		errs[g] += n
		if _, ok := ds[g]; !ok {
			ds[g] = nil
		}
	}
	s.mu.Unlock()
	var out []StepFigures
	for name, d := range ds {
		slices.Sort(d)
		f := StepFigures{Step: name, Count: len(d), Errors: errs[name]}
		if len(d) > 0 {
			f.P50, f.P99, f.Max = quantile(d, 0.50), quantile(d, 0.99), d[len(d)-1]
		}
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Step < out[j].Step })
	return out
}

func byKey(k string) string { return k }

// byStep drops the platform: "rate.level".
func byStep(k string) string { _, step, _ := strings.Cut(k, " "); return step }

// byPlatform drops the step: "wechat".
func byPlatform(k string) string { p, _, _ := strings.Cut(k, " "); return p }

// quantile of sorted ds, nearest rank.
func quantile(ds []time.Duration, q float64) time.Duration {
	i := int(q*float64(len(ds))+0.999999) - 1
	return ds[max(0, min(i, len(ds)-1))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond)) }

// WriteTable writes the step figures as a Markdown table.
func WriteTable(w io.Writer, fs []StepFigures) {
	fmt.Fprintln(w, "| step | count | errors | p50 ms | p99 ms | max ms |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|")
	for _, f := range fs {
		fmt.Fprintf(w, "| %s | %d | %d | %s | %s | %s |\n", f.Step, f.Count, f.Errors, ms(f.P50), ms(f.P99), ms(f.Max))
	}
}

// String is a short summary of a step.
func (f StepFigures) String() string {
	return fmt.Sprintf("%-22s n=%-7d err=%-4d p50=%7sms p99=%7sms", f.Step, f.Count, f.Errors, ms(f.P50), ms(f.P99))
}
