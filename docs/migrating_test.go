package docs_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/memberlist-go/memberlist/runtime"
)

// goBlocks returns the go code blocks of a Markdown text, in order.
func goBlocks(md string) []string {
	var blocks []string
	for _, m := range regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(md, -1) {
		blocks = append(blocks, m[1])
	}
	return blocks
}

// Both programs of MIGRATING.md's worked example compile: the first
// against hashicorp/memberlist v0.7.0, the second in a module set up as
// the README says, with the README's messages.go and its generated code.
func TestMigratingExampleCompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go get and go build in new modules")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	md, err := os.ReadFile("MIGRATING.md")
	require.NoError(t, err)
	_, example, ok := strings.Cut(string(md), "\n## A worked example\n")
	require.True(t, ok, "MIGRATING.md has no worked example")
	blocks := goBlocks(example)
	require.Len(t, blocks, 2, "the worked example's programs: before and after")
	before, after := blocks[0], blocks[1]
	require.Contains(t, before, `"github.com/hashicorp/memberlist"`)
	require.Contains(t, after, `"`+modulePath+`/runtime"`)

	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	var messages string
	for _, s := range parseSection(t, string(readme), "### Use it in your module").steps {
		if s.file == "messages.go" {
			messages = s.source
		}
	}
	require.NotEmpty(t, messages, "the README's messages.go")
	checkout, err := filepath.Abs("..")
	require.NoError(t, err)

	t.Run("hashicorp", func(t *testing.T) {
		dir := t.TempDir()
		runScript(t, goBin, dir, fmt.Sprintf(`set -eu
go mod init example.com/before
go get github.com/hashicorp/memberlist@v0.7.0
cat > main.go <<'EOF_MAIN'
%sEOF_MAIN
go mod tidy
go vet ./...
`, before))
	})
	t.Run("memberlist", func(t *testing.T) {
		dir := t.TempDir()
		runScript(t, goBin, dir, fmt.Sprintf(`set -eu
go mod init example.com/after
go mod edit -replace %[1]s=%[2]s
go get %[1]s@latest
go get -tool %[1]s/cmd/memberlist-gen
cat > messages.go <<'EOF_MESSAGES'
%[3]sEOF_MESSAGES
cat > main.go <<'EOF_MAIN'
%[4]sEOF_MAIN
go generate ./...
go mod tidy
go vet ./...
`, modulePath, checkout, messages, after))
		_, err := os.Stat(filepath.Join(dir, "messages_memberlist.go"))
		assert.NoError(t, err)
	})
}

// MIGRATING.md names this library's API: what it gives as existing must
// exist, and what it marks "in progress" or "planned" must not yet. When
// one of those lands, this test fails until the page says so.
func TestMigratingNamesTheAPI(t *testing.T) {
	md, err := os.ReadFile("MIGRATING.md")
	require.NoError(t, err)
	nodeType := reflect.TypeFor[*runtime.Node]()
	configType := reflect.TypeFor[runtime.Config]()
	method := regexp.MustCompile(`node\.([A-Z][A-Za-z]*)\(`)
	field := regexp.MustCompile(`(?:cfg|Config)\.([A-Z][A-Za-z]*)`)
	exists := func(name string, re *regexp.Regexp) bool {
		if re == method {
			_, ok := nodeType.MethodByName(name)
			return ok
		}
		_, ok := configType.FieldByName(name)
		return ok
	}
	checked, planned := 0, 0
	for _, line := range strings.Split(string(md), "\n") {
		cells := strings.Split(line, " | ")
		if !strings.HasPrefix(line, "| ") || len(cells) < 2 {
			continue
		}
		// The first column is the incumbent's; in the others, names after
		// "**in progress" or "**planned" are the future's, before it the
		// present's.
		for _, c := range cells[1:] {
			now, future := c, ""
			j := strings.Index(c, "**in progress")
			if k := strings.Index(c, "**planned"); j < 0 || (k >= 0 && k < j) {
				j = k
			}
			if j >= 0 {
				now, future = c[:j], c[j:]
			}
			for _, re := range []*regexp.Regexp{method, field} {
				for _, m := range re.FindAllStringSubmatch(now, -1) {
					checked++
					assert.True(t, exists(m[1], re), "MIGRATING.md names %s as existing, but it does not exist:\n%s", m[0], line)
				}
				for _, m := range re.FindAllStringSubmatch(future, -1) {
					planned++
					assert.False(t, exists(m[1], re), "MIGRATING.md says %s is in progress or planned, but it exists now: update the page:\n%s", m[0], line)
				}
			}
		}
	}
	t.Logf("%d names of existing API checked, %d of API to come", checked, planned)
	assert.Greater(t, checked, 20, "names of existing API checked")
	assert.GreaterOrEqual(t, planned, 1, "names of API to come checked (BroadcastKeyed)")
}
