package handlers

// CSVSafe exposes csvSafe to the external tests.
var CSVSafe = csvSafe
