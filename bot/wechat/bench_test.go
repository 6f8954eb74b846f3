package wechat_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/cache"
	"github.com/silenceper/wechat/v2/officialaccount"
	oaconfig "github.com/silenceper/wechat/v2/officialaccount/config"
	"github.com/silenceper/wechat/v2/officialaccount/message"

	"windowbot/bot"
	"windowbot/bot/wechat"
	"windowbot/bot/wechat/wechattest"
	"windowbot/flows"
	"windowbot/flows/state"
	"windowbot/handlers"
	"windowbot/internal/testenv"
	"windowbot/internal/text"
	"windowbot/models"
)

// benchMsgID keeps message ids unique across benchmark runs that share one Redis.
var benchMsgID atomic.Int64

func init() { benchMsgID.Store(time.Now().UnixNano()) }

// BenchmarkCallback sends signed safe-mode messages over HTTP at 1, 16 and 64 concurrent senders
// and reports messages/s and p50/p99/max latency, each server measured in the same process, one after
// the other, so the ratios to the floor mean something on a shared machine:
//
//   - floor: the SDK's own server (silenceper officialaccount server.Serve) echoing the text,
//     which checks the signatures, decrypts, parses and encrypts the reply, and nothing else;
//   - channel: this adapter with Redis claims and cached answers, around a handler that echoes;
//   - help-pg: this adapter, Redis, the router (with the desk) and engine with Redis sessions
//     and PostgreSQL, each message a /help command from one user per sender;
//   - dialog-pg, dialog-sqlite: the same stack, each sender a stream of citizens rating a window
//     (benchDialog): a QR scan, then the choices of the rating typed as their numbers, as WeChat
//     users answer, every other rating a bad review that opens a ticket. Each message is timed
//     alone; afterwards the database must hold exactly the ratings the senders completed.
//   - hall-pg, hall-sqlite: the same dialogs in a hall's proportions: a citizen rates up to
//     benchWindows windows (one a dialog) before the next citizen comes, so most scans find
//     their citizen already known, and one rating in hallBadEvery is a bad review (the province's
//     data set has 2.5 %).
//
// Run with: go test -run '^$' -bench BenchmarkCallback -benchtime 3s ./bot/wechat/
// (-bench 'BenchmarkCallback/(floor|dialog-pg|dialog-sqlite)/senders=64' for the comparison of
// issue 17).
func BenchmarkCallback(b *testing.B) {
	for _, kind := range []string{"floor", "channel", "help-pg", "dialog-pg", "dialog-sqlite", "hall-pg", "hall-sqlite"} {
		for _, c := range []int{1, 16, 64} {
			b.Run(fmt.Sprintf("%s/senders=%d", kind, c), func(b *testing.B) {
				srv := benchServer(b, kind)
				crypto, err := wechat.NewCrypto(testAppID, sampleAESKey)
				if err != nil {
					b.Fatal(err)
				}
				client := &wechattest.Client{URL: srv.url, Token: testToken, AppID: testAppID, Account: testAccount,
					Crypto: crypto, HTTP: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128}}}
				script := helpScript
				switch {
				case strings.HasPrefix(kind, "dialog"):
					script = dialogScript(b.Name(), 1, 2)
				case strings.HasPrefix(kind, "hall"):
					script = dialogScript(b.Name(), benchWindows, hallBadEvery)
				}
				done := benchLoad(b, client, c, script)
				if srv.store != nil && kind != "help-pg" {
					var n int64
					if err := testenv.DB(b, srv.store).Model(&models.Rating{}).Count(&n).Error; err != nil {
						b.Fatal(err)
					}
					if n != done {
						b.Errorf("%d ratings stored, %d completed", n, done)
					}
				}
			})
		}
	}
}

// benchWindows is how many windows the dialog benchmarks rate, one staff member each.
const benchWindows = 50

// script returns the messages of a sender's exchange n (0, 1, … for each sender) and whether its
// last one completes a rating. Each exchange is the sender's own: a message of it is sent only
// after the previous one was answered.
type script func(client *wechattest.Client, sender int, n int64) (msgs []wechattest.Message, rates bool)

func helpScript(client *wechattest.Client, sender int, _ int64) ([]wechattest.Message, bool) {
	return []wechattest.Message{client.Text(fmt.Sprintf("oBench%023d", sender), "/help", benchMsgID.Add(1))}, false
}

// hallBadEvery is how often a rating of the hall benchmarks is a bad review: one in 32.
const hallBadEvery = 32

// dialogScript rates window n%benchWindows, as a user of its own for every perCitizen exchanges
// (a citizen rates a window once a day, so at most benchWindows): scan the window's QR code, then,
// typed as numbers, 不满意, confirm, the first problem, 选好了, a comment and 说完了 — a bad
// review and its ticket — once in badEvery exchanges, otherwise 非常满意, the first praise, 选好了
// and 跳过.
func dialogScript(name string, perCitizen, badEvery int64) script {
	run := strings.NewReplacer("/", "", "=", "", "-", "")
	tag := run.Replace(name)
	tag = tag[max(0, len(tag)-20):]
	// A bad review ticks the first aspect (工作效能), then, asked about it, its first problem and
	// 选好了 in one message.
	aspectsDone := strconv.Itoa(len(models.Aspects) + 1)
	firstProblem := "1 " + strconv.Itoa(len(models.Aspects[0].Problems)+1)
	praiseDone := strconv.Itoa(len(models.PraiseTags) + 1)
	return func(client *wechattest.Client, sender int, n int64) ([]wechattest.Message, bool) {
		user := fmt.Sprintf("o%s%d_%d_%d", tag, benchRun, sender, n/perCitizen)
		text := func(s string) wechattest.Message { return client.Text(user, s, benchMsgID.Add(1)) }
		// WeChat tells an event's retry by its sender and second: a citizen's scans in the same
		// second would be one delivery, which no person does; each scan of a user is a second later.
		at := time.Now().Unix() + n%perCitizen
		msgs := []wechattest.Message{client.Event(user, "SCAN", fmt.Sprintf("w_B%03d", n%benchWindows), at)}
		if n%badEvery == 0 {
			return append(msgs, text("4"), text("1"), text("1"), text(aspectsDone), text(firstProblem), text("窗口人员态度冷淡"), text("1")), true
		}
		return append(msgs, text("1"), text("1"), text(praiseDone), text("1")), true
	}
}

func problemKeys() []string {
	var keys []string
	for _, a := range models.Aspects {
		keys = append(keys, a.Problems...)
	}
	return keys
}

// benchRun tells the users of one benchmark process from those of another sharing a database.
var benchRun = time.Now().Unix() % 100000

// benchServed is a server under test: its callback URL and, for the full stack, its store.
type benchServed struct {
	url   string
	store *models.Store
}

func benchServer(b *testing.B, kind string) benchServed {
	b.Helper()
	var h http.Handler
	var out benchServed
	switch kind {
	case "floor":
		oa := officialaccount.NewOfficialAccount(&oaconfig.Config{AppID: testAppID, AppSecret: testSecret,
			Token: testToken, EncodingAESKey: sampleAESKey, Cache: cache.NewMemory()})
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			srv := oa.GetServer(r, w)
			srv.SetMessageHandler(func(m *message.MixMessage) *message.Reply {
				return &message.Reply{MsgType: message.MsgTypeText, MsgData: message.NewText(m.Content)}
			})
			if err := srv.Serve(); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			_ = srv.Send()
		})
	default:
		st, err := state.OpenRedis(context.Background(), testenv.RedisURL(b), testenv.KeyPrefix(b))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { st.Close() })
		var handler bot.Handler = echoHandler{}
		var citizens wechat.Citizens = citizenStore(b)
		if kind != "channel" {
			url := testenv.PostgresURL(b)
			if strings.HasSuffix(kind, "-sqlite") {
				url = testenv.SQLiteURL(b)
			}
			store := testenv.OpenStore(b, url)
			if kind != "help-pg" {
				benchPlaces(b, store)
			}
			eng := flows.NewEngine(flows.Options{State: st, Store: store},
				flows.CitizenFlows(store, st, testenv.Shanghai, 1, 30*time.Minute)...)
			desk := handlers.NewDesk(handlers.DeskOptions{Store: store, State: st,
				Pseudonyms: models.NewPseudonyms([]byte("bench secret")), Target: 0.95})
			handler, citizens = handlers.NewRouter(eng, nil, handlers.WithDesk(desk), handlers.WithSubscriptions(store)), store
			out.store = store
		}
		a, err := wechat.New(wechat.Options{AppID: testAppID, AppSecret: testSecret, Token: testToken,
			AESKey: sampleAESKey, APIURL: "http://127.0.0.1:9", DedupeTTL: time.Minute,
			Handler: handler, State: st, Citizens: citizens})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = a.Close(context.Background()) })
		mux := http.NewServeMux()
		a.Routes(mux)
		h = mux
	}
	srv := httptest.NewServer(h)
	b.Cleanup(srv.Close)
	out.url = srv.URL + "/wechat"
	return out
}

// benchPlaces imports one center of benchWindows windows B000…, one staff member each, so a
// rating names its staff member without asking.
func benchPlaces(b *testing.B, store *models.Store) {
	b.Helper()
	var wcsv, scsv strings.Builder
	wcsv.WriteString(models.WindowsCSVHeader)
	scsv.WriteString(models.StaffCSVHeader)
	for w := range benchWindows {
		fmt.Fprintf(&wcsv, "\nC01,便民服务中心,B%03d,窗口%d,部门", w, w)
		fmt.Fprintf(&scsv, "\nSB%03d,工作人员%d,B%03d,staff", w, w, w)
	}
	if _, err := store.Import(context.Background(), strings.NewReader(wcsv.String()), "w.csv",
		strings.NewReader(scsv.String()), "s.csv"); err != nil {
		b.Fatal(err)
	}
}

// benchLoad runs b.N messages of scripted exchanges from senders goroutines, reports throughput
// and latency, and returns how many ratings the exchanges completed. An answer that is not a
// passive reply, or that says the bot is busy or did not follow, fails the benchmark.
func benchLoad(b *testing.B, client *wechattest.Client, senders int, next script) int64 {
	var sent, rated atomic.Int64
	lat := make([][]time.Duration, senders)
	bad := map[string]bool{}
	for _, k := range []string{"busy", "stale_choice", "expired", "not_understood"} {
		bad[text.T(text.ZH, k)] = true
	}
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for s := 0; s < senders; s++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each sender numbers its own exchanges: a script's citizen is a sender's, and rates
			// its windows one after the other.
			for n := int64(0); sent.Load() < int64(b.N); n++ {
				msgs, rates := next(client, s, n)
				for i, m := range msgs {
					sent.Add(1)
					t0 := time.Now()
					rep, err := client.Send(context.Background(), m)
					lat[s] = append(lat[s], time.Since(t0))
					if err != nil || !rep.Passive || rep.Text == "" {
						b.Errorf("message %d of an exchange: reply %+v, %v", i, rep, err)
						return
					}
					for line := range strings.SplitSeq(rep.Text, "\n") {
						if bad[line] {
							b.Errorf("message %d of an exchange answered %q", i, rep.Text)
							return
						}
					}
				}
				if rates {
					rated.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) == 0 {
		return rated.Load()
	}
	pct := func(p float64) float64 { return float64(all[int(float64(len(all)-1)*p)].Microseconds()) / 1000 }
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(pct(1), "max-ms")
	return rated.Load()
}
