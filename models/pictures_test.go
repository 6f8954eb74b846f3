package models_test

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"
	"time"

	"windowbot/internal/testenv"
	"windowbot/models"
)

func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestNewPicture(t *testing.T) {
	p, err := models.NewPicture(pngOf(t, 30, 40))
	if err != nil || p.MIMEType != "image/png" || p.Width != 30 || p.Height != 40 || len(p.Hash) != 64 {
		t.Fatalf("NewPicture = %+v, %v", p, err)
	}
	var jb bytes.Buffer
	if err := jpeg.Encode(&jb, image.NewRGBA(image.Rect(0, 0, 8, 6)), nil); err != nil {
		t.Fatal(err)
	}
	if p, err := models.NewPicture(jb.Bytes()); err != nil || p.MIMEType != "image/jpeg" {
		t.Fatalf("jpeg: %+v, %v", p, err)
	}
	for name, data := range map[string][]byte{
		"empty": nil, "text": []byte("hello, not a picture"), "gif": []byte("GIF89a\x01\x00\x01\x00"),
		"truncated png": pngOf(t, 30, 40)[:20], "too large": append(pngOf(t, 1, 1), make([]byte, models.MaxPictureBytes)...),
	} {
		if _, err := models.NewPicture(data); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// Pictures are stored once by content; a staff photo keeps its picture from pruning, and so does
// a queued push, while an old poster nobody refers to goes.
func TestPicturesStoreAndPrune(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := ctxT(t)
		seeded(t, s)
		old := testenv.Monday10.Add(-90 * 24 * time.Hour)
		photo, poster, queuedPic := pngOf(t, 3, 4), pngOf(t, 5, 5), pngOf(t, 6, 6)
		if err := s.SetStaffPhoto(ctx, old, "DEMO-001", photo); err != nil {
			t.Fatal(err)
		}
		h1, err := s.SavePicture(ctx, old, poster)
		if err != nil {
			t.Fatal(err)
		}
		if again, err := s.SavePicture(ctx, testenv.Monday10, poster); err != nil || again != h1 {
			t.Fatalf("second save = %q, %v; want the same hash", again, err)
		}
		c := models.Citizen{Platform: "web", ExternalID: "pictures", LastSeenAt: old}
		if err := s.DB().Create(&c).Error; err != nil {
			t.Fatal(err)
		}
		qp, _ := models.NewPicture(queuedPic)
		n, err := s.EnqueueWithPictures(ctx, old, []*models.Picture{qp}, []*models.Push{{DedupeKey: "pic:1", Kind: models.KindMonthlyStar, CitizenID: c.ID, Text: "图", PictureHash: qp.Hash}})
		if err != nil || n != 1 {
			t.Fatalf("EnqueueWithPictures = %d, %v", n, err)
		}
		gone, err := s.PrunePictures(ctx, testenv.Monday10)
		if err != nil || gone != 1 {
			t.Fatalf("PrunePictures = %d, %v; want the unreferenced poster only", gone, err)
		}
		if _, err := s.Picture(ctx, h1); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("pruned poster: err = %v", err)
		}
		st, err := s.StaffByNo(ctx, "DEMO-001")
		if err != nil {
			t.Fatal(err)
		}
		p, err := s.StaffPhoto(ctx, st)
		if err != nil || !bytes.Equal(p.Data, photo) {
			t.Fatalf("StaffPhoto = %v, %v", p, err)
		}
		if p, err := s.Picture(ctx, qp.Hash); err != nil || p.Width != 6 {
			t.Fatalf("queued push's picture = %v, %v", p, err)
		}
		if err := s.SetStaffPhoto(ctx, old, "NOBODY", photo); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("unknown staff: err = %v", err)
		}
		if err := s.SetStaffPhoto(ctx, old, "DEMO-001", []byte("junk")); err == nil || !strings.Contains(err.Error(), "picture") {
			t.Errorf("junk photo: err = %v", err)
		}
	})
}

// The places of a period are stored once: a re-run gets the first choice back, whatever it
// asks to store.
func TestStoreServiceStars(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := ctxT(t)
		w1, w2, zhang := seeded(t, s)
		wang, err := s.StaffByNo(ctx, "DEMO-003")
		if err != nil {
			t.Fatal(err)
		}
		place := func(st *models.Staff, w *models.Window, n int, runnerUp bool) *models.ServiceStar {
			return &models.ServiceStar{Period: "2026-10", CenterID: w.CenterID, Place: n, RunnerUp: runnerUp, StaffID: st.ID, WindowID: &w.ID, Ratings: 30, SatisfactionRate: 0.9}
		}
		got, err := s.StoreServiceStars(ctx, "2026-10", &w1.CenterID, []*models.ServiceStar{place(zhang, w1, 1, false), place(wang, w2, 2, true)})
		if err != nil || len(got) != 2 || got[0].Staff.StaffNo != "DEMO-001" || got[1].Place != 2 || !got[1].RunnerUp || got[1].Staff.Window == nil {
			t.Fatalf("first store = %+v, %v", got, err)
		}
		got, err = s.StoreServiceStars(ctx, "2026-10", &w1.CenterID, []*models.ServiceStar{place(wang, w2, 1, false)})
		if err != nil || len(got) != 2 || got[0].StaffID != zhang.ID {
			t.Fatalf("re-run = %+v, %v; want the first choice", got, err)
		}
		stars, err := s.ServiceStars(ctx, "2026-10")
		if err != nil || len(stars) != 1 || stars[0].StaffID != zhang.ID {
			t.Fatalf("ServiceStars = %+v, %v; want the star without the runner-up", stars, err)
		}
		if _, err := s.StoreServiceStars(ctx, "2026-11", &w1.CenterID, []*models.ServiceStar{place(zhang, w1, 1, false)}); err == nil {
			t.Error("a place of another period was stored")
		}
	})
}

func TestStarPlacesAndYearStars(t *testing.T) {
	tallies := []models.Tally{
		tallyOf(1, 1, 300, 294, 280), tallyOf(2, 1, 100, 99, 90), tallyOf(3, 1, 100, 80, 50),
		tallyOf(4, 2, 50, 50, 50), tallyOf(5, 2, 50, 40, 20), tallyOf(6, 2, 2, 2, 2),
	}
	places := models.StarPlaces(tallies, map[uint]bool{2: true}, 3, 2)
	if len(places[1]) != 2 || places[1][0].ID != 1 || places[1][1].ID != 3 || len(places[2]) != 2 || places[2][0].ID != 4 {
		t.Fatalf("places = %+v", places)
	}
	year := models.YearStars(tallies, nil, 3, 10)
	if len(year) != 5 || year[0].ID != 4 || year[len(year)-1].ID != 5 && year[len(year)-1].ID != 3 {
		t.Fatalf("year = %+v", year)
	}
	if n := len(models.YearStars(tallies, nil, 3, 2)); n != 2 {
		t.Fatalf("year of two = %d", n)
	}
}

// A staff file may end in a photo column: each photo is read through Photos, checked and stored,
// and becomes the staff member's; a row without one keeps theirs; a bad one is a problem of its
// row and nothing is imported.
func TestImportPhotos(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := ctxT(t)
		seeded(t, s)
		photos := map[string][]byte{"photos/DEMO-001.jpg": pngOf(t, 30, 40), "li.png": pngOf(t, 20, 20)}
		read := func(staffNo, photo string) ([]byte, error) {
			if data, ok := photos[photo]; ok {
				return data, nil
			}
			if data, ok := photos[photo+"/"+staffNo+".jpg"]; ok { // a folder of STAFFNO.jpg
				return data, nil
			}
			return nil, errors.New("no such file")
		}
		csv := models.StaffCSVHeader + ",photo\nDEMO-001,张伟,W001,staff,photos\nDEMO-002,李娜,W001,staff,li.png\nDEMO-003,王芳,W002,staff,\n"
		res, err := s.ImportFiles(ctx, models.ImportFiles{Staff: strings.NewReader(csv), StaffName: "staff.csv", Photos: read, Now: testenv.Monday10})
		if err != nil || res.StaffUpdated != 2 {
			t.Fatalf("import = %+v, %v; want the two with a photo updated", res, err)
		}
		for no, want := range map[string][]byte{"DEMO-001": photos["photos/DEMO-001.jpg"], "DEMO-002": photos["li.png"]} {
			st, _ := s.StaffByNo(ctx, no)
			p, err := s.StaffPhoto(ctx, st)
			if err != nil || p == nil || !bytes.Equal(p.Data, want) {
				t.Errorf("%s photo = %v, %v", no, p, err)
			}
		}
		// Re-imported without the column: the photos stay.
		if _, err := s.Import(ctx, nil, "", strings.NewReader(models.StaffCSVHeader+"\nDEMO-001,张伟,W001,staff\n"), "staff.csv"); err != nil {
			t.Fatal(err)
		}
		if st, _ := s.StaffByNo(ctx, "DEMO-001"); st.PhotoHash == "" {
			t.Error("photo lost by an import without photos")
		}
		// A missing file and a file that is no picture: problems of their rows, nothing written.
		photos["bad.jpg"] = []byte("not a picture")
		bad := models.StaffCSVHeader + ",photo\nDEMO-003,王芳,W002,staff,gone.jpg\nDEMO-004,刘洋,W003,staff,bad.jpg\n"
		_, err = s.ImportFiles(ctx, models.ImportFiles{Staff: strings.NewReader(bad), StaffName: "staff.csv", Photos: read, Now: testenv.Monday10})
		var ie *models.ImportError
		if !errors.As(err, &ie) || len(ie.Problems) != 2 || !strings.Contains(ie.Problems[0].String(), `staff.csv:2: photo "gone.jpg": no such file`) ||
			!strings.Contains(ie.Problems[1].String(), "not a JPEG or PNG") {
			t.Fatalf("err = %v", err)
		}
		// Without a way to read photos, a photo column naming one is refused.
		_, err = s.Import(ctx, nil, "", strings.NewReader(models.StaffCSVHeader+",photo\nDEMO-003,王芳,W002,staff,x.jpg\n"), "staff.csv")
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), "cannot be read") {
			t.Fatalf("err = %v", err)
		}
	})
}
