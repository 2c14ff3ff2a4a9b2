package runtime

import (
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Member and Event are aliases of swim's types, whose fields go doc does
// not show under runtime; their documentation lists the fields instead.
// The lists must be the fields, in order, with their types.
func TestAliasDocsListTheFields(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "member.go", nil, parser.ParseComments)
	require.NoError(t, err)
	docs := make(map[string]string)
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.TYPE {
			continue
		}
		for _, s := range g.Specs {
			ts := s.(*ast.TypeSpec)
			docs[ts.Name.Name] = g.Doc.Text()
		}
	}
	for name, typ := range map[string]reflect.Type{
		"Member": reflect.TypeFor[Member](),
		"Event":  reflect.TypeFor[Event](),
	} {
		var documented [][2]string
		for line := range strings.SplitSeq(docs[name], "\n") {
			if !strings.HasPrefix(line, "\t") {
				continue
			}
			cols := strings.Fields(line)
			require.GreaterOrEqual(t, len(cols), 3, "%s: documentation line %q", name, line)
			documented = append(documented, [2]string{cols[0], cols[1]})
		}
		var actual [][2]string
		for i := range typ.NumField() {
			fld := typ.Field(i)
			ts := strings.ReplaceAll(fld.Type.String(), "[]uint8", "[]byte")
			ts = strings.TrimPrefix(ts, "swim.")
			actual = append(actual, [2]string{fld.Name, ts})
		}
		assert.Equal(t, actual, documented, "fields of %s as documented in member.go", name)
	}
}
