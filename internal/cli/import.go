package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"windowbot/bot/poster"
	"windowbot/models"
)

// cmdImport is `windowbot import`: centers, windows and staff from CSV files, all rows or none.
func cmdImport(ctx context.Context, a *app, args []string) error {
	fs := flags("import", a.stderr)
	windowsPath := fs.String("windows", "", "windows CSV: center_code,center_name,window_code,window_name,department")
	mattersPath := fs.String("matters", "", "matters CSV: "+models.MattersCSVHeader+"; materials separated by ；")
	staffPath := fs.String("staff", "", "staff CSV: staff_no,name,window_code,role[,photo]; photo is a JPEG/PNG file or a folder of STAFFNO.jpg, relative to the CSV's folder")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *windowsPath == "" && *staffPath == "" && *mattersPath == "" {
		fmt.Fprintln(a.stderr, "import: name --windows FILE, --staff FILE, --matters FILE or several")
		return errUsage
	}
	if *windowsPath == "" && *staffPath == "" {
		return importMatters(ctx, a, *mattersPath)
	}
	open := func(p string) (io.Reader, string, func(), error) {
		if p == "" {
			return nil, "", func() {}, nil // the store imports only the other file
		}
		f, err := os.Open(p)
		if err != nil {
			return nil, "", nil, err
		}
		return f, filepath.Base(p), func() { f.Close() }, nil
	}
	wr, wname, wclose, err := open(*windowsPath)
	if err != nil {
		return err
	}
	defer wclose()
	sr, sname, sclose, err := open(*staffPath)
	if err != nil {
		return err
	}
	defer sclose()
	s, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	res, err := s.ImportFiles(ctx, models.ImportFiles{Windows: wr, WindowsName: wname, Staff: sr, StaffName: sname,
		Photos: photoReader(filepath.Dir(*staffPath)), Now: time.Now()})
	if err != nil {
		var ie *models.ImportError
		if errors.As(err, &ie) {
			fmt.Fprintln(a.stderr, ie.Error())
			return errors.New("nothing was imported; fix the rows above and run again")
		}
		return err
	}
	fmt.Fprintf(a.stdout, "imported: centers %d new, %d updated; windows %d new, %d updated; staff %d new, %d updated\n",
		res.CentersCreated, res.CentersUpdated, res.WindowsCreated, res.WindowsUpdated, res.StaffCreated, res.StaffUpdated)
	if *mattersPath != "" {
		return importMatters(ctx, a, *mattersPath)
	}
	return nil
}

// importMatters imports the matters file of the one-time notification guide, after the windows
// it names.
func importMatters(ctx context.Context, a *app, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	s, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	res, err := s.ImportMatters(ctx, f, filepath.Base(path))
	if err != nil {
		var ie *models.ImportError
		if errors.As(err, &ie) {
			fmt.Fprintln(a.stderr, ie.Error())
			return errors.New("no matter was imported; fix the rows above and run again")
		}
		return err
	}
	fmt.Fprintf(a.stdout, "imported: matters %d new, %d updated\n", res.Created, res.Updated)
	return nil
}

// photoReader reads the photo a staff row names: a file, or a folder holding STAFFNO.jpg (or
// .jpeg, .png), relative to dir (the staff file's folder). The photo is scaled down for storing.
func photoReader(dir string) func(staffNo, photo string) ([]byte, error) {
	return func(staffNo, photo string) ([]byte, error) {
		path := photo
		if !filepath.IsAbs(path) {
			path = filepath.Join(dir, path)
		}
		if st, err := os.Stat(path); err == nil && st.IsDir() {
			found := ""
			for _, ext := range []string{".jpg", ".jpeg", ".png", ".JPG", ".JPEG", ".PNG"} {
				if _, err := os.Stat(filepath.Join(path, staffNo+ext)); err == nil {
					found = filepath.Join(path, staffNo+ext)
					break
				}
			}
			if found == "" {
				return nil, fmt.Errorf("no %s.jpg in the folder", staffNo)
			}
			path = found
		}
		data, err := os.ReadFile(path)
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return nil, pe.Err // the path is in the problem already
		}
		if err != nil {
			return nil, err
		}
		if len(data) > 32<<20 {
			return nil, fmt.Errorf("%d bytes: too large for a photo", len(data))
		}
		return poster.NormalizePhoto(data)
	}
}
