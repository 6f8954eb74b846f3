package poster

import (
	"context"
	"fmt"

	"windowbot/internal/text"
	"windowbot/models"
)

// Spec is one poster to print: what its QR code opens and the texts around the code.
type Spec struct {
	// Name tells the poster apart in a listing and names its file among others: the window code,
	// or the staff number.
	Name string
	// Target is what the QR code opens.
	Target Target
	// Title, Subtitle and Footer are printed as in Poster.
	Title, Subtitle, Footer string
	// Center is the hall's name for the header of a print, CenterCode its code (which picks the
	// hall's hotline); both empty when the center was not loaded.
	Center, CenterCode string
	// PhotoHash names the staff member's imported photo (models.Picture); empty for none.
	PhotoHash string
}

// ForWindow returns the poster of a window, hung at its counter: the window's name large, its
// code and center (when w.Center is loaded) under it, worded in lang.
func ForWindow(lang string, w *models.Window) Spec {
	center, code := "", ""
	if w.Center != nil {
		center, code = w.Center.Name, w.Center.Code
	}
	return Spec{
		Name: w.Code, Target: Target{WindowCode: w.Code},
		Center: center, CenterCode: code,
		Title:    w.Name,
		Subtitle: text.T(lang, "poster.window_subtitle", "Code", w.Code, "Center", center),
		Footer:   text.T(lang, "poster.window_footer"),
	}
}

// ForStaff returns a staff member's own poster (亮牌上岗), for a badge or the counter: their name
// large, their number and window under it. Only a window's staff members (role staff, with their
// window loaded) are rated, so only they have one; and only a staff number that fits in a link
// (models.StaffLinkPattern) can be printed — the others are chosen by name from the window's
// poster. Its words are in lang.
func ForStaff(lang string, st *models.Staff) (Spec, error) {
	if st.Role != models.RoleStaff || st.Window == nil {
		return Spec{}, fmt.Errorf("poster: %s is a %s, not a window's staff member: only they are rated", st.StaffNo, st.Role)
	}
	if !models.StaffLinkPattern.MatchString(st.StaffNo) {
		return Spec{}, fmt.Errorf("poster: staff number %q cannot be put in a link (A-Z a-z 0-9 _ -, at most 40): print the window's poster instead", st.StaffNo)
	}
	var center, code string
	switch {
	case st.Window.Center != nil:
		center, code = st.Window.Center.Name, st.Window.Center.Code
	case st.Center != nil:
		center, code = st.Center.Name, st.Center.Code
	}
	return Spec{
		Name: st.StaffNo, Target: Target{WindowCode: st.Window.Code, StaffNo: st.StaffNo},
		Center: center, CenterCode: code, PhotoHash: st.PhotoHash,
		Title:    st.Name,
		Subtitle: text.T(lang, "poster.staff_subtitle", "StaffNo", st.StaffNo, "Code", st.Window.Code, "Window", st.Window.Name),
		Footer:   text.T(lang, "poster.staff_footer"),
	}, nil
}

// Link asks l for the link of s's target and returns the poster to draw.
func (s Spec) Link(ctx context.Context, l Linker) (Poster, error) {
	url, err := l.Link(ctx, s.Target)
	if err != nil {
		return Poster{}, err
	}
	return Poster{URL: url, Title: s.Title, Subtitle: s.Subtitle, Footer: s.Footer}, nil
}
