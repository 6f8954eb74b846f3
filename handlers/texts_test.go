package handlers_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"windowbot/flows"
	"windowbot/models"
)

// Every sentence the desk says exists in both languages: the literal keys in the source and the
// ones it builds from roles, actions and kinds.
func TestDeskTextsExist(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	lit := regexp.MustCompile(`\bT\((?:[a-zA-Z.()]+, )?"([a-z_]+)"`)
	keys := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range lit.FindAllStringSubmatch(string(src), -1) {
			if !strings.HasSuffix(m[1], "_") { // a prefix completed below
				keys[m[1]] = true
			}
		}
	}
	if len(keys) < 50 {
		t.Fatalf("found only %d keys: the pattern is wrong", len(keys))
	}
	for _, r := range []string{models.RoleStaff, models.RoleSupervisor, models.RoleAdmin} {
		keys["role_"+r] = true
	}
	for _, r := range models.Roles {
		keys["actor_"+r] = true
	}
	for _, k := range []string{models.KindBadReview, models.KindComplaint} {
		keys["kind_"+k] = true
	}
	for _, a := range []models.Action{models.ActAccept, models.ActReject, models.ActAssign, models.ActPlan, models.ActDone,
		models.ActAppeal, models.ActReview, models.ActEscalate, models.ActPublish} {
		keys["act_"+string(a)] = true
		keys["usage_"+string(a)] = true
	}
	for _, o := range []string{models.RerateSatisfied, models.RerateBasic, models.RerateUnsatisfied} {
		keys["rerate_"+o] = true
	}
	for k := range keys {
		zh, en := flows.T(flows.LangZH, k), flows.T(flows.LangEN, k)
		if zh == k || en == k || zh == en && !strings.HasPrefix(zh, "📊") {
			t.Errorf("text %q: zh %q, en %q", k, zh, en)
		}
	}
}
