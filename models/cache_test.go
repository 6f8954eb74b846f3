package models_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"windowbot/internal/testenv"
	"windowbot/models"
)

// TestCacheAcrossReplicas: two stores on one database stand for two replicas. A window, its
// staff and a citizen row read by one are served from its cache (no statement), and a change
// committed through the other — an import renaming the window, a binding of the citizen — is
// seen by the first within CacheCheckEvery.
func TestCacheAcrossReplicas(t *testing.T) {
	for name, url := range testenv.DatabaseURLs(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			a := testenv.OpenDemoStore(t, url)
			b := testenv.Reopen(t, a)
			now := time.Now()
			w, err := a.WindowByCode(ctx, "W001")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.StaffOfWindow(ctx, w.ID); err != nil {
				t.Fatal(err)
			}
			c, err := a.TouchCitizen(ctx, "web", "cache-visitor", "zh-CN", now)
			if err != nil {
				t.Fatal(err)
			}
			watch := watchStatements(t, a)
			watch.start()
			if _, err := a.WindowByCode(ctx, "w001"); err != nil {
				t.Fatal(err)
			}
			if _, err := a.StaffOfWindow(ctx, w.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := a.TouchCitizen(ctx, "web", "cache-visitor", "", now.Add(time.Second)); err != nil {
				t.Fatal(err)
			}
			if sql := watch.stop(); reads(sql, "windows")+reads(sql, "staffs")+reads(sql, "citizens") != 0 {
				t.Errorf("cached lookups read the database:\n%s", strings.Join(sql, "\n"))
			}

			// The other replica renames the window and binds the citizen as staff.
			if _, err := b.Import(ctx, strings.NewReader(models.WindowsCSVHeader+"\n"+models.DemoCenterCode+",示范政务服务中心,W001,改名窗口,部门"), "w.csv", nil, ""); err != nil {
				t.Fatal(err)
			}
			code, _, err := b.CreateInvite(ctx, "DEMO-001", time.Hour, now)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := b.RedeemInvite(ctx, code, c.ID, now); err != nil {
				t.Fatal(err)
			}
			time.Sleep(models.CacheCheckEvery + 20*time.Millisecond)
			w2, err := a.WindowByCode(ctx, "W001")
			if err != nil {
				t.Fatal(err)
			}
			if w2.Name != "改名窗口" {
				t.Errorf("window after the other replica's import: %q", w2.Name)
			}
			c2, err := a.TouchCitizen(ctx, "web", "cache-visitor", "", now.Add(2*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			if c2.StaffID == nil {
				t.Error("citizen after the other replica's binding: still not bound")
			}

			// Every writer of citizen rows tells the others, not only the binding: each change
			// alone, read back by the first replica before the next.
			for i, w := range []struct {
				name  string
				write func() error
				seen  func(*models.Citizen) bool
			}{
				{"unbinding", func() error { return b.Unbind(ctx, c.ID, now) }, func(c *models.Citizen) bool { return c.StaffID == nil }},
				{"subscription", func() error { return b.SetSubscribed(ctx, c.ID, true, now) }, func(c *models.Citizen) bool { return c.Subscribed }},
			} {
				if err := w.write(); err != nil {
					t.Fatal(err)
				}
				time.Sleep(models.CacheCheckEvery + 20*time.Millisecond)
				got, err := a.TouchCitizen(ctx, "web", "cache-visitor", "", now.Add(time.Duration(3+i)*time.Second))
				if err != nil {
					t.Fatal(err)
				}
				if !w.seen(got) {
					t.Errorf("citizen after the other replica's %s: %+v", w.name, got)
				}
			}
		})
	}
}
