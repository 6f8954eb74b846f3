package handlers

import "testing"

// CSVSafe exposes csvSafe to the external tests.
var CSVSafe = csvSafe

// SetCSVBatch makes CSV exports read n rows at a time until the test ends.
func SetCSVBatch(t testing.TB, n int) {
	old := csvBatch
	csvBatch = n
	t.Cleanup(func() { csvBatch = old })
}

// DeskCommandNames lists the desk's commands, for the role table to cover every one.
func DeskCommandNames() []string {
	var out []string
	for name := range deskCommands {
		out = append(out, name)
	}
	return out
}
