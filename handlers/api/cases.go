package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"gorm.io/gorm"

	"windowbot/bot/poster"
	"windowbot/models"
)

// CasesOptions configures the case registration of the hall's case system (办件系统):
// POST /api/v1/cases.
type CasesOptions struct {
	Store *models.Store
	// AdminToken and Token (WINDOWBOT_CASES_TOKEN) each authorise a registration; Token can do
	// nothing else.
	AdminToken string
	Token      string
	// ExpiryDays is how long an invitation stays valid (default models.DefaultCaseExpiryDays).
	ExpiryDays int
	// Links makes each invitation's links.
	Links poster.CaseLinker
	// Invite queues the invitation's pushes of a new case (the SMS to a phone given with
	// consent); nil sends none.
	Invite   func(tx *gorm.DB, c *models.Case) ([]*models.Push, error)
	Location *time.Location
	Now      func() time.Time
	Logger   *slog.Logger
}

// Cases serves POST /api/v1/cases.
type Cases struct {
	o CasesOptions
}

// NewCases returns the case registration API.
func NewCases(o CasesOptions) *Cases {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	return &Cases{o: o}
}

// Routes registers the API on mux.
func (c *Cases) Routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/v1/cases", c.register)
}

// Invitation is one registered case's answer.
type Invitation struct {
	CaseNo    string           `json:"case_no"`
	Token     string           `json:"token"`
	ExpiresAt time.Time        `json:"expires_at"`
	Links     poster.CaseLinks `json:"links"`
}

// CaseErrors is the 400 answer: every bad row with its reason.
type CaseErrors struct {
	Error string                `json:"error"`
	Rows  []models.CaseRowError `json:"rows"`
}

// maxCasesBody bounds a registration's body: 500 cases of well under 1 KB each.
const maxCasesBody = 1 << 20

func (c *Cases) register(w http.ResponseWriter, r *http.Request) {
	if !authorized(r, c.o.AdminToken) && !authorized(r, c.o.Token) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="windowbot"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "unauthorized"})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxCasesBody))
	if err != nil {
		writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": "body too large"})
		return
	}
	in, single, err := DecodeCases(body)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	out, err := c.Register(r.Context(), in, models.CaseFromAPI)
	var ce *models.CaseError
	if errors.As(err, &ce) {
		writeJSON(w, http.StatusBadRequest, CaseErrors{Error: "invalid cases", Rows: ce.Rows})
		return
	}
	if err != nil {
		c.o.Logger.ErrorContext(r.Context(), "api: register cases", "err", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal error"})
		return
	}
	if single {
		writeJSON(w, http.StatusCreated, out[0])
		return
	}
	writeJSON(w, http.StatusCreated, out)
}

// DecodeCases reads one case object or an array of them; single says it was one object.
func DecodeCases(body []byte) (in []models.NewCase, single bool, err error) {
	body = bytes.TrimSpace(body)
	dec := func(v any) error {
		d := json.NewDecoder(bytes.NewReader(body))
		d.DisallowUnknownFields()
		if err := d.Decode(v); err != nil {
			return errors.New("body: want a case object or an array of them: " + err.Error())
		}
		if d.More() {
			return errors.New("body: more than one JSON value")
		}
		return nil
	}
	if len(body) > 0 && body[0] == '{' {
		var one models.NewCase
		if err := dec(&one); err != nil {
			return nil, false, err
		}
		return []models.NewCase{one}, true, nil
	}
	if err := dec(&in); err != nil {
		return nil, false, err
	}
	return in, false, nil
}

// Register registers in (models.RegisterCases) and returns each case's invitation with its
// links. The command line's `cases import` uses it too.
func (c *Cases) Register(ctx context.Context, in []models.NewCase, source string) ([]Invitation, error) {
	cases, err := c.o.Store.RegisterCases(ctx, in, models.CaseOptions{
		Now: c.o.Now(), ExpiryDays: c.o.ExpiryDays, Location: c.o.Location, Source: source, Invite: c.o.Invite,
	})
	if err != nil {
		return nil, err
	}
	out := make([]Invitation, len(cases))
	for i := range cases {
		cs := &cases[i]
		links, err := c.o.Links.Links(ctx, cs)
		if err != nil {
			// The case is registered; a channel that could not make its link is left out, and a
			// repeat of the request asks again.
			c.o.Logger.WarnContext(ctx, "api: invitation link", "case_id", cs.ID, "err", err)
		}
		out[i] = Invitation{CaseNo: *cs.CaseNo, Token: cs.Token, ExpiresAt: cs.ExpiresAt.In(c.o.Location), Links: links}
	}
	return out, nil
}
