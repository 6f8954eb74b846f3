package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"windowbot/models"
)

// cmdImport is `windowbot import`: centers, windows and staff from CSV files, all rows or none.
func cmdImport(ctx context.Context, a *app, args []string) error {
	fs := flags("import", a.stderr)
	windowsPath := fs.String("windows", "", "windows CSV: center_code,center_name,window_code,window_name,department")
	staffPath := fs.String("staff", "", "staff CSV: staff_no,name,window_code,role")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *windowsPath == "" && *staffPath == "" {
		fmt.Fprintln(a.stderr, "import: name --windows FILE, --staff FILE or both")
		return errUsage
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
	res, err := s.Import(ctx, wr, wname, sr, sname)
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
	return nil
}
