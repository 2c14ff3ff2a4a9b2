package gentest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/memberlist-go/memberlist/testdata/gen/chaos"
	"github.com/memberlist-go/memberlist/testdata/gen/kinds"
	"github.com/memberlist-go/memberlist/testdata/gen/multi"
	"github.com/memberlist-go/memberlist/testdata/gen/s5"
)

// A family is one generated message family, seen through any so that the
// properties can run over all of them.
type family struct {
	dir      string // the golden package's directory under testdata/gen
	name     string // as errors name it: "chaos.ChaosMonkey"
	maxSize  int
	variants []any // a zero value of each variant
	encode   func(b []byte, m any) ([]byte, error)
	decode   func(b []byte) (any, error)
}

// families lists every family of every golden package.
func families() []family {
	return []family{
		{
			dir: "chaos", name: "chaos.ChaosMonkey", maxSize: chaos.ChaosMonkeyMaxSize,
			variants: []any{chaos.SimulateCpuSpike{}, chaos.Note{}},
			encode:   func(b []byte, m any) ([]byte, error) { return chaos.EncodeChaosMonkey(b, m.(chaos.ChaosMonkey)) },
			decode:   func(b []byte) (any, error) { return chaos.DecodeChaosMonkey(b) },
		},
		{
			dir: "kinds", name: "kinds.Kinds", maxSize: kinds.KindsMaxSize,
			variants: []any{kinds.Numbers{}, kinds.Places{}, kinds.Embedded{}, kinds.Empty{}, kinds.Texts{}, kinds.Containers{}},
			encode:   func(b []byte, m any) ([]byte, error) { return kinds.EncodeKinds(b, m.(kinds.Kinds)) },
			decode:   func(b []byte) (any, error) { return kinds.DecodeKinds(b) },
		},
		{
			dir: "multi", name: "multi.Control", maxSize: multi.ControlMaxSize,
			variants: []any{multi.Pause{}, multi.Resume{}},
			encode:   func(b []byte, m any) ([]byte, error) { return multi.EncodeControl(b, m.(multi.Control)) },
			decode:   func(b []byte) (any, error) { return multi.DecodeControl(b) },
		},
		{
			dir: "multi", name: "multi.Status", maxSize: multi.StatusMaxSize,
			variants: []any{multi.Load{}, multi.Alarm{}},
			encode:   func(b []byte, m any) ([]byte, error) { return multi.EncodeStatus(b, m.(multi.Status)) },
			decode:   func(b []byte) (any, error) { return multi.DecodeStatus(b) },
		},
		{
			dir: "s5", name: "s5.Codec", maxSize: s5.CodecMaxSize,
			variants: []any{s5.Message{}},
			encode:   func(b []byte, m any) ([]byte, error) { return s5.EncodeCodec(b, m.(s5.Codec)) },
			decode:   func(b []byte) (any, error) { return s5.DecodeCodec(b) },
		},
	}
}

// Every golden package has its families listed here, so none escapes the
// properties.
func TestEveryGoldenPackageIsCovered(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("..", "..", "..", "..", "testdata", "gen", "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden packages: %v", err)
	}
	listed := map[string]bool{}
	for _, f := range families() {
		listed[f.dir] = true
	}
	for _, d := range dirs {
		if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
			continue
		}
		if !listed[filepath.Base(d)] {
			t.Errorf("testdata/gen/%s has no family in families()", filepath.Base(d))
		}
	}
}
