package main

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/memberlist-go/memberlist/runtime"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Each write starts with the time since the demo started; the further
// lines of a write (a member table) are indented under it.
func TestStampWriter(t *testing.T) {
	var b bytes.Buffer
	w := &stampWriter{w: &b, start: time.Now().Add(-1500 * time.Millisecond)}
	fmt.Fprintf(w, "Members:\n  a alive\n  b alive\n")
	fmt.Fprintln(w, "done")
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	require.Len(t, lines, 4)
	assert.Regexp(t, `^  1\.5\ds  Members:$`, lines[0])
	assert.Equal(t, strings.Repeat(" ", 9)+"  a alive", lines[1])
	assert.Equal(t, strings.Repeat(" ", 9)+"  b alive", lines[2])
	assert.Regexp(t, `^  1\.5\ds  done$`, lines[3])
}

// The demo says what it shortened, with the defaults beside, and how long
// detection takes on each: about 5 s on the defaults with five members
// (4 s of suspicion plus the probe), under a second here.
func TestDescribeTimings(t *testing.T) {
	var b bytes.Buffer
	describeTimings(&b)
	lan := runtime.DefaultLANConfig()
	for _, want := range []string{
		"probe interval 200ms (default " + lan.ProbeInterval.String() + ")",
		"probe timeout 100ms (default " + lan.ProbeTimeout.String() + ")",
		"gossip interval 50ms (default " + lan.GossipInterval.String() + ")",
		"about 0.8s here; on the defaults, about 5.0s",
	} {
		assert.Contains(t, b.String(), want)
	}
	assert.Regexp(t, regexp.MustCompile(`false alarms`), b.String())
}
