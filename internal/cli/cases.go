package cli

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"windowbot/bot"
	"windowbot/bot/poster"
	"windowbot/bot/telegram"
	"windowbot/bot/wechat"
	"windowbot/flows/state"
	"windowbot/handlers/api"
	"windowbot/models"
)

// casesOptions configures the case registration over store, with the links of the channels that
// are configured (tg and wx may be nil).
func (a *app) casesOptions(store *models.Store, tg *telegram.Adapter, wx *wechat.Adapter) api.CasesOptions {
	o := api.CasesOptions{
		Store: store, AdminToken: a.cfg.AdminToken, Token: a.cfg.Cases.Token, ExpiryDays: a.cfg.Cases.ExpiryDays,
		Links: a.caseLinker(tg, wx), Location: a.loc, Logger: a.logger,
	}
	if a.cfg.SMS.Provider != "" {
		o.Invite = models.CaseSMSInvite(func(token string) string { return poster.WebCaseLink(a.cfg.PublicURL, token) })
	}
	return o
}

// caseLinker makes invitation links on the configured channels: Telegram only with a bot
// username, WeChat only with an account.
func (a *app) caseLinker(tg *telegram.Adapter, wx *wechat.Adapter) poster.CaseLinker {
	l := poster.CaseLinker{PublicURL: a.cfg.PublicURL}
	if tg != nil && a.cfg.Telegram.Username != "" {
		l.Telegram = tg
	}
	if wx != nil {
		l.WeChat = wx
	}
	return l
}

// caseColumns are the columns of `windowbot cases import`, as POST /api/v1/cases names them.
var caseColumns = []string{"case_no", "matter_code", "matter_name", "window_code", "staff_no", "finished_at", "phone", "consent"}

// cmdCases is `windowbot cases import FILE.csv`: registers the cases of a CSV file (a header
// line naming the columns of POST /api/v1/cases, case_no, window_code and finished_at required)
// in requests of up to 500, and prints each invitation as a JSON line. A file with a bad row
// registers nothing of its request and names every bad row.
func cmdCases(ctx context.Context, a *app, args []string) error {
	if len(args) == 0 || args[0] != "import" {
		fmt.Fprintln(a.stderr, "cases: say import FILE.csv")
		return errUsage
	}
	if len(args) != 2 || strings.HasPrefix(args[1], "-") {
		fmt.Fprintln(a.stderr, "cases import: name one CSV file")
		return errUsage
	}
	path := args[1]
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("cases: %w", err)
	}
	defer f.Close()
	rows, err := readCases(f)
	if err != nil {
		return fmt.Errorf("cases: %s: %w", path, err)
	}
	store, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	var tg *telegram.Adapter
	if a.cfg.Telegram.Token != "" && a.cfg.Telegram.Username != "" {
		if tg, err = a.telegram(bot.HandlerFunc(noUpdates), state.NewMemory(nil)); err != nil {
			return err
		}
	}
	var wx *wechat.Adapter
	if a.cfg.WeChat.AppID != "" {
		var release func()
		if wx, release, err = a.wechatAPI(ctx, store); err != nil {
			return err
		}
		defer release()
	}
	reg := api.NewCases(a.casesOptions(store, tg, wx))
	enc := json.NewEncoder(a.stdout)
	for start := 0; start < len(rows); start += models.MaxCasesPerRequest {
		batch := rows[start:min(start+models.MaxCasesPerRequest, len(rows))]
		out, err := reg.Register(ctx, batch, models.CaseFromFile)
		var ce *models.CaseError
		if errors.As(err, &ce) {
			for _, r := range ce.Rows {
				fmt.Fprintf(a.stderr, "cases: line %d: %s\n", start+r.Row+1, r.Reason)
			}
			return fmt.Errorf("cases: %d bad rows: lines %d-%d not registered (%d registered before them)", len(ce.Rows), start+2, start+len(batch)+1, start)
		}
		if err != nil {
			return err
		}
		for _, inv := range out {
			if err := enc.Encode(inv); err != nil {
				return err
			}
		}
	}
	fmt.Fprintf(a.stderr, "cases: %d registered\n", len(rows))
	return nil
}

// readCases reads the CSV of `cases import`.
func readCases(r io.Reader) ([]models.NewCase, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	col := map[string]int{}
	for i, h := range head {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		known := false
		for _, c := range caseColumns {
			known = known || c == h
		}
		if !known {
			return nil, fmt.Errorf("header: unknown column %q (columns: %s)", h, strings.Join(caseColumns, ", "))
		}
		col[h] = i
	}
	for _, need := range []string{"case_no", "window_code", "finished_at"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("header: no column %s", need)
		}
	}
	var out []models.NewCase
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		c := models.NewCase{CaseNo: get("case_no"), MatterCode: get("matter_code"), MatterName: get("matter_name"),
			WindowCode: get("window_code"), StaffNo: get("staff_no"), FinishedAt: get("finished_at"), Phone: get("phone")}
		if v := get("consent"); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil && v != "是" && v != "否" {
				return nil, fmt.Errorf("line %d: consent %q: want true or false", line, v)
			}
			c.Consent = b || v == "是"
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errors.New("no cases")
	}
	return out, nil
}
