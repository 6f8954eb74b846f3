package flows_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"windowbot/internal/testenv"
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
		testenv.MustContain(t, out, "这个选项已失效", "请输入窗口海报上的窗口编号")
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
