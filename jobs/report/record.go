// Package report turns windowbot's ratings and the outcomes of bad reviews into records for the
// province's unified 好差评 platform, in the field names of the national 好差评 data interface
// (docs/reporting.md says which names are confirmed and where from), posts them to the
// platform (Client) and writes them as JSON lines or CSV for halls that upload files (Exporter).
//
// The package knows nothing of the database or the outbox: the caller turns its rows into a
// Rating or an Outcome, a Mapper makes the Record, and the outbox stores and sends it. Every
// record has a stable RecordID, derived from the row it reports, so that sending it again —
// after a crash, from another replica — is recognisably the same record.
package report

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Record types (recordType).
const (
	// TypeEvaluation is a citizen's rating (评价).
	TypeEvaluation = "evaluation"
	// TypeRectification is what became of a bad review: its rectification (整改), the citizen's
	// re-rating (二次评价), or its exclusion after an appeal.
	TypeRectification = "rectification"
)

// Record is one report record in the national interface's field names. A rating fills the
// evaluation fields, an outcome the rectification fields; both carry the place and, when the
// rating came through a case invitation, the case (办件) and its matter (事项).
type Record struct {
	// RecordID is the idempotency key: the same rating or outcome always has the same ID.
	RecordID   string `json:"recordId"`
	RecordType string `json:"recordType"`
	// EvaluateID is the rating's ID; on a rectification record, the bad review it belongs to.
	EvaluateID string `json:"evaluateId"`
	DataSource string `json:"dataSource,omitempty"`

	AreaCode   string `json:"areaCode,omitempty"`
	AreaName   string `json:"areaName,omitempty"`
	DeptCode   string `json:"deptCode,omitempty"`
	ProDepart  string `json:"proDepart,omitempty"`
	HallCode   string `json:"hallCode,omitempty"`
	WindowCode string `json:"windowCode,omitempty"`
	WindowName string `json:"windowName,omitempty"`

	ProjectNo    string `json:"projectNo,omitempty"`
	ProStatus    string `json:"proStatus,omitempty"`
	TaskCode     string `json:"taskCode,omitempty"`
	TaskName     string `json:"taskName,omitempty"`
	ProManager   string `json:"proManager,omitempty"`
	ProManagerNo string `json:"proManagerNo,omitempty"`

	UserProp          string `json:"userProp,omitempty"`
	Pf                string `json:"pf,omitempty"`
	Satisfaction      string `json:"satisfaction,omitempty"`
	EvalDetail        string `json:"evalDetail,omitempty"`
	WritingEvaluation string `json:"writingEvaluation,omitempty"`
	AssessTime        string `json:"assessTime,omitempty"`
	AssessNumber      int    `json:"assessNumber,omitempty"`

	Rectification  string `json:"rectification,omitempty"`
	RectifyResult  string `json:"rectifyResult,omitempty"`
	RectifyTime    string `json:"rectifyTime,omitempty"`
	EffectivEvalua string `json:"effectivEvalua,omitempty"`
}

// Case is the service case (办件) a rating was invited for.
type Case struct {
	// No is the case system's case number (办件编号).
	No string
	// MatterCode and MatterName identify the matter (事项编码, 事项名称); optional.
	MatterCode string
	MatterName string
}

// Rating is a citizen's rating as windowbot knows it.
type Rating struct {
	// ID is the rating's own stable ID (its primary key).
	ID string
	At time.Time
	// Level is 1 (非常不满意) … 5 (非常满意).
	Level int
	// Aspects are the keys of what went wrong or was good (efficiency, attitude, …).
	Aspects []string
	// Comment is the citizen's free text, unmasked; the record carries it masked.
	Comment string
	// Platform is where the rating was made: a bot platform name, or "paper" for feedback cards.
	Platform   string
	CenterCode string
	WindowCode string
	WindowName string
	// StaffNo and StaffName are the staff member rated (经办人), when known.
	StaffNo   string
	StaffName string
	// Case is the case the rating was invited for; nil for a rating without one.
	Case *Case
}

// Results of a bad review (Outcome.Result). The platform's codes for them are mapped in
// Mapping.Results.
const (
	// ResultRectified: the rectification is done and approved; the citizen is asked to re-rate.
	ResultRectified = "rectified"
	// ResultSatisfied: the citizen re-rated the fix 满意 or 基本满意; the ticket closed.
	ResultSatisfied = "satisfied"
	// ResultNotSatisfied: the citizen re-rated 不满意; the ticket is reopened.
	ResultNotSatisfied = "not_satisfied"
	// ResultNoReply: the citizen did not re-rate in time; closed as no reply.
	ResultNoReply = "no_reply"
	// ResultRejected: the complaint was found invalid; the rating stands.
	ResultRejected = "rejected"
	// ResultAppealUpheld: staff's appeal was upheld; the rating no longer counts.
	ResultAppealUpheld = "appeal_upheld"
)

var results = []string{ResultRectified, ResultSatisfied, ResultNotSatisfied, ResultNoReply, ResultRejected, ResultAppealUpheld}

// Outcome is one step in what became of a bad review.
type Outcome struct {
	// ID is the stable ID of the event that is reported (the ticket event's primary key).
	ID string
	// RatingID is the bad review's Rating.ID.
	RatingID string
	At       time.Time
	Result   string
	// Rectification is the rectification's result as staff recorded it, unmasked.
	Rectification string
	// ReRating is the level of the citizen's re-rating (追评: 满意 4, 基本满意 3, 不满意 2), 0 for none.
	ReRating int
	// ReRatingComment is the citizen's reason for a re-rating, unmasked.
	ReRatingComment string
	CenterCode      string
	WindowCode      string
	WindowName      string
	Case            *Case
}

// Department is the province's identity of a center or window: 受理部门.
type Department struct {
	// Code is the department's code (deptCode), often its 18-character 统一社会信用代码.
	Code string `yaml:"code"`
	// Name is the department's name (proDepart).
	Name string `yaml:"name"`
	// HallCode is the service hall's code, where the province uses one.
	HallCode string `yaml:"hall_code"`
}

// DefaultTimeLayout is how times are written (assessTime, rectifyTime) unless the province wants
// another layout: the "yyyy-MM-dd HH:mm:ss" of the provincial interfaces.
const DefaultTimeLayout = "2006-01-02 15:04:05"

// DefaultIDPrefix starts every record ID unless Mapping.IDPrefix says otherwise.
const DefaultIDPrefix = "WB"

// DefaultChannels maps where a rating was made to the evaluation channel (pf) used by the
// provincial interfaces: 移动端 2 for the chat apps, 二维码 3 for the web chat opened from a
// window's QR code, 政务大厅其他终端 5 for paper cards entered at the hall.
var DefaultChannels = map[string]string{"wechat": "2", "telegram": "2", "web": "3", "paper": "5"}

// Mapping turns windowbot's values into the province's codes. The yaml tags are the keys under
// `report.mapping:`. Every map falls back to windowbot's own value for a key it lacks, so an
// export stays complete; the platform's answer shows what is missing.
type Mapping struct {
	// AreaCode is the 行政区划代码 of the reporting hall; AreaName its name.
	AreaCode string `yaml:"area_code"`
	AreaName string `yaml:"area_name"`
	// DataSource is the source code the province assigned (e.g. three digits).
	DataSource string `yaml:"data_source"`
	// IDPrefix starts every record ID (default WB). Never change it once records were sent: the
	// same rating would then be a new record.
	IDPrefix string `yaml:"id_prefix"`
	// TimeLayout is a Go time layout for assessTime and rectifyTime (default DefaultTimeLayout).
	TimeLayout string `yaml:"time_layout"`
	// Centers and Windows give the department of a center or window code; a window's entry wins.
	Centers map[string]Department `yaml:"centers"`
	Windows map[string]Department `yaml:"windows"`
	// Channels maps a platform to the evaluation channel code (pf); DefaultChannels fills gaps.
	Channels map[string]string `yaml:"channels"`
	// Levels maps a level "1" … "5" to the province's satisfaction code. Without an entry the
	// level itself is sent (5 = 非常满意, as the provincial interfaces count); GB/T 39046-2020
	// counts the other way round (1 = 非常满意): such a province maps 5→1 … 1→5.
	Levels map[string]string `yaml:"levels"`
	// Aspects maps an aspect key to the province's 测评内容 code (evalDetail).
	Aspects map[string]string `yaml:"aspects"`
	// Results maps an Outcome.Result to the province's code for it (rectifyResult).
	Results map[string]string `yaml:"results"`
}

// Mapper makes Records. It is safe for concurrent use; the Mapping must not change under it.
type Mapper struct {
	m   Mapping
	loc *time.Location
}

// NewMapper returns a Mapper that writes times in loc (the hall's time zone).
func NewMapper(m Mapping, loc *time.Location) *Mapper {
	if m.IDPrefix == "" {
		m.IDPrefix = DefaultIDPrefix
	}
	if m.TimeLayout == "" {
		m.TimeLayout = DefaultTimeLayout
	}
	if loc == nil {
		loc = time.Local
	}
	return &Mapper{m: m, loc: loc}
}

// ErrInvalid means the rating or outcome cannot become a record (no ID, a level out of range).
var ErrInvalid = errors.New("report: invalid input")

// EvaluationID returns the record ID of the rating with ID ratingID.
func (mp *Mapper) EvaluationID(ratingID string) string { return mp.m.IDPrefix + "-E-" + ratingID }

// RectificationID returns the record ID of the outcome event with ID eventID.
func (mp *Mapper) RectificationID(eventID string) string { return mp.m.IDPrefix + "-R-" + eventID }

// Rating returns the evaluation record of r.
func (mp *Mapper) Rating(r Rating) (Record, error) {
	if r.ID == "" {
		return Record{}, fmt.Errorf("report: rating without an ID: %w", ErrInvalid)
	}
	if r.Level < 1 || r.Level > 5 {
		return Record{}, fmt.Errorf("report: rating %s: level %d: %w", r.ID, r.Level, ErrInvalid)
	}
	id := mp.EvaluationID(r.ID)
	rec := Record{
		RecordID:          id,
		RecordType:        TypeEvaluation,
		EvaluateID:        id,
		UserProp:          "1", // 个人: citizens rate windows as persons
		Pf:                lookup(mp.m.Channels, r.Platform, DefaultChannels),
		Satisfaction:      mp.level(r.Level),
		EvalDetail:        mp.aspects(r.Aspects),
		WritingEvaluation: MaskText(r.Comment),
		AssessTime:        mp.time(r.At),
		AssessNumber:      1,
		ProManager:        r.StaffName,
		ProManagerNo:      r.StaffNo,
	}
	mp.place(&rec, r.CenterCode, r.WindowCode, r.WindowName)
	mp.bind(&rec, r.Case)
	return rec, nil
}

// Outcome returns the rectification record of o.
func (mp *Mapper) Outcome(o Outcome) (Record, error) {
	if o.ID == "" || o.RatingID == "" {
		return Record{}, fmt.Errorf("report: outcome %q of rating %q: %w", o.ID, o.RatingID, ErrInvalid)
	}
	known := false
	for _, r := range results {
		known = known || o.Result == r
	}
	if !known {
		return Record{}, fmt.Errorf("report: outcome %s: result %q: %w", o.ID, o.Result, ErrInvalid)
	}
	if o.ReRating < 0 || o.ReRating > 5 {
		return Record{}, fmt.Errorf("report: outcome %s: re-rating %d: %w", o.ID, o.ReRating, ErrInvalid)
	}
	rec := Record{
		RecordID:      mp.RectificationID(o.ID),
		RecordType:    TypeRectification,
		EvaluateID:    mp.EvaluationID(o.RatingID),
		Rectification: MaskText(o.Rectification),
		RectifyResult: lookup(mp.m.Results, o.Result, nil),
		RectifyTime:   mp.time(o.At),
	}
	if o.ReRating > 0 {
		rec.AssessNumber = 2 // 二次评价
		rec.Satisfaction = mp.level(o.ReRating)
		rec.WritingEvaluation = MaskText(o.ReRatingComment)
		rec.AssessTime = rec.RectifyTime
	}
	if o.Result == ResultAppealUpheld {
		rec.EffectivEvalua = "0" // kept on record, no longer counted
	}
	mp.place(&rec, o.CenterCode, o.WindowCode, o.WindowName)
	mp.bind(&rec, o.Case)
	return rec, nil
}

func (mp *Mapper) place(rec *Record, center, window, windowName string) {
	rec.DataSource = mp.m.DataSource
	rec.AreaCode, rec.AreaName = mp.m.AreaCode, mp.m.AreaName
	rec.WindowCode, rec.WindowName = window, windowName
	dept, ok := mp.m.Windows[window]
	if !ok || window == "" {
		dept = mp.m.Centers[center]
	}
	rec.DeptCode, rec.ProDepart, rec.HallCode = dept.Code, dept.Name, dept.HallCode
}

func (mp *Mapper) bind(rec *Record, c *Case) {
	if c == nil {
		return
	}
	rec.ProjectNo, rec.TaskCode, rec.TaskName = c.No, c.MatterCode, c.MatterName
	rec.ProStatus = "3" // 已办结: cases are registered when finished
}

func (mp *Mapper) level(l int) string {
	s := strconv.Itoa(l)
	return lookup(mp.m.Levels, s, nil)
}

func (mp *Mapper) aspects(keys []string) string {
	codes := make([]string, len(keys))
	for i, k := range keys {
		codes[i] = lookup(mp.m.Aspects, k, nil)
	}
	return strings.Join(codes, ",")
}

func (mp *Mapper) time(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(mp.loc).Format(mp.m.TimeLayout)
}

// lookup returns m[key], else defaults[key], else key itself.
func lookup(m map[string]string, key string, defaults map[string]string) string {
	if v, ok := m[key]; ok {
		return v
	}
	if v, ok := defaults[key]; ok {
		return v
	}
	return key
}
