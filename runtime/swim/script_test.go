package swim_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/stretchr/testify/require"
)

// TestScripts runs the protocol exchanges written in testdata/*.txt, each a
// script of commands over a simulated cluster whose expected output is the
// exact exchange: every packet, event and delivery. Regenerate the
// transcripts after an intended change with
//
//	go test ./runtime/swim -run TestScripts -rewrite
//
// and read the diff: it is the change in behaviour.
func TestScripts(t *testing.T) {
	// Not datadriven.Walk: testdata also holds the fuzz corpus.
	paths, err := filepath.Glob(filepath.Join("testdata", "*.txt"))
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	for _, path := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txt"), func(t *testing.T) {
			e := &scriptEnv{}
			datadriven.RunTest(t, path, func(t *testing.T, td *datadriven.TestData) string {
				return e.handle(t, td)
			})
		})
	}
}
