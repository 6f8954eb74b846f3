package cli

import (
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"windowbot/bot/poster"
	"windowbot/models"
)

func TestQR(t *testing.T) {
	if _, err := poster.FindFont(""); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no CJK font under CI (make test installs one): %v", err)
		}
		t.Skipf("no CJK font: %v", err)
	}
	e := baseEnv(t, map[string]string{"WINDOWBOT_PUBLIC_URL": "https://hall.example.cn"})
	if code, _, errs := runCmd(t, e, "seed", "--demo"); code != 0 {
		t.Fatal(errs)
	}
	out := filepath.Join(t.TempDir(), "w1.png")
	code, stdout, errs := runCmd(t, e, "qr", "--window", "W001", "--out", out)
	if code != 0 || !strings.Contains(stdout, "https://hall.example.cn/?w=W001") {
		t.Fatalf("qr: %d %q %q", code, stdout, errs)
	}
	if b := checkPNG(t, out); b.Dx() != 2480 || b.Dy() != 3508 {
		t.Fatalf("default poster is %v, want A4 at 300 dpi", b.Size())
	}
	if code, _, errs := runCmd(t, e, "qr", "--window", "W001", "--size", "a5", "--out", out); code != 0 || checkPNG(t, out).Dx() != 1748 {
		t.Fatalf("qr --size a5: %d %q", code, errs)
	}
	if code, _, errs := runCmd(t, e, "qr", "--window", "NOPE", "--out", out); code != 1 || !strings.Contains(errs, "no window") {
		t.Fatalf("qr unknown window: %d %q", code, errs)
	}

	// A staff member's own poster (亮牌上岗) opens their window's rating with them chosen.
	staffCSV := filepath.Join(t.TempDir(), "staff.csv")
	if err := os.WriteFile(staffCSV, []byte("staff_no,name,window_code,role\nHR/17,韩梅,W002,staff\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runCmd(t, e, "import", "--staff", staffCSV); code != 0 {
		t.Fatal(errs)
	}
	mine := filepath.Join(t.TempDir(), "s2.png")
	code, stdout, errs = runCmd(t, e, "qr", "--staff", "DEMO-002", "--size", "tent", "--out", mine)
	if code != 0 || !strings.Contains(stdout, "https://hall.example.cn/?s=DEMO-002") {
		t.Fatalf("qr --staff: %d %q %q", code, stdout, errs)
	}
	checkPNG(t, mine)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--staff", "NOPE", "--out", mine}, 1, "no staff member"},
		{[]string{"--staff", models.DemoSupervisorNo, "--out", mine}, 1, "not a window's staff member"},
		{[]string{"--staff", "HR/17", "--out", mine}, 1, "cannot be put in a link"},
		{[]string{"--staff", "DEMO-002", "--window", "W001", "--out", mine}, 2, "one of --window CODE, --all or --staff NO"},
		{[]string{"--staff", "DEMO-002"}, 2, "and --out"},
		{[]string{"--staff", "DEMO-002", "--out", mine, "--size", "letter"}, 2, "unknown --size"},
	} {
		if code, _, errs := runCmd(t, e, append([]string{"qr"}, tc.args...)...); code != tc.code || !strings.Contains(errs, tc.want) {
			t.Errorf("qr %v: %d %q, want %d and %q", tc.args, code, errs, tc.code, tc.want)
		}
	}

	// With a Telegram bot the posters carry its deep link; the username comes from getMe.
	api := newFakeBotAPI(t)
	e["WINDOWBOT_TELEGRAM_TOKEN"] = api.token
	e["WINDOWBOT_TELEGRAM_API_URL"] = api.srv.URL
	dir := t.TempDir()
	code, stdout, errs = runCmd(t, e, "qr", "--all", "--size", "tent", "--out", dir)
	if code != 0 || !strings.Contains(stdout, "https://t.me/HallRatingBot?start=w_W003") {
		t.Fatalf("qr --all: %d %q %q", code, stdout, errs)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.png"))
	if len(files) != 5 {
		t.Fatalf("posters = %v", files)
	}
	checkPNG(t, files[0])
	code, stdout, errs = runCmd(t, e, "qr", "--staff", "DEMO-002", "--size", "tent", "--out", mine)
	if code != 0 || !strings.Contains(stdout, "https://t.me/HallRatingBot?start=s_DEMO-002") {
		t.Fatalf("qr --staff on Telegram: %d %q %q", code, stdout, errs)
	}
}

// TestQRRefusesLocalhost: without a public address the web chat's posters would open
// localhost on a citizen's phone; qr refuses unless told where, or told to go on.
func TestQRRefusesLocalhost(t *testing.T) {
	if _, err := poster.FindFont(""); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no CJK font under CI (make test installs one): %v", err)
		}
		t.Skipf("no CJK font: %v", err)
	}
	e := baseEnv(t, nil)
	if code, _, errs := runCmd(t, e, "seed", "--demo"); code != 0 {
		t.Fatal(errs)
	}
	out := filepath.Join(t.TempDir(), "w1.png")
	code, _, errs := runCmd(t, e, "qr", "--window", "W001", "--size", "tent", "--out", out)
	if code != 1 || !strings.Contains(errs, "public_url") || !strings.Contains(errs, "--base-url") {
		t.Fatalf("qr without a public URL: %d %q; want a refusal naming public_url and --base-url", code, errs)
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("a poster was written")
	}
	code, stdout, errs := runCmd(t, e, "qr", "--window", "W001", "--size", "tent", "--base-url", "https://wb.example.gov.cn", "--out", out)
	if code != 0 || !strings.Contains(stdout, "https://wb.example.gov.cn/?w=W001") {
		t.Fatalf("qr --base-url: %d %q %q", code, stdout, errs)
	}
	code, stdout, errs = runCmd(t, e, "qr", "--window", "W001", "--size", "tent", "--allow-localhost", "--out", out)
	if code != 0 || !strings.Contains(stdout, "http://localhost:8080/?w=W001") {
		t.Fatalf("qr --allow-localhost: %d %q %q", code, stdout, errs)
	}
}

func checkPNG(t *testing.T, path string) image.Rectangle {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img.Bounds()
}

// TestImportPhotoForStaffPoster: a staff file's photo column names a folder of STAFFNO.jpg; the
// photo is stored scaled down and printed on the staff member's own poster.
func TestImportPhotoForStaffPoster(t *testing.T) {
	if _, err := poster.FindFont(""); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no CJK font under CI (make test installs one): %v", err)
		}
		t.Skipf("no CJK font: %v", err)
	}
	e := baseEnv(t, map[string]string{"WINDOWBOT_PUBLIC_URL": "https://hall.example.cn"})
	if code, _, errs := runCmd(t, e, "seed", "--demo"); code != 0 {
		t.Fatal(errs)
	}
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "photos"), 0o755); err != nil {
		t.Fatal(err)
	}
	big := image.NewRGBA(image.Rect(0, 0, 1800, 2400))
	for i := range big.Pix {
		big.Pix[i] = byte(i / 4 % 251)
	}
	f, err := os.Create(filepath.Join(dir, "photos", "DEMO-002.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	if err := jpeg.Encode(f, big, nil); err != nil {
		t.Fatal(err)
	}
	f.Close()
	csv := filepath.Join(dir, "staff.csv")
	if err := os.WriteFile(csv, []byte("staff_no,name,window_code,role,photo\nDEMO-002,李娜,W001,staff,photos\nDEMO-003,王芳,W002,staff,nope.jpg\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errs := runCmd(t, e, "import", "--staff", csv)
	if code != 1 || !strings.Contains(errs, `staff.csv:3: photo "nope.jpg": no such file`) {
		t.Fatalf("import with a missing photo: %d %q", code, errs)
	}
	if err := os.WriteFile(csv, []byte("staff_no,name,window_code,role,photo\nDEMO-002,李娜,W001,staff,photos\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runCmd(t, e, "import", "--staff", csv); code != 0 {
		t.Fatalf("import: %q", errs)
	}
	s, err := models.Open(t.Context(), e["WINDOWBOT_DATABASE_URL"], nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st, err := s.StaffByNo(t.Context(), "DEMO-002")
	if err != nil {
		t.Fatal(err)
	}
	pic, err := s.StaffPhoto(t.Context(), st)
	if err != nil || pic == nil || pic.Width != 600 || pic.Height != 800 || pic.MIMEType != "image/jpeg" {
		t.Fatalf("stored photo = %+v, %v; want a 600x800 JPEG", pic, err)
	}
	out := filepath.Join(dir, "s.png")
	if code, _, errs := runCmd(t, e, "qr", "--staff", "DEMO-002", "--size", "tent", "--out", out); code != 0 {
		t.Fatalf("qr --staff: %q", errs)
	}
	checkPNG(t, out)
}
