package models

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func u(v uint) *uint { return &v }

// fixture is a ticket in state s on window 7 of center 3, filed by citizen 11, with everything an
// action might need already set (a plan and result for publish, a pending staff appeal).
func fixture(s TicketState) *Ticket {
	t := &Ticket{
		ID: 1, No: "T20261123-0001", Kind: KindBadReview, State: s, CenterID: 3, WindowID: u(7),
		Category: "efficiency", CitizenID: 11, Plan: "plan", Result: "result", Route: RouteWindow,
		CallbackDue: time.Date(2026, 11, 24, 15, 59, 0, 0, time.UTC), RectifyDue: time.Date(2026, 12, 14, 15, 59, 0, 0, time.UTC),
	}
	if s == StateAppealed {
		t.AppealBy, t.AppealFrom, t.StaffAppealed = RoleStaff, StateAccepted, true
	}
	return t
}

// actors has one in-scope actor of every role.
var actors = map[string]Actor{
	RoleCitizen:    {Role: RoleCitizen, CitizenID: 11},
	RoleStaff:      {Role: RoleStaff, StaffID: 5, WindowID: u(7), CitizenID: 21},
	RoleLead:       {Role: RoleLead, StaffID: 7, WindowID: u(7), CitizenID: 24},
	RoleSupervisor: {Role: RoleSupervisor, StaffID: 6, CenterID: u(3), CitizenID: 22},
	RoleAdmin:      {Role: RoleAdmin, StaffID: 9, CitizenID: 23},
	RoleSystem:     {Role: RoleSystem},
}

// TestTicketStateMachine tries every action in every state by every role. The expectations are
// written out here, independently of the rule table, as the lifecycle of DESIGN.md §1.
func TestTicketStateMachine(t *testing.T) {
	type allow struct {
		from  string // space-separated states
		roles string // space-separated roles
		to    string // the state after, "=" for unchanged
	}
	const work = "submitted accepted rectifying reopened"
	want := map[Action][]allow{
		ActAccept:   {{"submitted", "staff lead supervisor admin", "accepted"}},
		ActReject:   {{"submitted accepted", "supervisor admin", "rejected"}},
		ActAssign:   {{work, "supervisor admin", "="}},
		ActPlan:     {{"accepted rectifying reopened", "staff lead supervisor admin", "rectifying"}},
		ActDone:     {{"rectifying", "staff lead supervisor admin", "pending_review"}},
		ActApprove:  {{"pending_review", "supervisor admin", "resolved"}},
		ActSendBack: {{"pending_review", "supervisor admin", "rectifying"}},
		ActRerate:   {{"resolved", "citizen", "closed"}},
		ActExpire:   {{"resolved", "system", "closed"}},
		ActAppeal:   {{"rejected", "citizen", "appealed"}, {work, "staff lead", "appealed"}},
		ActReview:   {{"appealed", "supervisor admin", "closed"}},
		ActEscalate: {{work, "supervisor admin system", "="}},
		ActChase:    {{work, "supervisor admin system", "="}},
		ActPublish:  {{"resolved closed", "supervisor admin", "="}},
		ActJoin:     {{work + " pending_review", "citizen", "="}},
		ActRefer:    {{work + " pending_review", "supervisor admin", "referred"}},
	}
	at := time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)
	rules := DefaultTicketRules(time.UTC)
	for _, act := range Actions {
		for _, st := range TicketStates {
			for _, role := range Roles {
				name := string(act) + "/" + string(st) + "/" + role
				t.Run(name, func(t *testing.T) {
					to, ok := "", false
					for _, a := range want[act] {
						if strings.Contains(" "+a.from+" ", " "+string(st)+" ") && strings.Contains(" "+a.roles+" ", " "+role+" ") {
							to, ok = a.to, true
						}
					}
					tk := fixture(st)
					tk.Conduct = true // a conduct case, which supervisors may refer
					before := *tk
					ev, err := tk.Apply(Change{Action: act, Actor: actors[role], Note: "note: " + longResult, Outcome: outcomeFor(act), AssignTo: u(5), At: at}, rules)
					if !ok {
						var te *TransitionError
						if !errors.As(err, &te) || !(errors.Is(err, ErrIllegalTransition) || errors.Is(err, ErrForbidden)) {
							t.Fatalf("err = %v, want a refusal", err)
						}
						if !reflect.DeepEqual(*tk, before) {
							t.Fatalf("refused action changed the ticket:\n%+v\n%+v", before, *tk)
						}
						return
					}
					if err != nil {
						t.Fatalf("refused: %v", err)
					}
					if to == "=" {
						to = string(st)
					}
					if string(tk.State) != to || ev.ToState != tk.State || ev.FromState != st || ev.Action != act || ev.ActorRole != role {
						t.Fatalf("state %s, event %+v; want %s", tk.State, ev, to)
					}
					if !ev.CreatedAt.Equal(at) || ev.Note == "" {
						t.Fatalf("event %+v lacks time or note", ev)
					}
				})
			}
		}
	}
}

func outcomeFor(a Action) string {
	switch a {
	case ActRerate:
		return RerateSatisfied
	case ActReview:
		return ReviewUphold
	}
	return ""
}

func TestTicketScope(t *testing.T) {
	tk := fixture(StateSubmitted)
	at := time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)
	rules := DefaultTicketRules(time.UTC)
	outsiders := map[string]Actor{
		"staff of another window":      {Role: RoleStaff, StaffID: 8, WindowID: u(99)},
		"staff without a window":       {Role: RoleStaff, StaffID: 8},
		"supervisor of another center": {Role: RoleSupervisor, StaffID: 8, CenterID: u(4)},
	}
	for name, a := range outsiders {
		if _, err := tk.Apply(Change{Action: ActAccept, Actor: a, At: at}, rules); !errors.Is(err, ErrForbidden) {
			t.Errorf("%s: err = %v, want ErrForbidden", name, err)
		}
	}
	// A supervisor of all centers (no center) covers it; another citizen cannot re-rate it.
	if _, err := fixture(StateSubmitted).Apply(Change{Action: ActAccept, Actor: Actor{Role: RoleSupervisor, StaffID: 8}, At: at}, rules); err != nil {
		t.Errorf("all-centers supervisor refused: %v", err)
	}
	if _, err := fixture(StateResolved).Apply(Change{Action: ActRerate, Actor: Actor{Role: RoleCitizen, CitizenID: 12}, Outcome: RerateSatisfied, At: at}, rules); !errors.Is(err, ErrForbidden) {
		t.Errorf("another citizen re-rated: %v", err)
	}
	// Anybody may join an open ticket.
	if _, err := fixture(StateAccepted).Apply(Change{Action: ActJoin, Actor: Actor{Role: RoleCitizen, CitizenID: 12}, Note: "me too", At: at}, rules); err != nil {
		t.Errorf("join refused: %v", err)
	}
}

func TestTicketOutcomes(t *testing.T) {
	at := time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC) // Wednesday 10:00 in Shanghai
	sh, _ := time.LoadLocation("Asia/Shanghai")
	rules := DefaultTicketRules(sh)
	cit, sup, staff := actors[RoleCitizen], actors[RoleSupervisor], actors[RoleStaff]

	// Not satisfied: reopened, escalated, a new rectification period from now.
	tk := fixture(StateResolved)
	if _, err := tk.Apply(Change{Action: ActRerate, Actor: cit, Outcome: RerateUnsatisfied, At: at}, rules); err != nil {
		t.Fatal(err)
	}
	if tk.State != StateReopened || !tk.Escalated || tk.Rerate != RerateUnsatisfied {
		t.Fatalf("after unsatisfied: %+v", tk)
	}
	if got := tk.RectifyDue.In(sh).Format(time.DateOnly); got != "2026-12-16" {
		t.Errorf("new rectify deadline %s, want 2026-12-16 (15 working days)", got)
	}
	// Basically satisfied closes with that reason; a bad outcome is refused.
	tk = fixture(StateResolved)
	if _, err := tk.Apply(Change{Action: ActRerate, Actor: cit, Outcome: RerateBasic, At: at}, rules); err != nil || tk.CloseReason != CloseBasic {
		t.Fatalf("basic: %v %+v", err, tk)
	}
	if _, err := fixture(StateResolved).Apply(Change{Action: ActRerate, Actor: cit, Outcome: "meh", At: at}, rules); !errors.Is(err, ErrBadInput) {
		t.Errorf("bad outcome: %v", err)
	}

	// A citizen appeals a rejection once; upheld, the complaint is taken up again.
	tk = fixture(StateRejected)
	tk.Kind = KindComplaint
	if _, err := tk.Apply(Change{Action: ActAppeal, Actor: cit, Note: "it was real", At: at}, rules); err != nil {
		t.Fatal(err)
	}
	if _, err := tk.Apply(Change{Action: ActReview, Actor: sup, Outcome: ReviewUphold, At: at}, rules); err != nil || tk.State != StateAccepted {
		t.Fatalf("citizen appeal upheld: %v %s", err, tk.State)
	}
	if got := tk.RectifyDue.In(sh).Format(time.DateOnly); got != "2026-12-16" {
		t.Errorf("upheld citizen appeal: rectify deadline %s, want a fresh one, 2026-12-16 (15 working days)", got)
	}
	// Rejected again after the appeal: final.
	if _, err := tk.Apply(Change{Action: ActReject, Actor: sup, Note: "duplicate", At: at}, rules); err != nil || tk.State != StateClosed || tk.CloseReason != CloseRejected {
		t.Fatalf("second rejection: %v %+v", err, tk)
	}

	// A dismissed citizen appeal closes the ticket as rejected; there is no second appeal.
	tk = fixture(StateRejected)
	tk.Kind = KindComplaint
	if _, err := tk.Apply(Change{Action: ActAppeal, Actor: cit, Note: "it was real", At: at}, rules); err != nil {
		t.Fatal(err)
	}
	if _, err := tk.Apply(Change{Action: ActReview, Actor: sup, Outcome: ReviewDismiss, At: at}, rules); err != nil {
		t.Fatal(err)
	}
	if tk.State != StateClosed || tk.CloseReason != CloseRejected || tk.ClosedAt == nil || !tk.ClosedAt.Equal(at) {
		t.Errorf("dismissed citizen appeal: state %s, close reason %q, closed at %v; want closed as rejected", tk.State, tk.CloseReason, tk.ClosedAt)
	}
	if _, err := tk.Apply(Change{Action: ActAppeal, Actor: cit, Note: "again", At: at}, rules); !errors.Is(err, ErrIllegalTransition) {
		t.Errorf("appeal after a dismissed appeal: %v", err)
	}
	tk = fixture(StateRejected)
	tk.CitizenAppealed = true
	if _, err := tk.Apply(Change{Action: ActAppeal, Actor: cit, Note: "again", At: at}, rules); !errors.Is(err, ErrAlreadyAppealed) {
		t.Errorf("second citizen appeal: %v", err)
	}

	// Staff appeal a bad review; dismissed, it goes back to where it was.
	tk = fixture(StateRectifying)
	if _, err := tk.Apply(Change{Action: ActAppeal, Actor: staff, Note: "wrong window", At: at}, rules); err != nil {
		t.Fatal(err)
	}
	if _, err := tk.Apply(Change{Action: ActReview, Actor: sup, Outcome: ReviewDismiss, At: at}, rules); err != nil || tk.State != StateRectifying {
		t.Fatalf("dismissed staff appeal: %v %s", err, tk.State)
	}
	if _, err := tk.Apply(Change{Action: ActAppeal, Actor: staff, Note: "again", At: at}, rules); !errors.Is(err, ErrAlreadyAppealed) {
		t.Errorf("second staff appeal: %v", err)
	}
	// Staff cannot appeal a complaint, only a bad review.
	tk = fixture(StateAccepted)
	tk.Kind = KindComplaint
	if _, err := tk.Apply(Change{Action: ActAppeal, Actor: staff, Note: "no", At: at}, rules); !errors.Is(err, ErrIllegalTransition) {
		t.Errorf("staff appeal of a complaint: %v", err)
	}

	// Notes are required where the action carries one; escalation happens once.
	if _, err := fixture(StateAccepted).Apply(Change{Action: ActPlan, Actor: staff, At: at}, rules); !errors.Is(err, ErrBadInput) {
		t.Errorf("plan without text: %v", err)
	}
	tk = fixture(StateAccepted)
	if _, err := tk.Apply(Change{Action: ActEscalate, Actor: Actor{Role: RoleSystem}, At: at}, rules); err != nil || !tk.Escalated {
		t.Fatalf("escalate: %v", err)
	}
	if _, err := tk.Apply(Change{Action: ActEscalate, Actor: sup, At: at}, rules); !errors.Is(err, ErrIllegalTransition) {
		t.Errorf("second escalation: %v", err)
	}
	// Publishing needs a plan and a result, and happens once.
	tk = fixture(StateResolved)
	tk.Result = ""
	if _, err := tk.Apply(Change{Action: ActPublish, Actor: sup, At: at}, rules); !errors.Is(err, ErrBadInput) {
		t.Errorf("publish without result: %v", err)
	}
	tk = fixture(StateResolved)
	if _, err := tk.Apply(Change{Action: ActPublish, Actor: sup, At: at}, rules); err != nil || tk.PublishedAt == nil || !tk.PublishedAt.Equal(at) {
		t.Fatalf("publish: %v, published at %v", err, tk.PublishedAt)
	}
	later := at.Add(time.Hour)
	if _, err := tk.Apply(Change{Action: ActPublish, Actor: sup, At: later}, rules); !errors.Is(err, ErrIllegalTransition) {
		t.Errorf("second publication: %v, want ErrIllegalTransition", err)
	}
	if !tk.PublishedAt.Equal(at) {
		t.Errorf("second publication moved the publication time to %v", tk.PublishedAt)
	}
}

func TestTicketRulesDeadlinesPerCategory(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	r := DefaultTicketRules(sh)
	r.CategoryRectifyDays = map[string]int{CategoryNotDone: 5}
	r.CategoryCallbackDays = map[string]int{"conduct": 2}
	from := time.Date(2026, 12, 30, 10, 0, 0, 0, sh) // Wednesday before New Year's Day
	day := func(t time.Time) string { return t.In(sh).Format(time.DateOnly) }
	cb, rd := r.Deadlines(CategoryNotDone, from)
	if day(cb) != "2026-12-31" || day(rd) != "2027-01-07" {
		t.Errorf("not_done: call back %s, rectify %s", day(cb), day(rd))
	}
	cb, rd = r.Deadlines("conduct", from)
	if day(cb) != "2027-01-04" || day(rd) != "2027-01-21" {
		t.Errorf("conduct: call back %s, rectify %s", day(cb), day(rd))
	}
}

func TestMaskPhoneAndNumbers(t *testing.T) {
	if got := MaskPhone("13812341234"); got != "138****1234" {
		t.Errorf("MaskPhone = %s", got)
	}
	// Something always stays hidden: seven digits or fewer are hidden whole.
	for in, want := range map[string]string{"12345": "*****", "1234567": "*******", "12345678": "123*5678", "": ""} {
		if got := MaskPhone(in); got != want {
			t.Errorf("MaskPhone(%q) = %q, want %q", in, got, want)
		}
	}
	sh, _ := time.LoadLocation("Asia/Shanghai")
	if got := FormatTicketNo(time.Date(2026, 11, 23, 0, 0, 0, 0, sh), 42); got != "T20261123-0042" || !TicketNoPattern.MatchString(got) {
		t.Errorf("FormatTicketNo = %s", got)
	}
	if NormTicketNo(" t20261123-0042 ") != "T20261123-0042" || NormTicketNo("ｔ２０２６１１２３－００４２") != "T20261123-0042" {
		t.Error("NormTicketNo")
	}
}

// TestMaskPII: mobiles, resident IDs and landlines with or without the hyphen are masked in
// free text; other numbers are left alone.
func TestMaskPII(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"打我电话13812345678谢谢", "打我电话138****5678谢谢"},
		{"电话 13812345678，身份证 11010519491231002X", "电话 138****5678，身份证 110***********002X"},
		{"座机 010-62345678 或 0755-8123456", "座机 010*****5678 或 075*****3456"},
		// A landline is as often typed without the hyphen, with an area code of three or four digits.
		{"座机01062345678", "座机010****5678"},
		{"办公室 075581234567 找王科长", "办公室 075*****4567 找王科长"},
		{"0215123456", "021***3456"},
		// Not landlines: a local number cannot start with 0 or 1, an area code must start with 0.
		{"编号 010-12345678", "编号 010-12345678"},
		{"编号 01001234567", "编号 01001234567"},
		{"1062345678", "1062345678"},
		{"身份证11010519491231002x", "身份证110***********002x"},
		{"两个号码13812345678和13987654321", "两个号码138****5678和139****4321"},
		{"订单号 2026112312345678901 不是电话", "订单号 2026112312345678901 不是电话"},
		{"排队 2 小时，叫号 A023", "排队 2 小时，叫号 A023"},
		{"12345678901", "12345678901"},
		// Every way people write them.
		{"+8613912345678", "+86139****5678"},
		{"8613812345678", "86138****5678"},
		{"008613812345678", "0086138****5678"},
		{"电话：+86 139 1234 5678。", "电话：+86 139******5678。"},
		{"138-1234-5678", "138******5678"},
		{"138 1234 5678", "138******5678"},
		{"138　1234　5678", "138******5678"},
		{"１３７１２３４５６７８", "１３７****５６７８"},
		{"手机１３７-１２３４-５６７８", "手机１３７******５６７８"},
		{"1\u200b3\u200b8\u200b1\u200b2\u200b3\u200b4\u200b5\u200b6\u200b7\u200b8", "138****5678"},
		{"13812\u2060345678", "138****5678"},
		{"身份证 110105 19491231 002X", "身份证 110*************002X"},
		{"身份证 1101 0519 4912 3100 2x 已提交", "身份证 110**************00 2x 已提交"},
		{"１１０１０５１９４９１２３１００２Ｘ", "１１０***********００２Ｘ"},
		{"座机 0755 8123 4567", "座机 075*******4567"},
		{"座机６２３４５６７８前加０１０", "座机６２３４５６７８前加０１０"},
		{"座机 010－62345678", "座机 010*****5678"},
		// Separate numbers stay separate: the mobile is found in the second group.
		{"排队 2 13812345678", "排队 2 138****5678"},
		{"13812345678 13987654321", "138****5678 139****4321"},
		{"订单 2026 1123 0001", "订单 2026 1123 0001"},
		// Found by FuzzMaskPII: spaces of other widths (hair, thin, no-break), dashes, a minus sign,
		// several separators in a row, format characters other than the zero-width ones.
		{"1700000000\u200a0", "170****000\u200a0"},
		{"电话 138\u20091234\u202f5678", "电话 138******5678"},
		{"138 - 1234 - 5678", "138**********5678"},
		{"138—1234—5678", "138******5678"},
		{"138\u22121234\u22125678", "138******5678"},
		{"138\u00ad1234\u20625678", "138****5678"},
		{"身份证 110105  19491231  002X", "身份证 110***************002X"},
		// Found by FuzzMaskPII: the kept area code made a mobile number with the group before it.
		{"17000000 01002000000", "170****0 010****0000"},
		// Invisible characters go everywhere, not only inside numbers.
		{"差评\u202e好评\u200b", "差评好评"},
	} {
		if got := MaskPII(tc.in); got != tc.want {
			t.Errorf("MaskPII(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestTicketRouting: who handles a new ticket under the default rule and under a hall's own.
// A ticket that names a person never goes to the window's staff: to the window's leads, and
// without a lead besides the person named, to the supervisors; a conduct case (a category, an
// aspect or one problem of it) goes to the supervisors whatever else it says.
func TestTicketRouting(t *testing.T) {
	def := Routing{}
	hall := Routing{Named: RouteSupervisors, Window: RouteLead, Conduct: []string{"conduct", "attitude.cold"}}
	tests := []struct {
		name     string
		rt       Routing
		category string
		aspects  []string
		window   bool
		named    bool
		leads    int
		route    string
		conduct  bool
	}{
		{"window, nobody named: its staff", def, "efficiency", []string{"efficiency.slow"}, true, false, 1, RouteWindow, false},
		{"a person named: the lead", def, "attitude", []string{"attitude.cold"}, true, true, 1, RouteLead, false},
		{"a person named, no lead: the supervisors", def, "attitude", []string{"attitude.cold"}, true, true, 0, RouteSupervisors, false},
		{"吃拿卡要: supervisors only, a conduct case", def, "attitude", []string{"attitude.cold", "conduct.favours"}, true, false, 1, RouteSupervisors, true},
		{"不作为 naming a person: supervisors only", def, "efficiency", []string{"conduct.neglect"}, true, true, 1, RouteSupervisors, true},
		{"a complaint of category conduct", def, "conduct", nil, true, false, 1, RouteSupervisors, true},
		{"the whole center", def, "not_done", nil, false, false, 0, RouteSupervisors, false},
		{"a named person asked for the window's staff is still the lead's", Routing{Named: RouteWindow}, "attitude", nil, true, true, 2, RouteLead, false},
		{"hall: a person named goes to the supervisors", hall, "attitude", []string{"attitude.not_proactive"}, true, true, 3, RouteSupervisors, false},
		{"hall: the window's tickets go to the lead", hall, "efficiency", nil, true, false, 1, RouteLead, false},
		{"hall: the window's tickets without a lead go to the supervisors", hall, "efficiency", nil, true, false, 0, RouteSupervisors, false},
		{"hall: one problem made conduct", hall, "attitude", []string{"attitude.cold"}, true, false, 1, RouteSupervisors, true},
		{"hall: its other problems are not", hall, "attitude", []string{"attitude.facilities"}, true, false, 1, RouteLead, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			route, conduct := tt.rt.Route(tt.category, tt.aspects, tt.window, tt.named, tt.leads)
			if route != tt.route || conduct != tt.conduct {
				t.Errorf("route %s conduct %v, want %s %v", route, conduct, tt.route, tt.conduct)
			}
		})
	}
}

// TestTicketScopeByRoute: who covers a ticket by its route, its owner and the person it names.
func TestTicketScopeByRoute(t *testing.T) {
	staff, lead, sup := actors[RoleStaff], actors[RoleLead], actors[RoleSupervisor]
	otherLead := Actor{Role: RoleLead, StaffID: 17, WindowID: u(8)}
	tests := []struct {
		name  string
		set   func(tk *Ticket)
		covBy map[string]bool // staff, lead, supervisor, other lead
	}{
		{"the window's", func(tk *Ticket) {}, map[string]bool{"staff": true, "lead": true, "sup": true}},
		{"an old ticket without a route is the window's", func(tk *Ticket) { tk.Route = "" }, map[string]bool{"staff": true, "lead": true, "sup": true}},
		{"the lead's, naming the staff member", func(tk *Ticket) { tk.Route, tk.NamedStaffID = RouteLead, u(5) }, map[string]bool{"lead": true, "sup": true}},
		{"the supervisors'", func(tk *Ticket) { tk.Route = RouteSupervisors }, map[string]bool{"sup": true}},
		{"naming the lead, routed to the supervisors", func(tk *Ticket) { tk.Route, tk.NamedStaffID = RouteSupervisors, u(7) }, map[string]bool{"sup": true}},
		{"assigned to a lead of another window", func(tk *Ticket) { tk.Route, tk.OwnerStaffID = RouteSupervisors, u(17) }, map[string]bool{"sup": true, "other": true}},
		{"naming the supervisor", func(tk *Ticket) { tk.NamedStaffID = u(6) }, map[string]bool{"staff": true, "lead": true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk := fixture(StateSubmitted)
			tt.set(tk)
			for who, a := range map[string]Actor{"staff": staff, "lead": lead, "sup": sup, "other": otherLead} {
				if got := a.Covers(tk); got != tt.covBy[who] {
					t.Errorf("%s covers %v, want %v", who, got, tt.covBy[who])
				}
			}
		})
	}
}

// TestReopenDeadline: a ticket re-rated 不满意 gets a new rectification deadline counted in
// working days from the verdict: ReopenDays when set, else the category's rectification period.
func TestReopenDeadline(t *testing.T) {
	sh := mustShanghai(t)
	rules := DefaultTicketRules(sh)
	at := time.Date(2026, 12, 4, 13, 30, 0, 0, time.UTC) // Friday 4 December, 21:30 in Shanghai
	if got := rules.ReopenDue("attitude", at).In(sh).Format(time.DateOnly); got != "2026-12-25" {
		t.Errorf("default: due %s, want 2026-12-25 (15 working days)", got)
	}
	rules.ReopenDays = 5
	if got := rules.ReopenDue("attitude", at).In(sh).Format(time.DateOnly); got != "2026-12-11" {
		t.Errorf("reopen_days 5: due %s, want 2026-12-11", got)
	}
	tk := fixture(StateResolved)
	if _, err := tk.Apply(Change{Action: ActRerate, Actor: actors[RoleCitizen], Outcome: RerateUnsatisfied, Note: "根本没整改", At: at}, rules); err != nil {
		t.Fatal(err)
	}
	if got := tk.RectifyDue.In(sh).Format(time.DateOnly); got != "2026-12-11" {
		t.Errorf("reopened ticket due %s, want 2026-12-11", got)
	}
	if rules.MinResult() != 15 || (TicketRules{}).MinResult() != 15 {
		t.Errorf("min result %d, want the default 15", rules.MinResult())
	}
}
