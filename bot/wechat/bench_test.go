package wechat_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
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
)

// benchMsgID keeps message ids unique across benchmark runs that share one Redis.
var benchMsgID atomic.Int64

func init() { benchMsgID.Store(time.Now().UnixNano()) }

// BenchmarkCallback sends signed safe-mode text messages over HTTP at 1, 16 and 64 concurrent
// senders (each its own user) and reports messages/s and p50/p99 latency:
//
//   - floor: the SDK's own server (silenceper officialaccount server.Serve) echoing the text,
//     which checks the signatures, decrypts, parses and encrypts the reply, and nothing else;
//   - channel: this adapter with Redis claims and cached answers, around a handler that echoes;
//   - full: this adapter, Redis, the router and engine with Redis sessions and PostgreSQL,
//     each message a /help command (citizen recorded, help rendered).
//
// Run with: go test -run '^$' -bench BenchmarkCallback -benchtime 3s ./bot/wechat/
func BenchmarkCallback(b *testing.B) {
	for _, kind := range []string{"floor", "channel", "full"} {
		for _, c := range []int{1, 16, 64} {
			b.Run(fmt.Sprintf("%s/senders=%d", kind, c), func(b *testing.B) {
				srvURL := benchServer(b, kind)
				crypto, err := wechat.NewCrypto(testAppID, sampleAESKey)
				if err != nil {
					b.Fatal(err)
				}
				client := &wechattest.Client{URL: srvURL, Token: testToken, AppID: testAppID, Account: testAccount,
					Crypto: crypto, HTTP: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128}}}
				benchLoad(b, client, c)
			})
		}
	}
}

func benchServer(b *testing.B, kind string) string {
	b.Helper()
	var h http.Handler
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
		if kind == "full" {
			store := testenv.OpenStore(b, testenv.PostgresURL(b))
			eng := flows.NewEngine(flows.Options{State: st, Store: store},
				flows.NewRate(store, testenv.Shanghai, 1))
			handler, citizens = handlers.NewRouter(eng, nil), store
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
	return srv.URL + "/wechat"
}

// benchLoad sends b.N messages from senders goroutines and reports throughput and latency.
func benchLoad(b *testing.B, client *wechattest.Client, senders int) {
	var next atomic.Int64
	lat := make([][]time.Duration, senders)
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for s := 0; s < senders; s++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			user := fmt.Sprintf("oBench%023d", s)
			for next.Add(1) <= int64(b.N) {
				m := client.Text(user, "/help", benchMsgID.Add(1))
				t0 := time.Now()
				rep, err := client.Send(context.Background(), m)
				lat[s] = append(lat[s], time.Since(t0))
				if err != nil || !rep.Passive {
					b.Errorf("reply %+v, %v", rep, err)
					return
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
		return
	}
	pct := func(p float64) float64 { return float64(all[int(float64(len(all)-1)*p)].Microseconds()) / 1000 }
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
