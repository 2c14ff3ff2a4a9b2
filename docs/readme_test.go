// Package docs_test checks that the repository's documents do what they
// say.
package docs_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const modulePath = "github.com/memberlist-go/memberlist"

// readmeSection is the README's "Use it in your module": its commands, its
// files and the output it promises, in order.
type readmeSection struct {
	steps  []step
	output string
}

// step is a shell command, or a file to write.
type step struct {
	command      string
	file, source string
}

// parseSection reads the section headed title from the README: the lines
// of its sh blocks are commands, a go block preceded by a paragraph naming
// `file.go` is that file, and the text block is the expected output.
func parseSection(t *testing.T, readme, title string) readmeSection {
	t.Helper()
	_, body, ok := strings.Cut(readme, "\n"+title+"\n")
	require.True(t, ok, "README has no section %q", title)
	if i := strings.Index(body, "\n#"); i >= 0 {
		body = body[:i]
	}
	fileName := regexp.MustCompile("`([A-Za-z0-9_]+\\.go)`")
	var sec readmeSection
	var lang, lastPara string
	var block []string
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if lang == "" {
			if l, ok := strings.CutPrefix(line, "```"); ok {
				lang, block = l, nil
				continue
			}
			if line != "" {
				lastPara += line + "\n"
			} else if lastPara != "" && !strings.HasSuffix(lastPara, "\n\n") {
				lastPara += "\n"
			}
			continue
		}
		if line != "```" {
			block = append(block, line)
			continue
		}
		switch lang {
		case "sh":
			for _, c := range block {
				if c = strings.TrimSpace(c); c != "" && !strings.HasPrefix(c, "#") {
					sec.steps = append(sec.steps, step{command: c})
				}
			}
		case "go":
			m := fileName.FindAllStringSubmatch(lastParagraph(lastPara), -1)
			require.NotEmpty(t, m, "no file named before the go block:\n%s", lastPara)
			sec.steps = append(sec.steps, step{file: m[0][1], source: strings.Join(block, "\n") + "\n"})
		case "text":
			sec.output = strings.Join(block, "\n") + "\n"
		default:
			t.Fatalf("code block of unknown kind %q", lang)
		}
		lang, lastPara = "", ""
	}
	return sec
}

func lastParagraph(s string) string {
	paras := strings.Split(strings.TrimSpace(s), "\n\n")
	return paras[len(paras)-1]
}

// The README's "Use it in your module" works as written, in a new module
// in an empty temporary directory: every command of the section runs in
// order, with its files written where it shows them, and the program
// prints what the section says. Two things differ from a user's machine,
// and only in the environment: the module comes from this checkout (the
// replace the section describes, added after go mod init), and a module
// path the proxy does not serve counts as absent (GOPROXY "|off"), since
// this one is not published from here.
func TestReadmeUseItInYourModule(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go get, go generate and go run in a new module")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	sec := parseSection(t, string(readme), "### Use it in your module")
	require.NotEmpty(t, sec.output, "the section shows no output")
	checkout, err := filepath.Abs("..")
	require.NoError(t, err)

	var script strings.Builder
	script.WriteString("set -eu\n")
	commands := 0
	for _, s := range sec.steps {
		if s.file != "" {
			fmt.Fprintf(&script, "cat > %s <<'README_EOF'\n%sREADME_EOF\n", s.file, s.source)
			continue
		}
		commands++
		fmt.Fprintf(&script, "echo '$ %s' >&2\n%s\n", strings.ReplaceAll(s.command, "'", ""), s.command)
		if strings.HasPrefix(s.command, "go mod init ") {
			fmt.Fprintf(&script, "go mod edit -replace %s=%s\n", modulePath, checkout)
		}
	}
	for _, want := range []string{
		"go get " + modulePath + "@latest",
		"go get -tool " + modulePath + "/cmd/memberlist-gen",
		"go generate ./...",
		"go mod tidy",
		"go run .",
	} {
		assert.Contains(t, script.String(), "\n"+want+"\n", "the section's commands")
	}

	dir := t.TempDir()
	stdout := runScript(t, goBin, dir, script.String())
	assert.Equal(t, sec.output, stdout, "the program's output")

	for _, f := range []string{"go.mod", "go.sum", "messages_memberlist.go"} {
		_, err := os.Stat(filepath.Join(dir, "hello", f))
		assert.NoError(t, err, "the module lacks %s", f)
	}
	mod, err := os.ReadFile(filepath.Join(dir, "hello", "go.mod"))
	require.NoError(t, err)
	assert.Contains(t, string(mod), "\ntool "+modulePath+"/cmd/memberlist-gen\n")
	t.Logf("%d commands ran", commands)
}

// The README's messages.go is examples/cache's, but for the go:generate
// line, which runs the generator as a tool in a module of one's own.
func TestReadmeMessagesMatchExample(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	sec := parseSection(t, string(readme), "### Use it in your module")
	example, err := os.ReadFile("../examples/cache/messages.go")
	require.NoError(t, err)
	want := strings.Replace(string(example), "//go:generate go run "+modulePath+"/cmd/memberlist-gen", "//go:generate go tool memberlist-gen", 1)
	found := false
	for _, s := range sec.steps {
		if s.file == "messages.go" {
			found = true
			assert.Equal(t, want, s.source)
		}
	}
	assert.True(t, found, "the section writes no messages.go")
}

// runScript runs a bash script in dir with the go command goBin, and
// returns what it wrote on standard output; a failure ends the test with
// the commands and their messages. A module path the proxy does not serve
// counts as absent (GOPROXY "|off"): this module is not published from
// here, and reaches the script through a replace.
func runScript(t *testing.T, goBin, dir, script string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.Dir = dir
	proxy, _, _ := strings.Cut(goEnv(t, goBin, "GOPROXY"), ",")
	if proxy == "" || proxy == "off" || proxy == "direct" {
		proxy = "https://proxy.golang.org"
	}
	cmd.Env = append(os.Environ(),
		"PATH="+filepath.Dir(goBin)+string(os.PathListSeparator)+os.Getenv("PATH"),
		"GOPROXY="+proxy+"|off",
		"GOWORK=off",
	)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	require.NoError(t, err, "the commands failed:\n%s\nstdout:\n%s", stderr.String(), stdout.String())
	return stdout.String()
}

func goEnv(t *testing.T, goBin, name string) string {
	t.Helper()
	out, err := exec.Command(goBin, "env", name).Output()
	require.NoError(t, err)
	return strings.TrimSpace(string(out))
}
