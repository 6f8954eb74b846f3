package flows_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"windowbot/internal/testenv"
	"windowbot/internal/testenv/statetest"
	"windowbot/models"
)

// Two centers: the demo one and a second, so rating and complaining start with a choice of center.
const secondCenterCSV = models.WindowsCSVHeader + "\nEAST,东区政务服务中心,E001,不动产登记,自然资源局\nEAST,东区政务服务中心,E002,公积金,公积金中心\n"

func addSecondCenter(t *testing.T, r *rig) *models.Center {
	t.Helper()
	ctx := context.Background()
	if _, err := r.store.Import(ctx, strings.NewReader(secondCenterCSV), "east windows", nil, ""); err != nil {
		t.Fatalf("import: %v", err)
	}
	centers, err := r.store.Centers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range centers {
		if centers[i].Code == "EAST" {
			return &centers[i]
		}
	}
	t.Fatalf("center EAST not imported: %+v", centers)
	return nil
}

// Rating and complaining choose the place the same way: center buttons, a stale or forged center
// button re-asks, the center's windows as buttons, or a typed code.
func TestChoosePlaceAcrossCenters(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *rig) {
		east := addSecondCenter(t, r)
		eastBtn := fmt.Sprintf(":center:%d", east.ID)

		out := r.say("p1", "/rate")
		testenv.MustContain(t, out, "请选择办事的服务中心")
		if !testenv.HasButton(last(out), "rate"+eastBtn) {
			t.Fatalf("/rate offers no button for the second center: %+v", last(out))
		}
		out = r.press("p1", "rate:center:999999")
		testenv.MustContain(t, out, "这个选项已失效", "请选择办事的服务中心")
		out = r.press("p1", "rate:center:x")
		if !testenv.HasButton(last(out), "rate"+eastBtn) {
			t.Fatalf("a malformed center button should re-ask the centers: %+v", out)
		}
		out = r.press("p1", "rate"+eastBtn)
		testenv.MustContain(t, out, "请选择窗口")
		if got := buttonLabels(last(out)); len(got) != 2 || got[0] != "E001 不动产登记" || got[1] != "E002 公积金" {
			t.Fatalf("windows of EAST = %q", got)
		}
		out = r.say("p1", "NOPE-1")
		testenv.MustContain(t, out, "没有找到编号为“NOPE-1”的窗口")
		out = r.press("p1", "rate:window:E002")
		testenv.MustContain(t, out, "东区政务服务中心 · E002 公积金")

		out = r.say("p2", "/complain")
		testenv.MustContain(t, out, "请选择办事的服务中心")
		if !testenv.HasButton(last(out), "complain"+eastBtn) {
			t.Fatalf("/complain offers no button for the second center: %+v", last(out))
		}
		out = r.press("p2", "complain:center:999999")
		testenv.MustContain(t, out, "这个选项已失效")
		out = r.press("p2", "complain"+eastBtn)
		testenv.MustContain(t, out, "整个服务中心")
		want := []string{"整个服务中心（东区政务服务中心）", "E001 不动产登记", "E002 公积金"}
		if got := buttonLabels(last(out)); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("complaint places of EAST = %q, want %q", got, want)
		}
		out = r.press("p2", fmt.Sprintf("complain:window:*%d", east.ID))
		testenv.MustContain(t, out, "反映对象：东区政务服务中心 · 整个服务中心")

		r.say("p3", "/complain")
		out = r.say("p3", " e001 ")
		testenv.MustContain(t, out, "反映对象：东区政务服务中心 · E001 不动产登记")
	})
}

// TestRateAsksOneThingAtATime: /rate with several centers says one thing — choose the center —
// with a button for a citizen who has the code; the code's example is a window that exists
// (here E001: the store holds no W001); an unknown code is answered with the centers again,
// where the code can be typed once more.
func TestRateAsksOneThingAtATime(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, url string) {
		clk := newClock()
		store := testenv.OpenStore(t, url, models.WithTicketRules(models.DefaultTicketRules(testenv.Shanghai)))
		r := newRig(t, store, statetest.Memory(t, clk.Now), clk)
		addSecondCenter(t, r)
		const more = models.WindowsCSVHeader + "\nWEST,西区便民服务中心,F001,社保,人社局\n"
		if _, err := store.Import(context.Background(), strings.NewReader(more), "west windows", nil, ""); err != nil {
			t.Fatal(err)
		}

		out := r.say("o1", "/rate")
		if len(out) != 1 || out[0].Text != "请选择办事的服务中心：" {
			t.Fatalf("/rate says %q, want the one instruction to choose a center", testenv.Text(out))
		}
		if got := strings.Join(buttonLabels(last(out)), ","); got != "东区政务服务中心,西区便民服务中心,我有窗口编号" {
			t.Fatalf("center buttons = %s", got)
		}
		out = r.press("o1", "rate:center:code")
		testenv.MustContain(t, out, "请输入窗口海报上的窗口编号（例如 E001）")
		testenv.MustNotContain(t, out, "W001")
		out = r.say("o1", "W001")
		testenv.MustContain(t, out, "没有找到编号为“W001”的窗口，请从下面选择")
		if got := strings.Join(buttonLabels(last(out)), ","); got != "东区政务服务中心,西区便民服务中心,我有窗口编号" {
			t.Fatalf("after an unknown code the buttons are %s, want the centers", got)
		}
		out = r.say("o1", "f001") // typed at the centers, a code is still taken
		testenv.MustContain(t, out, "西区便民服务中心 · F001 社保")

		// Back from the code to the centers.
		r.say("o2", "/complain")
		r.press("o2", "complain:center:code")
		out = r.press("o2", "complain:code:centers")
		testenv.MustContain(t, out, "请选择办事的服务中心")
	})
}

// TestUnknownWindowOffersAWayOn: a link or a typed code that names no window is answered with
// the windows to choose from (one center), never a dead end; text that is no code at all gets
// the hint to choose.
func TestUnknownWindowOffersAWayOn(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *rig) {
		out := r.say("u1", "/start w_NOPE")
		testenv.MustContain(t, out, "没有找到编号为“NOPE”的窗口")
		if !testenv.HasButton(last(out), "rate:window:W003") {
			t.Fatalf("an unknown code offers no windows: %+v", out)
		}
		out = r.say("u1", "我也不知道")
		testenv.MustContain(t, out, "请点击下方按钮选择")
		if !testenv.HasButton(last(out), "rate:window:W003") {
			t.Fatalf("no windows offered again: %+v", out)
		}
		out = r.say("u2", "/complain NOPE")
		testenv.MustContain(t, out, "没有找到编号为“NOPE”的窗口")
		if !testenv.HasButton(last(out), "complain:window:W003") {
			t.Fatalf("an unknown code offers no places to complain about: %+v", out)
		}
	})
}
