package gentest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/memberlist-go/memberlist/runtime"
	"github.com/memberlist-go/memberlist/testdata/gen/chaos"
	"github.com/memberlist-go/memberlist/testdata/gen/deep"
	"github.com/memberlist-go/memberlist/testdata/gen/keyed"
	"github.com/memberlist-go/memberlist/testdata/gen/kinds"
	"github.com/memberlist-go/memberlist/testdata/gen/localnames"
	"github.com/memberlist-go/memberlist/testdata/gen/multi"
	"github.com/memberlist-go/memberlist/testdata/gen/s5"
	"github.com/memberlist-go/memberlist/testdata/gen/streamed"
)

// A family is one generated message family, seen through any so that the
// properties can run over all of them.
type family struct {
	dir      string // the golden package's directory under testdata/gen
	name     string // as errors name it: "chaos.ChaosMonkey"
	id       uint32
	maxSize  int
	variants []any // a zero value of each variant
	encode   func(b []byte, m any) ([]byte, error)
	decode   func(b []byte) (any, error)
}

// families lists every family of every golden package.
func families() []family {
	return []family{
		{
			dir: "chaos", name: "chaos.ChaosMonkey", id: chaos.ChaosMonkeyFamily, maxSize: chaos.ChaosMonkeyMaxSize,
			variants: []any{chaos.SimulateCpuSpike{}, chaos.Note{}},
			encode:   func(b []byte, m any) ([]byte, error) { return chaos.EncodeChaosMonkey(b, m.(chaos.ChaosMonkey)) },
			decode:   func(b []byte) (any, error) { return chaos.DecodeChaosMonkey(b) },
		},
		{
			dir: "kinds", name: "kinds.Kinds", id: kinds.KindsFamily, maxSize: kinds.KindsMaxSize,
			variants: []any{kinds.Numbers{}, kinds.Places{}, kinds.Embedded{}, kinds.Empty{}, kinds.Texts{}, kinds.Containers{}},
			encode:   func(b []byte, m any) ([]byte, error) { return kinds.EncodeKinds(b, m.(kinds.Kinds)) },
			decode:   func(b []byte) (any, error) { return kinds.DecodeKinds(b) },
		},
		{
			dir: "multi", name: "multi.Control", id: multi.ControlFamily, maxSize: multi.ControlMaxSize,
			variants: []any{multi.Pause{}, multi.Resume{}},
			encode:   func(b []byte, m any) ([]byte, error) { return multi.EncodeControl(b, m.(multi.Control)) },
			decode:   func(b []byte) (any, error) { return multi.DecodeControl(b) },
		},
		{
			dir: "multi", name: "multi.Status", id: multi.StatusFamily, maxSize: multi.StatusMaxSize,
			variants: []any{multi.Load{}, multi.Alarm{}},
			encode:   func(b []byte, m any) ([]byte, error) { return multi.EncodeStatus(b, m.(multi.Status)) },
			decode:   func(b []byte) (any, error) { return multi.DecodeStatus(b) },
		},
		{
			dir: "s5", name: "s5.Codec", id: s5.CodecFamily, maxSize: s5.CodecMaxSize,
			variants: []any{s5.Message{}},
			encode:   func(b []byte, m any) ([]byte, error) { return s5.EncodeCodec(b, m.(s5.Codec)) },
			decode:   func(b []byte) (any, error) { return s5.DecodeCodec(b) },
		},
		{
			dir: "localnames", name: "localnames.Msg", id: localnames.MsgFamily, maxSize: localnames.MsgMaxSize,
			variants: anys(localnames.Variants()),
			encode:   func(b []byte, m any) ([]byte, error) { return localnames.EncodeMsg(b, m.(localnames.Msg)) },
			decode:   func(b []byte) (any, error) { return localnames.DecodeMsg(b) },
		},
		{
			dir: "deep", name: "deep.Msg", id: deep.MsgFamily, maxSize: deep.MsgMaxSize,
			variants: []any{deep.Deep{}},
			encode:   func(b []byte, m any) ([]byte, error) { return deep.EncodeMsg(b, m.(deep.Msg)) },
			decode:   func(b []byte) (any, error) { return deep.DecodeMsg(b) },
		},
		{
			dir: "keyed", name: "keyed.Cache", id: keyed.CacheFamily, maxSize: keyed.CacheMaxSize,
			variants: []any{keyed.Set{}, keyed.Delete{}, keyed.Flush{}},
			encode:   func(b []byte, m any) ([]byte, error) { return keyed.EncodeCache(b, m.(keyed.Cache)) },
			decode:   func(b []byte) (any, error) { return keyed.DecodeCache(b) },
		},
		{
			dir: "keyed", name: "keyed.Lease", id: keyed.LeaseFamily, maxSize: keyed.LeaseMaxSize,
			variants: []any{keyed.Grant{}, keyed.Renew{}, keyed.Revoke{}, keyed.Move{}, keyed.Blob{}},
			encode:   func(b []byte, m any) ([]byte, error) { return keyed.EncodeLease(b, m.(keyed.Lease)) },
			decode:   func(b []byte) (any, error) { return keyed.DecodeLease(b) },
		},
		{
			dir: "streamed", name: "streamed.Sync", id: streamed.SyncFamily, maxSize: streamed.SyncMaxSize,
			variants: []any{streamed.Snapshot{}, streamed.Request{}},
			encode:   func(b []byte, m any) ([]byte, error) { return streamed.EncodeSync(b, m.(streamed.Sync)) },
			decode:   func(b []byte) (any, error) { return streamed.DecodeSync(b) },
		},
		{
			dir: "streamed", name: "streamed.Announce", id: streamed.AnnounceFamily, maxSize: streamed.AnnounceMaxSize,
			variants: []any{streamed.Ready{}},
			encode:   func(b []byte, m any) ([]byte, error) { return streamed.EncodeAnnounce(b, m.(streamed.Announce)) },
			decode:   func(b []byte) (any, error) { return streamed.DecodeAnnounce(b) },
		},
	}
}

func anys[T any](s []T) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// Every family of the golden packages, linked into this test, registered
// itself with the runtime under its id and full name at init.
func TestFamiliesAreRegistered(t *testing.T) {
	registered := runtime.RegisteredFamilies()
	for _, f := range families() {
		pkg, name, _ := strings.Cut(f.name, ".")
		assert.Equal(t, "github.com/memberlist-go/memberlist/testdata/gen/"+pkg+"."+name, registered[f.id], "family %s", f.name)
	}
}

// Every golden package has its families listed here, so none escapes the
// properties.
func TestEveryGoldenPackageIsCovered(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("..", "..", "..", "..", "testdata", "gen", "*"))
	require.NoError(t, err)
	require.NotEmpty(t, dirs, "golden packages")
	listed := map[string]bool{}
	for _, f := range families() {
		listed[f.dir] = true
	}
	for _, d := range dirs {
		if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
			continue
		}
		assert.True(t, listed[filepath.Base(d)], "testdata/gen/%s has no family in families()", filepath.Base(d))
	}
}
