package testenv

import (
	"bytes"
	"sync"
)

// LogBuffer is an io.Writer that keeps what was written, safe to read while the code under test
// still writes to it: give it to a logger (or as a command's output) and check the text after.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
