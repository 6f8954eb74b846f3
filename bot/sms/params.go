package sms

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Param is where one template parameter comes from. SMS templates are approved in advance with
// numbered variables ({1}, {2}, …), while a push carries one text; a Param picks the variable's
// value out of that text, so the notices need no SMS-specific fields.
type Param struct {
	source string
	n      int
	re     *regexp.Regexp
	value  string
}

// The sources a Param can name (ParseParams).
var (
	urlPattern    = regexp.MustCompile(`https?://[^\s<>"'，。、；）)]+`)
	ticketPattern = regexp.MustCompile(`T\d{8}-\d{4}`)
)

// ErrNoValue means a template parameter found nothing in the push's text: the template does not
// fit this kind of notice.
var ErrNoValue = errors.New("sms: no value for the template parameter")

// ParseParams reads a ";"-separated list of parameter sources:
//
//	text      the whole text; text:N its first N characters (templates limit variable length)
//	line:N    the Nth line of the text (from 1)
//	url       the first http(s) link in the text
//	ticket    the first ticket number (T20261123-0042)
//	re:EXPR   the first match of a regular expression, or its first group when it has one
//	const:V   the fixed value V
func ParseParams(spec string) ([]Param, error) {
	var params []Param
	for _, item := range strings.Split(spec, ";") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		p, err := parseParam(item)
		if err != nil {
			return nil, err
		}
		params = append(params, p)
	}
	return params, nil
}

func parseParam(item string) (Param, error) {
	source, arg, hasArg := strings.Cut(item, ":")
	number := func() (int, error) {
		n, err := strconv.Atoi(arg)
		if err != nil || n < 1 {
			return 0, fmt.Errorf("sms: parameter %q: want a positive number after %q", item, source+":")
		}
		return n, nil
	}
	switch source {
	case "text":
		if !hasArg {
			return Param{source: source}, nil
		}
		n, err := number()
		return Param{source: source, n: n}, err
	case "line":
		n, err := number()
		return Param{source: source, n: n}, err
	case "url", "ticket":
		if hasArg {
			return Param{}, fmt.Errorf("sms: parameter %q: %s takes no argument", item, source)
		}
		return Param{source: source}, nil
	case "re":
		re, err := regexp.Compile(arg)
		if err != nil {
			return Param{}, fmt.Errorf("sms: parameter %q: %w", item, err)
		}
		return Param{source: source, re: re}, nil
	case "const":
		return Param{source: source, value: arg}, nil
	}
	return Param{}, fmt.Errorf("sms: parameter %q: unknown source (text, line:N, url, ticket, re:EXPR, const:V)", item)
}

// Value returns the parameter's value in text.
func (p Param) Value(text string) (string, error) {
	var v string
	switch p.source {
	case "text":
		v = text
		if p.n > 0 && utf8.RuneCountInString(v) > p.n {
			v = string([]rune(v)[:p.n])
		}
	case "line":
		lines := strings.Split(text, "\n")
		if p.n <= len(lines) {
			v = strings.TrimSpace(lines[p.n-1])
		}
	case "url":
		v = urlPattern.FindString(text)
	case "ticket":
		v = ticketPattern.FindString(text)
	case "re":
		m := p.re.FindStringSubmatch(text)
		switch {
		case len(m) > 1:
			v = m[1]
		case len(m) == 1:
			v = m[0]
		}
	case "const":
		return p.value, nil
	}
	if v == "" {
		return "", fmt.Errorf("%w (%s)", ErrNoValue, p)
	}
	return v, nil
}

// String returns the source as ParseParams reads it.
func (p Param) String() string {
	switch {
	case p.re != nil:
		return "re:" + p.re.String()
	case p.source == "const":
		return "const:" + p.value
	case p.n > 0:
		return p.source + ":" + strconv.Itoa(p.n)
	}
	return p.source
}
