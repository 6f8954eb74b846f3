package api

import "testing"

// CSVSafe exposes csvSafe to the external tests.
var CSVSafe = csvSafe

// AcceptLang exposes acceptLang to the external tests.
var AcceptLang = acceptLang

// SetCSVBatch makes CSV exports read n rows at a time until the test ends.
func SetCSVBatch(t testing.TB, n int) {
	old := csvBatch
	csvBatch = n
	t.Cleanup(func() { csvBatch = old })
}
