package main

import (
	"go/ast"
	"go/build/constraint"
	"go/token"
	"path/filepath"
	"slices"
	"strings"
)

// Where a family's output goes and when it is compiled: beside the file
// declaring the family, under the same build constraints.

// outputPath is the file the generator writes for families declared in
// file: <file>_memberlist.go.
func outputPath(file string) string { return strings.TrimSuffix(file, ".go") + outputSuffix }

// declFile is the file that declares pos, as the file system names it:
// a //line directive changes what positions say, not where the output
// goes.
func declFile(fset *token.FileSet, pos token.Pos) string {
	return fset.PositionFor(pos, false).Filename
}

// buildConstraint returns the build constraint of f, the file named
// name, as one //go:build expression ("" if there is none): its
// //go:build line (or, lacking one, its // +build lines), and the
// operating system or architecture its name ends with (_linux,
// _windows_arm64, ...), which the output file's name does not carry.
func buildConstraint(f *ast.File, name string) string {
	var exprs []constraint.Expr
	var plus []constraint.Expr
	for _, cg := range f.Comments {
		if cg.Pos() >= f.Package {
			break
		}
		for _, c := range cg.List {
			switch {
			case constraint.IsGoBuild(c.Text):
				if x, err := constraint.Parse(c.Text); err == nil {
					exprs = append(exprs, x)
				}
			case constraint.IsPlusBuild(c.Text):
				if x, err := constraint.Parse(c.Text); err == nil {
					plus = append(plus, x)
				}
			}
		}
	}
	if len(exprs) == 0 {
		exprs = plus
	}
	if x := nameConstraint(name); x != nil {
		exprs = append(exprs, x)
	}
	if len(exprs) == 0 {
		return ""
	}
	x := exprs[0]
	for _, y := range exprs[1:] {
		x = &constraint.AndExpr{X: x, Y: y}
	}
	return x.String()
}

// nameConstraint is the constraint the go command reads in a file name:
// name_GOOS.go, name_GOARCH.go or name_GOOS_GOARCH.go (as go/build's
// goodOSArchFile does), or nil.
func nameConstraint(name string) constraint.Expr {
	base := strings.TrimSuffix(filepath.Base(name), ".go")
	i := strings.Index(base, "_")
	if i < 0 {
		return nil
	}
	parts := strings.Split(base[i:], "_")
	n := len(parts)
	tag := func(s string) constraint.Expr { return &constraint.TagExpr{Tag: s} }
	switch {
	case n >= 2 && isOS(parts[n-2]) && isArch(parts[n-1]):
		return &constraint.AndExpr{X: tag(parts[n-2]), Y: tag(parts[n-1])}
	case isOS(parts[n-1]) || isArch(parts[n-1]):
		return tag(parts[n-1])
	}
	return nil
}

// knownOS and knownArch are the go command's lists (internal/syslist).
const (
	knownOS   = "aix android darwin dragonfly freebsd hurd illumos ios js linux nacl netbsd openbsd plan9 solaris wasip1 windows zos"
	knownArch = "386 amd64 amd64p32 arm armbe arm64 arm64be loong64 mips mipsle mips64 mips64le mips64p32 mips64p32le " +
		"ppc ppc64 ppc64le riscv riscv64 s390 s390x sparc sparc64 wasm"
)

func isOS(s string) bool   { return slices.Contains(strings.Fields(knownOS), s) }
func isArch(s string) bool { return slices.Contains(strings.Fields(knownArch), s) }
