package models_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"windowbot/internal/testenv"
	"windowbot/models"
)

// TestRoutingNeverReachesThePersonNamed: a bad review naming 张伟 of W001 goes to W001's lead
// (孙敏) and the supervisor, never to 张伟 nor to his colleague 李娜; on W002, which has no
// lead, to the supervisor alone. 张伟 cannot act on it, may appeal it, and cannot be assigned it.
func TestRoutingNeverReachesThePersonNamed(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		r := newTicketRig(t, s)
		ctx := ctxT(t)
		w1, w2 := mustWindow(t, s, "W001"), mustWindow(t, s, "W002")
		zhangAcct, zhang := r.bind(t, "zhang", "DEMO-001")
		r.bind(t, "li", "DEMO-002")
		leadAcct, lead := r.bind(t, "lead", "DEMO-L01")
		supAcct, _ := r.bind(t, "sup", models.DemoSupervisorNo)
		wangAcct, wang := r.bind(t, "wang", "DEMO-003")

		rate := func(w *models.Window, st *models.Staff, chat, aspects string) *models.Ticket {
			t.Helper()
			rt := &models.Rating{WindowID: w.ID, StaffID: &st.ID, CitizenID: r.citizen(t, chat).ID, Level: 1, Aspects: aspects,
				Comment: "态度很差", Channel: "telegram", CreatedAt: testenv.Monday10}
			if err := s.CreateRating(ctx, rt, testenv.Monday10.Add(-time.Hour)); err != nil {
				t.Fatal(err)
			}
			return rt.Ticket
		}
		tk := rate(w1, zhang, "c1", "attitude.cold")
		if tk.Route != models.RouteLead || tk.NamedStaffID == nil || *tk.NamedStaffID != zhang.ID || tk.Conduct {
			t.Fatalf("ticket naming 张伟: route %s, named %v, conduct %v; want the lead's", tk.Route, tk.NamedStaffID, tk.Conduct)
		}
		if got, want := audience(t, s, models.KindTicketNew), []uint{leadAcct.ID, supAcct.ID}; !slices.Equal(got, want) {
			t.Errorf("told of the ticket naming 张伟: %v, want the lead and the supervisor %v", got, want)
		}
		hs, err := s.TicketHandlers(ctx, tk)
		if err != nil || len(hs) != 1 || hs[0].Staff.ID != lead.ID {
			t.Errorf("handlers = %+v, %v; want the lead", hs, err)
		}

		// 张伟 acts on it: refused as out of his scope; he may contest it.
		zhangActor := models.ActorFor(zhangAcct.ID, zhang)
		if _, _, err := s.Transition(ctx, tk.No, models.Change{Action: models.ActAccept, Actor: zhangActor, At: testenv.Monday10}); !errors.Is(err, models.ErrForbidden) {
			t.Fatalf("the person named accepts: %v, want ErrForbidden", err)
		}
		sup := models.Actor{Role: models.RoleAdmin}
		if _, _, err := s.Transition(ctx, tk.No, models.Change{Action: models.ActAssign, Actor: sup, AssignTo: &zhang.ID, At: testenv.Monday10}); !errors.Is(err, models.ErrNamedAssignee) {
			t.Fatalf("assigned to the person named: %v, want ErrNamedAssignee", err)
		}
		leadActor := models.ActorFor(leadAcct.ID, lead)
		if _, _, err := s.Transition(ctx, tk.No, models.Change{Action: models.ActAccept, Actor: leadActor, At: testenv.Monday10}); err != nil {
			t.Fatalf("the lead accepts: %v", err)
		}
		if _, _, err := s.Transition(ctx, tk.No, models.Change{Action: models.ActAppeal, Actor: zhangActor, Note: "当天我休假", At: testenv.Monday10}); err != nil {
			t.Fatalf("the person named appeals: %v", err)
		}
		if _, _, err := s.Transition(ctx, tk.No, models.Change{Action: models.ActReview, Actor: sup, Outcome: models.ReviewDismiss, At: testenv.Monday10}); err != nil {
			t.Fatal(err)
		}
		var told []models.Push
		s.DB().Where("citizen_id = ? AND kind = ?", zhangAcct.ID, models.KindTicketAlert).Find(&told)
		if len(told) != 1 || told[0].Message == nil || told[0].Message.Key != "n_review_staff_dismiss" {
			t.Errorf("the person named is told of the decision on their appeal: %+v", told)
		}

		// W002 has no lead: the supervisor alone.
		tk2 := rate(w2, wang, "c2", "capability.policy")
		if tk2.Route != models.RouteSupervisors {
			t.Fatalf("ticket naming 王芳 on a window without a lead: route %s", tk2.Route)
		}
		var to []uint
		s.DB().Model(&models.Push{}).Where("kind = ? AND message LIKE ?", models.KindTicketNew, "%"+tk2.No+"%").Order("citizen_id").Pluck("citizen_id", &to)
		if !slices.Equal(to, []uint{supAcct.ID}) || slices.Contains(to, wangAcct.ID) {
			t.Errorf("told of the ticket naming 王芳: %v, want the supervisor %d alone", to, supAcct.ID)
		}
	})
}

// TestConductCaseSupervisorsOnlyAndReferral: a bad review alleging 吃拿卡要 is a conduct case of
// category 工作作风 for the supervisors alone, whoever it names; it cannot be assigned to window
// staff; referred to the discipline body it leaves the open count and stays on the record.
func TestConductCaseSupervisorsOnlyAndReferral(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		r := newTicketRig(t, s)
		ctx := ctxT(t)
		w1 := mustWindow(t, s, "W001")
		r.bind(t, "zhang", "DEMO-001")
		r.bind(t, "lead", "DEMO-L01")
		supAcct, _ := r.bind(t, "sup", models.DemoSupervisorNo)
		c := r.citizen(t, "c1")
		tk, err := s.CreateComplaint(ctx, models.NewComplaint{CitizenID: c.ID, WindowID: &w1.ID, Category: "conduct",
			Description: "要我请吃饭才给办", Channel: "wechat", At: testenv.Monday10})
		if err != nil {
			t.Fatal(err)
		}
		if !tk.Conduct || tk.Route != models.RouteSupervisors {
			t.Fatalf("conduct complaint: conduct %v route %s", tk.Conduct, tk.Route)
		}
		if got := audience(t, s, models.KindTicketNew); !slices.Equal(got, []uint{supAcct.ID}) {
			t.Errorf("told of the conduct case: %v, want the supervisor %d alone", got, supAcct.ID)
		}
		var p models.Push
		s.DB().Where("kind = ?", models.KindTicketNew).First(&p)
		if p.Message == nil || p.Message.Key != "n_new_conduct" || !hasButton(p.Message, "cmd:/refer "+tk.No) {
			t.Errorf("the supervisor's push: %+v, want n_new_conduct with the referral button", p.Message)
		}
		var zhang models.Staff
		s.DB().Where("staff_no = ?", "DEMO-001").First(&zhang)
		admin := models.Actor{Role: models.RoleAdmin}
		if _, _, err := s.Transition(ctx, tk.No, models.Change{Action: models.ActAssign, Actor: admin, AssignTo: &zhang.ID, At: testenv.Monday10}); !errors.Is(err, models.ErrConductAssignee) {
			t.Fatalf("conduct case assigned to window staff: %v", err)
		}
		// A bad review alleging 吃拿卡要 is one too.
		rt := &models.Rating{WindowID: w1.ID, CitizenID: r.citizen(t, "c2").ID, Level: 1, Aspects: "attitude.cold,conduct.favours",
			Channel: "web", CreatedAt: testenv.Monday10}
		if err := s.CreateRating(ctx, rt, testenv.Monday10.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		if !rt.Ticket.Conduct || rt.Ticket.Category != "conduct" || rt.Ticket.Route != models.RouteSupervisors {
			t.Errorf("吃拿卡要 bad review: conduct %v category %s route %s", rt.Ticket.Conduct, rt.Ticket.Category, rt.Ticket.Route)
		}

		before, _ := s.TicketCounts(ctx, &w1.CenterID, testenv.Monday10)
		ref, ev, err := s.Transition(ctx, tk.No, models.Change{Action: models.ActRefer, Actor: admin, Note: "移送区纪委监委", At: testenv.Monday10})
		if err != nil {
			t.Fatal(err)
		}
		if ref.State != models.StateReferred || ref.ReferredAt == nil || ev.Action != models.ActRefer || ev.Note != "移送区纪委监委" {
			t.Fatalf("referred: %+v, event %+v", ref, ev)
		}
		after, _ := s.TicketCounts(ctx, &w1.CenterID, testenv.Monday10)
		if open(before)-open(after) != 1 {
			t.Errorf("open tickets %d before the referral, %d after; want one fewer", open(before), open(after))
		}
		all, _ := s.Tickets(ctx, models.TicketFilter{})
		if len(all) != 2 {
			t.Errorf("tickets on record: %d, want both", len(all))
		}
	})
}

// TestRectificationSignOff: finishing needs a result of at least the rule's length; the photos
// are kept as evidence; the supervisors are asked to approve; only the approval invites the
// citizen to re-rate, and a send-back reaches the handlers with its reason.
func TestRectificationSignOff(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		r := newTicketRig(t, s)
		ctx := ctxT(t)
		w1 := mustWindow(t, s, "W001")
		staffAcct, staff := r.bind(t, "zhang", "DEMO-001")
		supAcct, supSt := r.bind(t, "sup", models.DemoSupervisorNo)
		c := r.citizen(t, "c1")
		tk, err := s.CreateComplaint(ctx, models.NewComplaint{CitizenID: c.ID, WindowID: &w1.ID, Category: "efficiency",
			Description: "排队两小时", Channel: "telegram", At: testenv.Monday10})
		if err != nil {
			t.Fatal(err)
		}
		sa, sp := models.ActorFor(staffAcct.ID, staff), models.ActorFor(supAcct.ID, supSt)
		at := testenv.Monday10
		step := func(c models.Change) error {
			at = at.Add(time.Hour)
			c.At = at
			_, _, err := s.Transition(ctx, tk.No, c)
			return err
		}
		for _, c := range []models.Change{{Action: models.ActAccept, Actor: sa}, {Action: models.ActPlan, Actor: sa, Note: "增开窗口"}} {
			if err := step(c); err != nil {
				t.Fatal(err)
			}
		}
		if err := step(models.Change{Action: models.ActDone, Actor: sa, Note: "已整改"}); !errors.Is(err, models.ErrTooShort) {
			t.Fatalf("done without evidence: %v, want ErrTooShort", err)
		}
		photos := []models.TicketAttachment{{Platform: "telegram", FileID: "f1"}, {Platform: "telegram", FileID: "f2"}}
		if err := step(models.Change{Action: models.ActDone, Actor: sa, Note: "已增开两个综合窗口，高峰期排队不超过二十分钟", Photos: photos}); err != nil {
			t.Fatal(err)
		}
		as, _ := s.TicketAttachments(ctx, tk.ID)
		if len(as) != 2 || as[0].Purpose != models.PhotoEvidence {
			t.Fatalf("evidence = %+v", as)
		}
		var asked []models.Push
		s.DB().Where("citizen_id = ? AND kind = ?", supAcct.ID, models.KindTicketAlert).Find(&asked)
		if len(asked) != 1 || asked[0].Message.Key != "n_pending_review" || asked[0].Message.Args["Photos"] != "2" ||
			!hasButton(asked[0].Message, "cmd:/approve "+tk.No) || !hasButton(asked[0].Message, "cmd:/sendback "+tk.No) {
			t.Fatalf("supervisor asked: %+v", asked)
		}
		if n := countKind(t, s, models.KindRerateInvite); n != 0 {
			t.Fatalf("citizen invited before the sign-off (%d)", n)
		}
		if err := step(models.Change{Action: models.ActSendBack, Actor: sp, Note: "请补充现场照片"}); err != nil {
			t.Fatal(err)
		}
		var back []models.Push
		s.DB().Where("citizen_id = ? AND kind = ?", staffAcct.ID, models.KindTicketAlert).Find(&back)
		if len(back) != 1 || back[0].Message.Key != "n_sent_back" || back[0].Message.Args["Reason"] != "请补充现场照片" || !hasButton(back[0].Message, "cmd:/done "+tk.No) {
			t.Fatalf("handler told of the send-back: %+v", back)
		}
		if err := step(models.Change{Action: models.ActDone, Actor: sa, Note: "已增开两个综合窗口，附高峰期现场照片三张"}); err != nil {
			t.Fatal(err)
		}
		if err := step(models.Change{Action: models.ActApprove, Actor: sp}); err != nil {
			t.Fatal(err)
		}
		if countKind(t, s, models.KindRerateInvite) != 1 {
			t.Fatalf("rerate invitations = %d after the approval, want 1", countKind(t, s, models.KindRerateInvite))
		}
		got, _ := s.TicketByNo(ctx, tk.No)
		if got.State != models.StateResolved || got.ResolvedAt == nil || !got.ResolvedAt.Equal(at) {
			t.Fatalf("approved: %s resolved at %v", got.State, got.ResolvedAt)
		}
	})
}

func hasButton(m *models.PushMessage, payload string) bool {
	for _, row := range m.Buttons {
		for _, b := range row {
			if b.Payload == payload {
				return true
			}
		}
	}
	return false
}

func countKind(t *testing.T, s *models.Store, kind string) int64 {
	t.Helper()
	var n int64
	if err := s.DB().Model(&models.Push{}).Where("kind = ?", kind).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func open(counts []models.TicketCount) int {
	n := 0
	for _, c := range counts {
		n += c.Open
	}
	return n
}
