package wire

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite the seed files in testdata/fuzz/FuzzDecodePacket")

const (
	corpusDir = "testdata/fuzz/FuzzDecodePacket"
	// seedPrefix marks the generated seed files; files the fuzzer adds when
	// it finds a failure keep its hash names and are regression inputs that
	// need not decode.
	seedPrefix = "seed-"
)

// seeds returns one packet per message type, keyed by the seed file name,
// plus one packet holding them all.
func seeds(t testing.TB) map[string][]byte {
	m := map[string][]byte{}
	all := oneOfEach()
	for _, msg := range all {
		m[seedPrefix+msg.Type.String()] = packet(t, msg)
	}
	m[seedPrefix+"all"] = packet(t, all...)
	m[seedPrefix+"broadcast-keyed"] = packet(t, Message{Type: TypeBroadcast, Broadcast: Broadcast{Origin: "a", ID: 3, Payload: []byte("v"), Key: 0xfeed}})
	m[seedPrefix+"broadcast-epoch"] = packet(t, Message{Type: TypeBroadcast, Broadcast: Broadcast{Origin: "a", ID: 4, Payload: []byte("v"), Key: 0xfeed, Epoch: 1764740000000}})
	m[seedPrefix+"digest-keyed"] = packet(t, Message{Type: TypeDigest, Digest: Digest{From: "node-a", Digest: 1, KeyedSum: 0xfedcba9876543210}})
	m[seedPrefix+"digest-nonce"] = packet(t, Message{Type: TypeDigest, Digest: Digest{From: "node-a", Digest: 1, Nonce: 0x0123456789abcdef}})
	m[seedPrefix+"sync-nonce"] = packet(t, Message{Type: TypeSync, Sync: Sync{Flags: SyncReply | SyncLast, From: "node-a", Nonce: 7, Records: records(2)}})
	return m
}

func FuzzDecodePacket(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		prior := []Message{{Type: TypeNack, Nack: Nack{Nonce: 7}}}
		got, err := DecodePacket(in, append([]Message(nil), prior...))
		if err != nil {
			require.Equal(t, normalized(prior), normalized(got), "dst changed on error %v", err)
			requireSentinel(t, err, "fuzz input")
			return
		}
		require.Greater(t, len(got), len(prior), "successful decode returned no message")
		checkReencode(t, in, got[len(prior):])
	})
}

// corpusFile renders data in the Go fuzzing corpus format, as the go command
// writes it.
func corpusFile(data []byte) []byte {
	return fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", data)
}

// parseCorpusFile reads back a corpus file holding one []byte value.
func parseCorpusFile(content []byte) ([]byte, error) {
	header, rest, ok := strings.Cut(string(content), "\n")
	if !ok || header != "go test fuzz v1" {
		return nil, errors.New("missing \"go test fuzz v1\" header")
	}
	rest = strings.TrimSpace(rest)
	inner, ok := strings.CutPrefix(rest, "[]byte(")
	if !ok {
		return nil, fmt.Errorf("want one []byte value, got %.40q", rest)
	}
	inner, ok = strings.CutSuffix(inner, ")")
	if !ok {
		return nil, fmt.Errorf("unterminated []byte value %.40q", rest)
	}
	s, err := strconv.Unquote(inner)
	if err != nil {
		return nil, fmt.Errorf("bad quoted bytes: %w", err)
	}
	return []byte(s), nil
}

// TestWriteCorpus regenerates the seed corpus when run with -update-corpus
// and otherwise checks that the committed seeds still match the encoders, so
// that a change to the format cannot leave stale seeds behind:
//
//	go test ./runtime/swim/internal/wire -run TestWriteCorpus -update-corpus
func TestWriteCorpus(t *testing.T) {
	for name, data := range seeds(t) {
		path := filepath.Join(corpusDir, name)
		want := corpusFile(data)
		if *updateCorpus {
			require.NoError(t, os.MkdirAll(corpusDir, 0o755))
			require.NoError(t, os.WriteFile(path, want, 0o644))
			continue
		}
		got, err := os.ReadFile(path)
		require.NoError(t, err, "run with -update-corpus to regenerate")
		assert.Equal(t, string(want), string(got), "%s is stale (run with -update-corpus to regenerate)", path)
	}
}

// TestCorpusDecodes checks that every committed seed decodes and holds the
// message type its name promises, and that every type has a seed, so the
// fuzzer always starts from valid packets of each kind. Other corpus files
// only have to be readable; the fuzz target itself runs them.
func TestCorpusDecodes(t *testing.T) {
	entries, err := os.ReadDir(corpusDir)
	require.NoError(t, err)
	covered := map[string]bool{}
	for _, e := range entries {
		content, err := os.ReadFile(filepath.Join(corpusDir, e.Name()))
		require.NoError(t, err)
		data, err := parseCorpusFile(content)
		if !assert.NoError(t, err, e.Name()) {
			continue
		}
		kind, isSeed := strings.CutPrefix(e.Name(), seedPrefix)
		if !isSeed {
			continue
		}
		msgs, err := DecodePacket(data, nil)
		if !assert.NoError(t, err, e.Name()) || kind == "all" {
			continue
		}
		// seed-TYPE or seed-TYPE-VARIANT (seed-broadcast-keyed).
		typ, _, _ := strings.Cut(kind, "-")
		if assert.Len(t, msgs, 1, e.Name()) {
			assert.Equal(t, typ, msgs[0].Type.String(), "%s: the type its name promises", e.Name())
		}
		covered[typ] = true
	}
	for _, ty := range allTypes() {
		assert.True(t, covered[ty.String()], "no seed file %s%s in %s", seedPrefix, ty, corpusDir)
	}
}
