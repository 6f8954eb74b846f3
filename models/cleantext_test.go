package models_test

import (
	"strings"
	"testing"

	"windowbot/models"
)

func TestCleanText(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"plain", "窗口人员态度冷漠", "窗口人员态度冷漠"},
		{"nul", "态度\x00冷漠\u0000", "态度冷漠"},
		{"controls", "a\x01b\x1bc\x7fd\u0085e", "abcde"},
		{"newline and tab stay", "第一行\n\t第二行", "第一行\n\t第二行"},
		{"line ends", "a\r\nb\rc\u2028d", "a\nb\nc\nd"},
		{"bidi overrides", "差评\u202e好评\u202c \u2066x\u2069 \u200e\u200f\u061c", "差评好评 x "},
		{"zero width", "138\u200b1234\u200c5678\u200d\u2060\ufeff", "13812345678"},
		// Found by FuzzCleanText: format characters outside the bidirectional and zero-width ones
		// are as invisible — the invisible operators, the soft hyphen, the Mongolian vowel
		// separator, the deprecated format characters, tags. Arabic number signs are visible.
		{"other format characters", "138\u20621234\u00ad5678\u180e\u206a\U000e0041", "13812345678"},
		{"arabic number sign stays", "\u0600١٢", "\u0600١٢"},
		{"invalid utf-8", "ab\xff\xfecd", "ab\ufffdcd"},
		{"emoji stay", "很好😀", "很好😀"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := models.CleanText(tc.in); got != tc.want {
				t.Errorf("CleanText(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestFoldWidth(t *testing.T) {
	for in, want := range map[string]string{
		"Ｗ００１":           "W001",
		"１３７１２３４５６７８":    "13712345678",
		"ｔ２０２６１１２３－００４２": "t20261123-0042",
		"W001": "W001",
		"　５":   " 5",
	} {
		if got := models.FoldWidth(in); got != want {
			t.Errorf("FoldWidth(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestStoreCleansWhatPostgresRefuses: a NUL byte or broken UTF-8 that reaches the store by
// another way than a channel is cleaned on insert and update instead of failing on PostgreSQL
// (SQLite would keep it).
func TestStoreCleansWhatPostgresRefuses(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := ctxT(t)
		w1, _, _ := seeded(t, s)
		c, err := s.TouchCitizen(ctx, "web", "v1", "", w1.CreatedAt)
		if err != nil {
			t.Fatal(err)
		}
		tk, err := s.CreateComplaint(ctx, models.NewComplaint{CitizenID: c.ID, WindowID: &w1.ID, Category: models.CategoryNotDone,
			Description: "材料\x00不全\xff", Channel: "web", At: w1.CreatedAt})
		if err != nil {
			t.Fatalf("complaint with NUL: %v", err)
		}
		got, err := s.TicketByNo(ctx, tk.No)
		if err != nil {
			t.Fatal(err)
		}
		if got.Description != "材料不全\ufffd" {
			t.Errorf("description stored as %q", got.Description)
		}
		r := &models.Rating{CitizenID: c.ID, WindowID: w1.ID, Level: 1, Channel: "web", Comment: "慢\x00", CreatedAt: w1.CreatedAt}
		if err := s.CreateRating(ctx, r, w1.CreatedAt); err != nil {
			t.Fatalf("rating with NUL: %v", err)
		}
		if r.Ticket == nil || strings.ContainsRune(r.Ticket.Description, 0) {
			t.Fatalf("bad review's ticket = %+v", r.Ticket)
		}
		events, err := s.TicketEvents(ctx, tk.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range events {
			if strings.ContainsRune(ev.Note, 0) {
				t.Errorf("event note %q holds NUL", ev.Note)
			}
		}
	})
}

func TestNormInviteCodeFolds(t *testing.T) {
	for in, want := range map[string]string{
		"abcd-efgh-jkmn": "ABCDEFGHJKMN",
		"ＡＢＣＤ　ＥＦＧＨ－２３４５":           "ABCDEFGH2345",
		"ABCD\u200bEFGH\u2060JKMN": "ABCDEFGHJKMN",
	} {
		if got := models.NormInviteCode(in); got != want {
			t.Errorf("NormInviteCode(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestImportCleansNames: names in an administrator's files are cleaned like text from a
// channel, so an override or a NUL byte reaches no button, no staff view and no PostgreSQL.
func TestImportCleansNames(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		windows := windowsHeader + "C01,城东\u202e中心,A01,综合\x00窗口,政务\u200b办\n"
		staff := staffHeader + "S1,张\u2066三,A01,staff\n"
		if _, err := importStrings(t, s, windows, staff); err != nil {
			t.Fatal(err)
		}
		w, err := s.WindowByCode(ctxT(t), "A01")
		if err != nil {
			t.Fatal(err)
		}
		if w.Name != "综合窗口" || w.Center.Name != "城东中心" || w.Department != "政务办" {
			t.Errorf("window %q, center %q, department %q", w.Name, w.Center.Name, w.Department)
		}
		if st, err := s.StaffByNo(ctxT(t), "S1"); err != nil || st.Name != "张三" {
			t.Errorf("staff = %+v, %v", st, err)
		}
	})
}
