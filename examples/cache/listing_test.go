package main

import (
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// memberlist-gen's documentation shows this program in full ("A complete
// program"); the listing must be these files, so that what a reader copies
// is what this package's Example runs. Only the go:generate line differs:
// in a module of one's own the generator runs as a tool.
func TestGeneratorDocListsThisProgram(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "../../cmd/memberlist-gen/doc.go", nil, parser.ParseComments|parser.PackageClauseOnly)
	require.NoError(t, err)
	doc := f.Doc.Text()
	_, section, ok := strings.Cut(doc, "\n# A complete program\n")
	require.True(t, ok, "memberlist-gen's documentation has no section \"A complete program\"")
	blocks := codeBlocks(section)
	require.Len(t, blocks, 3, "code blocks of the section: messages.go, main.go, the output")

	messages := read(t, "messages.go")
	messages = strings.Replace(messages,
		"//go:generate go run github.com/memberlist-go/memberlist/cmd/memberlist-gen",
		"//go:generate go tool memberlist-gen", 1)
	assert.Equal(t, messages, blocks[0], "messages.go")
	assert.Equal(t, read(t, "main.go"), blocks[1], "main.go")
	assert.Equal(t, exampleOutput(t), blocks[2], "the output, as Example checks it")
}

// codeBlocks returns the indented blocks of a doc comment's text, without
// their indentation.
func codeBlocks(text string) []string {
	var blocks []string
	var cur []string
	flush := func() {
		for len(cur) > 0 && cur[len(cur)-1] == "" {
			cur = cur[:len(cur)-1]
		}
		if len(cur) > 0 {
			blocks = append(blocks, strings.Join(cur, "\n")+"\n")
		}
		cur = nil
	}
	for _, line := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(line, "\t"):
			cur = append(cur, line[1:])
		case line == "" && len(cur) > 0:
			cur = append(cur, "")
		default:
			flush()
		}
	}
	flush()
	return blocks
}

func read(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	require.NoError(t, err)
	return string(b)
}

// exampleOutput is the Output comment of Example in example_test.go.
func exampleOutput(t *testing.T) string {
	t.Helper()
	_, out, ok := strings.Cut(read(t, "example_test.go"), "\t// Output:\n")
	require.True(t, ok)
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if !strings.HasPrefix(l, "\t// ") {
			break
		}
		lines = append(lines, strings.TrimPrefix(l, "\t// "))
	}
	return strings.Join(lines, "\n") + "\n"
}
