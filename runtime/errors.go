package runtime

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/memberlist-go/memberlist/runtime/swim"
)

// The errors this package returns are read by people who imported
// package runtime, not its internals: the packages under it (swim, frame,
// udp) prefix their messages with their own names, which say nothing to a
// user and repeat when one error wraps another. This file restates such
// errors at the package boundary, keeping what they wrap for errors.Is.

// restated is an error shown with another message; errors.Is and
// errors.As see what it wraps.
type restated struct {
	msg  string
	errs []error
}

func (e *restated) Error() string   { return e.msg }
func (e *restated) Unwrap() []error { return e.errs }

// internalPrefix matches the name of an internal package at the start of
// a message or of one of its colon-separated parts.
var internalPrefix = regexp.MustCompile(`(^|: )(?:swim|frame|udp): `)

// publicError restates err, returned by an internal package, under this
// package's name: "memberlist: send to "x": unknown member", not
// "swim: send to "x": swim: unknown member". It returns nil for nil, and
// context errors and errors of this package as they are.
func publicError(err error) error {
	if err == nil || errors.Is(err, ErrClosed) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	msg := internalPrefix.ReplaceAllString(err.Error(), "$1")
	if errors.Is(err, ErrLeft) {
		// The core's "member has left" is about this node.
		msg = strings.TrimSuffix(msg, "member has left") + "this node has left the cluster"
	}
	if !strings.HasPrefix(msg, "memberlist: ") {
		msg = "memberlist: " + msg
	}
	return &restated{msg: msg, errs: []error{err}}
}

// ConfigError is a Config field Config.Validate (or Start) refuses: the
// field, its value and what the field accepts, for the protocol's knobs
// too, so that a program that maps fields to its own names (flags, a file,
// environment variables as ConfigFromEnv does) finds the field with
// errors.As instead of reading the message. It wraps ErrInvalidConfig and,
// for a protocol knob, the *swim.ConfigError it restates (so
// swim.ErrInvalidConfig too).
type ConfigError struct {
	// Field is the Config field refused, such as "Name" or, for a field
	// of the embedded swim.Config, "ProbeTimeout".
	Field string
	// Value is the refused value as the message shows it: quoted or
	// summarized for text and bytes, never a key's bytes.
	Value string
	// Want says what Field accepts.
	Want string
	// Related are the other fields Want speaks of, whose values set the
	// bound Field broke ("ProbeInterval" for a ProbeTimeout over 4/5 of
	// it): changing one of them fixes the error too.
	Related []string

	// problem, if set, says what is wrong in place of "Field = Value",
	// for a value the message describes rather than shows (a key).
	problem string
	// cause is the error behind this one: the *swim.ConfigError restated,
	// or udpframe.ErrKeySize.
	cause error
}

// Error reads "memberlist: invalid config: Field = Value; want Want".
func (e *ConfigError) Error() string {
	return ErrInvalidConfig.Error() + ": " + e.text()
}

// text is the message without the "invalid config" prefix.
func (e *ConfigError) text() string {
	problem := e.problem
	if problem == "" {
		problem = e.Field + " = " + e.Value
	}
	return problem + "; want " + e.Want
}

// Unwrap returns ErrInvalidConfig and the error this one restates, if any.
func (e *ConfigError) Unwrap() []error {
	if e.cause == nil {
		return []error{ErrInvalidConfig}
	}
	return []error{ErrInvalidConfig, e.cause}
}

// badField returns the ConfigError of field, showing v with %v.
func badField(field string, v any, want string, related ...string) *ConfigError {
	return &ConfigError{Field: field, Value: fmt.Sprint(v), Want: want, Related: related}
}

// restateSwim returns err, an error of swim.Config.Validate, as this
// package's ConfigError for the same field.
func restateSwim(err error) error {
	var se *swim.ConfigError
	if !errors.As(err, &se) {
		return invalidConfig(err)
	}
	return &ConfigError{Field: se.Field, Value: se.Value, Want: se.Want, Related: se.Related, cause: err}
}

// configProblems is an invalid configuration: ErrInvalidConfig's text
// once, then every problem found, one per line when there are several.
// errors.Is finds ErrInvalidConfig and whatever each problem wraps.
type configProblems struct {
	problems []error
}

func (e *configProblems) Error() string {
	if len(e.problems) == 1 {
		return ErrInvalidConfig.Error() + ": " + e.problems[0].Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d problems:", ErrInvalidConfig, len(e.problems))
	for _, p := range e.problems {
		b.WriteString("\n\t")
		b.WriteString(p.Error())
	}
	return b.String()
}

func (e *configProblems) Unwrap() []error {
	return append([]error{ErrInvalidConfig}, e.problems...)
}

// invalidConfig gathers problems into one configProblems, or nil for
// none. A problem that is itself a configProblems contributes its problems; one
// that starts with the text of an ErrInvalidConfig (this package's or an
// internal package's) loses that prefix, so that the message says "invalid
// config" once however the problems were built.
func invalidConfig(errs ...error) error {
	var problems []error
	for _, err := range errs {
		if err == nil {
			continue
		}
		if ce, ok := err.(*configProblems); ok {
			problems = append(problems, ce.problems...)
			continue
		}
		problems = append(problems, withoutInvalidPrefix(err))
	}
	if len(problems) == 0 {
		return nil
	}
	return &configProblems{problems: problems}
}

// invalidPrefix matches the "invalid config" prefix of this package's,
// and the internal packages', ErrInvalidConfig.
var invalidPrefix = regexp.MustCompile(`^(?:(?:memberlist|swim|udp|discovery): invalid config: )+`)

// withoutInvalidPrefix returns err with its "invalid config" prefixes
// taken off the message, still wrapping err.
func withoutInvalidPrefix(err error) error {
	msg := err.Error()
	trimmed := invalidPrefix.ReplaceAllString(msg, "")
	if trimmed == msg {
		return err
	}
	return &restated{msg: trimmed, errs: []error{err}}
}

// unknownVariables is the problem of MEMBERLIST_* variables that
// ConfigFromEnviron does not know, each with the known one it is likely a
// typo of, if any.
func unknownVariables(unknown []string, vars []envVar) error {
	known := make([]string, len(vars))
	for i, ev := range vars {
		known[i] = ev.name
	}
	slices.Sort(unknown)
	named := make([]string, len(unknown))
	for i, u := range unknown {
		named[i] = u
		if c, ok := closest(u, known); ok {
			named[i] += " (did you mean " + c + "?)"
		}
	}
	what := "unknown variable"
	if len(unknown) > 1 {
		what += "s"
	}
	return fmt.Errorf("%s %s; the known ones are listed in the documentation of ConfigFromEnv (go doc github.com/memberlist-go/memberlist/runtime.ConfigFromEnv)",
		what, strings.Join(named, ", "))
}

// closest returns the candidate nearest to name by edit distance, if it is
// near enough to be a likely typo of it: at most two edits, or a third of
// its length, or name with a word left off ("MEMBERLIST_BIND" for
// MEMBERLIST_BIND_ADDR) when only one candidate fits that. Ties are no
// answer: a guess between two names helps no one.
func closest(name string, candidates []string) (string, bool) {
	best, bestD, tie := "", -1, false
	for _, c := range candidates {
		d := editDistance(name, c)
		if bestD < 0 || d < bestD {
			best, bestD, tie = c, d, false
		} else if d == bestD {
			tie = true
		}
	}
	if bestD >= 0 && !tie && (bestD <= 2 || 3*bestD <= len(best)-len(envPrefix)) {
		return best, true
	}
	var extended []string
	for _, c := range candidates {
		if strings.HasPrefix(c, name+"_") {
			extended = append(extended, c)
		}
	}
	if len(extended) == 1 {
		return extended[0], true
	}
	return "", false
}

// editDistance is the Levenshtein distance between a and b, in bytes:
// the fewest insertions, deletions and substitutions that turn one into
// the other.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
