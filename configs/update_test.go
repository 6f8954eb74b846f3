package configs

// testenv defines -update, which `go test ./... -update` passes to every test binary: one that
// does not define it fails.
import _ "windowbot/internal/testenv"
