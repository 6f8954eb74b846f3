package models_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"windowbot/internal/testenv"
	"windowbot/models"
)

// ticketRig is a seeded store on Shanghai rules.
type ticketRig struct {
	s *models.Store
}

func newTicketRig(t *testing.T, s *models.Store) *ticketRig {
	r := &ticketRig{s: s}
	models.Configure(s, models.WithTicketRules(models.DefaultTicketRules(testenv.Shanghai)))
	seeded(t, s)
	return r
}

func (r *ticketRig) citizen(t *testing.T, id string) *models.Citizen {
	t.Helper()
	c, err := r.s.TouchCitizen(ctxT(t), "telegram", id, "zh-CN", testenv.Monday10)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// bind makes a chat account act as staff member staffNo.
func (r *ticketRig) bind(t *testing.T, chat, staffNo string) (*models.Citizen, *models.Staff) {
	t.Helper()
	c := r.citizen(t, chat)
	return c, testenv.BindStaff(t, r.s, c, staffNo)
}

func TestBadReviewOpensTicketInTheSameTransaction(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		r := newTicketRig(t, s)
		ctx := ctxT(t)
		w1, _ := mustWindow(t, s, "W001"), 0
		staffAcct, _ := r.bind(t, "staff-1", "DEMO-001")
		supAcct, _ := r.bind(t, "sup-1", models.DemoSupervisorNo)
		c := r.citizen(t, "c1")
		rating := &models.Rating{WindowID: w1.ID, CitizenID: c.ID, Level: 1, Aspects: "efficiency.slow,attitude.cold",
			Comment: "等了一小时", Channel: "telegram", CreatedAt: testenv.Monday10, TicketDescription: "办事拖沓、态度冷漠；等了一小时"}
		if err := s.CreateRating(ctx, rating, testenv.Monday10.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		if rating.Ticket == nil || rating.Ticket.No != "T20261123-0001" {
			t.Fatalf("ticket = %+v", rating.Ticket)
		}
		tk, err := s.TicketByNo(ctx, rating.Ticket.No)
		if err != nil {
			t.Fatal(err)
		}
		if tk.Kind != models.KindBadReview || tk.State != models.StateSubmitted || *tk.RatingID != rating.ID ||
			tk.Category != "efficiency" || tk.Description != rating.TicketDescription {
			t.Errorf("ticket = %+v", tk)
		}
		// Call back by the end of Tuesday, rectify within 15 working days (14 December).
		if got := tk.CallbackDue.In(testenv.Shanghai).Format(time.DateTime); got != "2026-11-24 23:59:59" {
			t.Errorf("call-back due %s", got)
		}
		if got := tk.RectifyDue.In(testenv.Shanghai).Format(time.DateOnly); got != "2026-12-14" {
			t.Errorf("rectify due %s", got)
		}
		evs, _ := s.TicketEvents(ctx, tk.ID, false)
		if len(evs) != 1 || evs[0].Action != models.ActSubmit || !evs[0].Public {
			t.Errorf("events = %+v", evs)
		}
		// The window's staff and the center's supervisor were notified, in the same transaction;
		// nobody else.
		if got, want := audience(t, s, models.KindTicketNew), []uint{staffAcct.ID, supAcct.ID}; !slices.Equal(got, want) {
			t.Errorf("told of the new ticket: %v, want the staff member and the supervisor %v", got, want)
		}
		if count(t, s, &models.Push{}) != 2 {
			t.Errorf("pushes = %d, want 2 (staff, supervisor)", count(t, s, &models.Push{}))
		}
		// A good review opens nothing.
		good := &models.Rating{WindowID: w1.ID, CitizenID: r.citizen(t, "c2").ID, Level: 4, Channel: "web", CreatedAt: testenv.Monday10}
		if err := s.CreateRating(ctx, good, testenv.Monday10.Add(-time.Hour)); err != nil || good.Ticket != nil {
			t.Fatalf("good review: %v, ticket %+v", err, good.Ticket)
		}
		if count(t, s, &models.Ticket{}) != 1 {
			t.Error("a good review opened a ticket")
		}
		// Without the dialog's words the ticket carries the citizen's comment.
		bare := &models.Rating{WindowID: w1.ID, CitizenID: r.citizen(t, "c3").ID, Level: 2, Aspects: "attitude.cold",
			Comment: "太慢", Channel: "web", CreatedAt: testenv.Monday10}
		if err := s.CreateRating(ctx, bare, testenv.Monday10.Add(-time.Hour)); err != nil || bare.Ticket == nil || bare.Ticket.Description != "太慢" {
			t.Fatalf("bad review without a description: %v, ticket %+v", err, bare.Ticket)
		}
	})
}

// audience lists the recipients of the pushes of kind queued so far, by citizen id.
func audience(t *testing.T, s *models.Store, kind string) []uint {
	t.Helper()
	var ids []uint
	if err := s.DB().Model(&models.Push{}).Where("kind = ?", kind).Order("citizen_id").Pluck("citizen_id", &ids).Error; err != nil {
		t.Fatal(err)
	}
	return ids
}

func mustWindow(t *testing.T, s *models.Store, code string) *models.Window {
	t.Helper()
	w, err := s.WindowByCode(ctxT(t), code)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestComplaintLifecycleWithEvents(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		r := newTicketRig(t, s)
		ctx := ctxT(t)
		w1 := mustWindow(t, s, "W001")
		c := r.citizen(t, "c1")
		staffAcct, staff := r.bind(t, "staff-1", "DEMO-001")
		supAcct, sup := r.bind(t, "sup-1", models.DemoSupervisorNo)
		tk, err := s.CreateComplaint(ctx, models.NewComplaint{
			CitizenID: c.ID, WindowID: &w1.ID, Category: models.CategoryNotDone, Description: "材料齐全却办不了",
			Channel: "telegram", Phone: "13812341234", CallbackConsent: true, At: testenv.Monday10,
			Photos: []models.TicketAttachment{{Platform: "telegram", FileID: "AgAD-photo", MIMEType: "image/jpeg", Size: 1234}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if tk.CenterID != w1.CenterID || tk.Kind != models.KindComplaint || !tk.CallbackConsent {
			t.Fatalf("ticket = %+v", tk)
		}
		as, _ := s.TicketAttachments(ctx, tk.ID)
		if len(as) != 1 || as[0].FileID != "AgAD-photo" {
			t.Fatalf("attachments = %+v", as)
		}
		staffActor := models.Actor{Role: models.RoleStaff, StaffID: staff.ID, WindowID: staff.WindowID, CitizenID: staffAcct.ID}
		supActor := models.Actor{Role: models.RoleSupervisor, StaffID: sup.ID, CenterID: sup.CenterID, CitizenID: supAcct.ID}
		citActor := models.Actor{Role: models.RoleCitizen, CitizenID: c.ID}
		at := testenv.Monday10
		step := func(c models.Change) *models.Ticket {
			t.Helper()
			at = at.Add(time.Hour)
			c.At = at
			got, ev, err := s.Transition(ctx, tk.No, c)
			if err != nil {
				t.Fatalf("%s: %v", c.Action, err)
			}
			if ev.ID == 0 || ev.TicketID != tk.ID {
				t.Fatalf("%s: event %+v not recorded", c.Action, ev)
			}
			return got
		}
		step(models.Change{Action: models.ActAccept, Actor: staffActor})
		// An illegal step changes nothing: done before a plan.
		before, _ := s.TicketByNo(ctx, tk.No)
		if _, _, err := s.Transition(ctx, tk.No, models.Change{Action: models.ActDone, Actor: staffActor, Note: "x", At: at}); !errors.Is(err, models.ErrIllegalTransition) {
			t.Fatalf("done before plan: %v", err)
		}
		after, _ := s.TicketByNo(ctx, tk.No)
		if after.State != before.State || !after.UpdatedAt.Equal(before.UpdatedAt) {
			t.Fatal("illegal transition changed the ticket")
		}
		step(models.Change{Action: models.ActPlan, Actor: staffActor, Note: "当天复核材料并上报"})
		step(models.Change{Action: models.ActDone, Actor: staffActor, Note: "已办结，群众已取证，材料清单已张贴"})
		step(models.Change{Action: models.ActApprove, Actor: supActor})
		got := step(models.Change{Action: models.ActRerate, Actor: citActor, Outcome: models.RerateUnsatisfied})
		if got.State != models.StateReopened || !got.Escalated {
			t.Fatalf("after unsatisfied: %+v", got)
		}
		step(models.Change{Action: models.ActPlan, Actor: supActor, Note: "督查科介入"})
		step(models.Change{Action: models.ActDone, Actor: supActor, Note: "已重新办理并由督查科电话回访确认"})
		step(models.Change{Action: models.ActApprove, Actor: supActor})
		got = step(models.Change{Action: models.ActRerate, Actor: citActor, Outcome: models.RerateSatisfied})
		if got.State != models.StateClosed || got.CloseReason != models.CloseSatisfied || got.ClosedAt == nil {
			t.Fatalf("closed: %+v", got)
		}
		step(models.Change{Action: models.ActPublish, Actor: supActor})
		evs, _ := s.TicketEvents(ctx, tk.ID, false)
		var trail []string
		for _, e := range evs {
			trail = append(trail, fmt.Sprintf("%s:%s>%s", e.Action, e.FromState, e.ToState))
		}
		want := "submit:>submitted accept:submitted>accepted plan:accepted>rectifying done:rectifying>pending_review approve:pending_review>resolved " +
			"rerate:resolved>reopened plan:reopened>rectifying done:rectifying>pending_review approve:pending_review>resolved rerate:resolved>closed publish:closed>closed"
		if strings.Join(trail, " ") != want {
			t.Errorf("trail:\n%s\nwant\n%s", strings.Join(trail, " "), want)
		}
		if evs[1].ActorStaffID == nil || *evs[1].ActorStaffID != staff.ID {
			t.Errorf("accept event actor = %+v", evs[1])
		}
	})
}

func TestStaffAppealUpheldExcludesTheRating(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		r := newTicketRig(t, s)
		ctx := ctxT(t)
		w1 := mustWindow(t, s, "W001")
		rating := &models.Rating{WindowID: w1.ID, CitizenID: r.citizen(t, "c1").ID, Level: 2, Aspects: "attitude.cold", Channel: "web", CreatedAt: testenv.Monday10}
		if err := s.CreateRating(ctx, rating, testenv.Monday10.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		_, staff := r.bind(t, "staff-1", "DEMO-001")
		_, sup := r.bind(t, "sup-1", models.DemoSupervisorNo)
		no := rating.Ticket.No
		if _, _, err := s.Transition(ctx, no, models.Change{Action: models.ActAppeal, Actor: models.Actor{Role: models.RoleStaff, StaffID: staff.ID, WindowID: staff.WindowID}, Note: "该群众未在本窗口办理业务", At: testenv.Monday10}); err != nil {
			t.Fatal(err)
		}
		tk, _, err := s.Transition(ctx, no, models.Change{Action: models.ActReview, Actor: models.Actor{Role: models.RoleSupervisor, StaffID: sup.ID, CenterID: sup.CenterID}, Outcome: models.ReviewUphold, At: testenv.Monday10})
		if err != nil {
			t.Fatal(err)
		}
		if tk.State != models.StateClosed || tk.CloseReason != models.CloseAppealUpheld {
			t.Fatalf("ticket = %+v", tk)
		}
		var got models.Rating
		s.DB().First(&got, rating.ID)
		if !got.Excluded {
			t.Error("rating not excluded")
		}
		stats, _ := s.StatsIn(ctx, models.Scope{WindowID: &w1.ID}, testenv.Monday10.Add(-time.Hour), testenv.Monday10.Add(time.Hour))
		if stats.Total() != 0 {
			t.Errorf("excluded rating still counted: %+v", stats)
		}
		// The appeal's reason is internal: the citizen's public trail does not show it.
		evs, _ := s.TicketEvents(ctx, tk.ID, true)
		for _, e := range evs {
			if strings.Contains(e.Note, "未在本窗口") {
				t.Errorf("staff appeal reason in public trail: %+v", e)
			}
		}
	})
}

func TestCitizenSeesOnlyTheirTickets(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		r := newTicketRig(t, s)
		ctx := ctxT(t)
		w1 := mustWindow(t, s, "W001")
		alice, bob, carol := r.citizen(t, "alice"), r.citizen(t, "bob"), r.citizen(t, "carol")
		tk, err := s.CreateComplaint(ctx, models.NewComplaint{CitizenID: alice.ID, WindowID: &w1.ID, Category: "attitude",
			Description: "态度差", Channel: "web", Anonymous: true, At: testenv.Monday10})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CitizenTicket(ctx, bob.ID, tk.No); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("bob sees alice's ticket: %v", err)
		}
		if _, err := s.CitizenTicket(ctx, bob.ID, "T20990101-0001"); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("unknown number: %v", err)
		}
		// A similar complaint is offered to join; carol joins and then tracks it too.
		sim, err := s.SimilarOpenTicket(ctx, w1.CenterID, &w1.ID, "attitude", testenv.Monday10.AddDate(0, 0, -7))
		if err != nil || sim.No != tk.No {
			t.Fatalf("similar = %+v, %v", sim, err)
		}
		if _, err := s.SimilarOpenTicket(ctx, w1.CenterID, &w1.ID, "conduct", testenv.Monday10.AddDate(0, 0, -7)); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("other category matched: %v", err)
		}
		if _, err := s.JoinTicket(ctx, tk.No, carol.ID, "我也遇到了", nil, testenv.Monday10.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.JoinTicket(ctx, tk.No, carol.ID, "再说一次", nil, testenv.Monday10.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		mine, err := s.TicketsOfCitizen(ctx, carol.ID, 10)
		if err != nil || len(mine) != 1 || mine[0].No != tk.No {
			t.Fatalf("carol's tickets = %+v, %v", mine, err)
		}
		if _, err := s.CitizenTicket(ctx, carol.ID, strings.ToLower(tk.No)); err != nil {
			t.Errorf("carol cannot track the joined ticket: %v", err)
		}
		if count(t, s, &models.TicketFollower{}) != 1 {
			t.Error("joining twice added two followers")
		}
		// Both are told of progress from now on.
		if _, _, err := s.Transition(ctx, tk.No, models.Change{Action: models.ActAccept, Actor: models.Actor{Role: models.RoleAdmin}, At: testenv.Monday10.Add(3 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if got, want := audience(t, s, models.KindTicketStatus), []uint{alice.ID, carol.ID}; !slices.Equal(got, want) {
			t.Errorf("told of the acceptance: %v, want alice and carol %v", got, want)
		}
	})
}

func TestCloseUnanswered(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		r := newTicketRig(t, s)
		ctx := ctxT(t)
		w1 := mustWindow(t, s, "W001")
		c := r.citizen(t, "c1")
		admin := models.Actor{Role: models.RoleAdmin}
		var nos []string
		for i := range 2 {
			tk, err := s.CreateComplaint(ctx, models.NewComplaint{CitizenID: c.ID, WindowID: &w1.ID, Category: "efficiency", Description: "慢", Channel: "web", At: testenv.Monday10})
			if err != nil {
				t.Fatal(err)
			}
			for _, ch := range []models.Change{{Action: models.ActAccept}, {Action: models.ActPlan, Note: "p"}, {Action: models.ActDone, Note: "已整改完毕并经督查科到现场核实"}, {Action: models.ActApprove}} {
				ch.Actor, ch.At = admin, testenv.Monday10.AddDate(0, 0, i*3) // resolved on the 23rd and the 26th
				if _, _, err := s.Transition(ctx, tk.No, ch); err != nil {
					t.Fatal(err)
				}
			}
			nos = append(nos, tk.No)
		}
		// The closing time the reminder announces is resolution + 7 days: not a second earlier, and
		// at that instant, not a run later.
		closing := testenv.Monday10.AddDate(0, 0, 7)
		if n, err := s.CloseUnanswered(ctx, closing.Add(-time.Second)); err != nil || n != 0 {
			t.Fatalf("a second before the closing time: closed %d, %v", n, err)
		}
		if n, err := s.CloseUnanswered(ctx, closing); err != nil || n != 1 {
			t.Fatalf("at the closing time: closed %d, %v; want the first", n, err)
		}
		first, _ := s.TicketByNo(ctx, nos[0])
		second, _ := s.TicketByNo(ctx, nos[1])
		if first.State != models.StateClosed || first.CloseReason != models.CloseNoReply || second.State != models.StateResolved {
			t.Errorf("first %s/%s, second %s", first.State, first.CloseReason, second.State)
		}
		if n, err := s.CloseUnanswered(ctx, testenv.Monday10.AddDate(0, 0, 8)); err != nil || n != 0 {
			t.Errorf("re-run closed %d, %v", n, err)
		}
	})
}

// TestConcurrentComplaintsGetDistinctNumbers files 50 complaints at once on PostgreSQL from two
// store instances (two replicas): 50 distinct numbers, 0001 to 0050.
func TestConcurrentComplaintsGetDistinctNumbers(t *testing.T) {
	url := testenv.PostgresURL(t)
	a, b := testenv.OpenStore(t, url), testenv.OpenStore(t, url)
	newTicketRig(t, a)
	models.Configure(b, models.WithTicketRules(models.DefaultTicketRules(testenv.Shanghai)))
	ctx := ctxT(t)
	w1 := mustWindow(t, a, "W001")
	var wg sync.WaitGroup
	nos := make([]string, 50)
	errs := make([]error, 50)
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := a
			if i%2 == 1 {
				s = b
			}
			c, err := s.TouchCitizen(ctx, "web", fmt.Sprintf("v%d", i), "", testenv.Monday10)
			if err != nil {
				errs[i] = err
				return
			}
			tk, err := s.CreateComplaint(ctx, models.NewComplaint{CitizenID: c.ID, WindowID: &w1.ID, Category: "efficiency",
				Description: "慢", Channel: "web", At: testenv.Monday10.Add(time.Duration(i) * time.Second)})
			if err != nil {
				errs[i] = err
				return
			}
			nos[i] = tk.No
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for i, no := range nos {
		if errs[i] != nil {
			t.Fatalf("complaint %d: %v", i, errs[i])
		}
		if seen[no] {
			t.Fatalf("number %s given twice", no)
		}
		seen[no] = true
	}
	for i := 1; i <= 50; i++ {
		if !seen[fmt.Sprintf("T20261123-%04d", i)] {
			t.Errorf("T20261123-%04d missing", i)
		}
	}
}

func TestTicketNumbersFollowTheHallsDay(t *testing.T) {
	s := testenv.OpenStore(t, testenv.SQLiteURL(t))
	r := newTicketRig(t, s)
	ctx := ctxT(t)
	w1 := mustWindow(t, s, "W001")
	c := r.citizen(t, "c1")
	// 23:30 UTC on the 23rd is already the 24th in Shanghai.
	tk, err := s.CreateComplaint(ctx, models.NewComplaint{CitizenID: c.ID, WindowID: &w1.ID, Category: "other",
		Description: "x", Channel: "web", At: time.Date(2026, 11, 23, 23, 30, 0, 0, time.UTC)})
	if err != nil || tk.No != "T20261124-0001" {
		t.Fatalf("no = %v, %v", tk, err)
	}
	if _, err := s.CreateComplaint(ctx, models.NewComplaint{CitizenID: c.ID, WindowID: &w1.ID, Category: "nonsense", Description: "x", Channel: "web", At: testenv.Monday10}); err == nil {
		t.Error("unknown category accepted")
	}
	if _, err := s.CreateComplaint(ctx, models.NewComplaint{CitizenID: c.ID, WindowID: &w1.ID, Category: "other", Description: "x", Phone: "12345", Channel: "web", At: testenv.Monday10}); err == nil {
		t.Error("bad phone accepted")
	}
}
