package models

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// lockedBuffer keeps what a logger writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestSQLLogWithoutParameters: statements that fail are logged at debug without the values they
// carried, whichever way gorm ran them — a built query, Exec, or Raw with Scan, which gorm
// records apart from the logger's own filter.
func TestSQLLogWithoutParameters(t *testing.T) {
	var buf lockedBuffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "log.db"), logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	var n int
	_ = s.db.Raw("SELECT nosuch FROM nowhere WHERE a = ?", "13800000001").Scan(&n).Error
	_ = s.db.Raw("SELECT nosuch FROM nowhere WHERE a = @a", map[string]any{"a": "13800000002"}).Scan(&n).Error
	_ = s.db.Exec("INSERT INTO nowhere VALUES (?)", "13800000003").Error
	_ = s.db.Table("nowhere").Where("a = ?", "13800000004").Find(&[]map[string]any{}).Error
	out := buf.String()
	if got := strings.Count(out, "sql failed"); got != 4 {
		t.Fatalf("%d failed statements logged, want 4:\n%s", got, out)
	}
	if strings.Contains(out, "138000000") {
		t.Errorf("a parameter was logged:\n%s", out)
	}
}
