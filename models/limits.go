package models

import (
	"fmt"
	"regexp"
)

// The limits of what people type and send, and the shapes of the codes printed on posters and
// put in links. The dialogs, the channels and the import all check against these, and a text
// that states a limit is given the number from here.

// MaxCodeLen bounds a window or center code and a staff number.
const MaxCodeLen = 40

// WindowCodePattern is what a window or center code may look like: it is printed on posters,
// typed by citizens and put in links, so only ASCII letters, digits and hyphens.
var WindowCodePattern = regexp.MustCompile(fmt.Sprintf(`^[A-Za-z0-9-]{1,%d}$`, MaxCodeLen))

// StaffLinkPrefix starts the rating argument (and the deep-link payload "/start s_<staff no>")
// that names a staff member: their window is rated with them already chosen. Window codes have
// no underscore, so the two forms cannot be confused.
const StaffLinkPrefix = "s_"

// StaffLinkPattern is what a staff number must look like to fit in a deep link: Telegram allows
// 1–64 of A-Z a-z 0-9 _ - in a start payload, and "s_" takes two of them. Staff numbers with
// other characters (an HR system's "/" or Chinese) have no personal link.
var StaffLinkPattern = regexp.MustCompile(fmt.Sprintf(`^[A-Za-z0-9_-]{1,%d}$`, MaxCodeLen))

// Lengths of typed text, in characters (runes).
const (
	// MaxCommentRunes bounds a rating's free-text comment.
	MaxCommentRunes = 500
	// MaxDescriptionRunes bounds a complaint's description.
	MaxDescriptionRunes = 1000
	// MaxReasonRunes bounds the reason of an appeal, a rejection, a review, an escalation or a
	// ban.
	MaxReasonRunes = 500
	// MaxNoteRunes bounds what staff and supervisors record: a plan, a result, an inspection's
	// findings.
	MaxNoteRunes = 1000
)

// Photos attached to a complaint.
const (
	// MaxPhotos is how many photos one complaint carries.
	MaxPhotos = 3
	// MaxPhotoBytes bounds one photo, whose size the platform tells (Telegram) or whose bytes a
	// channel has (the web upload, a downloaded WeChat image).
	MaxPhotoBytes = 10 << 20
)
