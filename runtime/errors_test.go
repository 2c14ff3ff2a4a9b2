package runtime

import (
	"context"
	"encoding/base64"
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/memberlist-go/memberlist/runtime/swim"
)

// internalName matches the name of an internal package used as a message
// prefix, which users who import package runtime should never see.
var internalName = regexp.MustCompile(`(^|: )(swim|frame|udp): `)

// requirePublic checks that err reads as this package's: one
// "memberlist: " prefix at the start, no internal package names.
func requirePublic(t *testing.T, err error) {
	t.Helper()
	require.Error(t, err)
	msg := err.Error()
	assert.True(t, strings.HasPrefix(msg, "memberlist: "), "%q does not start with memberlist:", msg)
	assert.Equal(t, 1, strings.Count(msg, "memberlist: "), "%q repeats the prefix", msg)
	assert.NotRegexp(t, internalName, msg)
}

func startLocal(t *testing.T, name string, keys ...[]byte) *Node {
	t.Helper()
	cfg := DefaultLocalConfig()
	cfg.Name = name
	cfg.BindAddr = "127.0.0.1:0"
	cfg.Keys = keys
	n, err := Start(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { n.Close() })
	return n
}

// The errors of Node's methods name no internal package, and errors.Is
// still finds the sentinels they wrap.
func TestNodeErrorsArePublic(t *testing.T) {
	ctx := context.Background()
	n := startLocal(t, "a")

	err := n.Send(ctx, "nobody", 1, []byte("x"))
	requirePublic(t, err)
	assert.ErrorIs(t, err, ErrUnknownMember)
	assert.Equal(t, `memberlist: send to "nobody": unknown member`, err.Error())

	err = n.Send(ctx, "a", 1, make([]byte, MaxMessageSize+1))
	requirePublic(t, err)
	assert.ErrorIs(t, err, ErrTooLarge)
	assert.Contains(t, err.Error(), strconv.Itoa(MaxMessageSize))

	err = n.Broadcast(ctx, 1, make([]byte, MaxMessageSize+1))
	requirePublic(t, err)
	assert.ErrorIs(t, err, ErrTooLarge)

	err = n.UpdateMeta(ctx, make([]byte, swim.MaxMetaLen+1))
	requirePublic(t, err)
	assert.ErrorIs(t, err, ErrTooLarge)

	for _, op := range []func(context.Context, []byte) error{n.InstallKey, n.UseKey, n.RemoveKey} {
		err = op(ctx, make([]byte, 16))
		requirePublic(t, err)
		assert.ErrorIs(t, err, ErrNotEncrypted)
	}

	ctx2, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	require.NoError(t, n.Leave(ctx2))
	err = n.Send(ctx, "a", 1, []byte("x"))
	requirePublic(t, err)
	assert.ErrorIs(t, err, ErrLeft)
	assert.Equal(t, "memberlist: this node has left the cluster", err.Error())
	err = n.Broadcast(ctx, 1, []byte("x"))
	requirePublic(t, err)
	assert.ErrorIs(t, err, ErrLeft)
}

func TestKeyErrorsArePublic(t *testing.T) {
	ctx := context.Background()
	key := make([]byte, 32)
	n := startLocal(t, "k", key)
	other := append(make([]byte, 31), 1)

	err := n.UseKey(ctx, other)
	requirePublic(t, err)
	assert.ErrorIs(t, err, ErrKeyNotInstalled)

	err = n.RemoveKey(ctx, key)
	requirePublic(t, err)
	assert.ErrorIs(t, err, ErrRemovePrimary)

	err = n.InstallKey(ctx, make([]byte, 5))
	requirePublic(t, err)
	assert.ErrorIs(t, err, ErrKeySize)
}

func TestStartErrorsArePublic(t *testing.T) {
	ctx := context.Background()
	a := startLocal(t, "a")
	cfg := DefaultLocalConfig()
	cfg.Name = "b"
	cfg.BindAddr = a.LocalMember().Addr.String() // taken
	_, err := Start(ctx, cfg)
	requirePublic(t, err)
	assert.Contains(t, err.Error(), "start b")
}

// An error of Config.Validate says "invalid config" once, even for a
// protocol knob that the core validates, and wraps both packages'
// ErrInvalidConfig.
func TestConfigErrorOnePrefix(t *testing.T) {
	cfg := DefaultLANConfig()
	cfg.Name = "a"
	cfg.ProbeTimeout = cfg.ProbeInterval
	err := cfg.Validate()
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrInvalidConfig)
	assert.ErrorIs(t, err, swim.ErrInvalidConfig)
	assert.Equal(t, "memberlist: invalid config: ProbeTimeout = 1s; want at most 4/5 of ProbeInterval (800ms), so that indirect probes fit in the rest of the period", err.Error())

	cfg = DefaultLANConfig()
	cfg.Name = "a"
	cfg.Keys = [][]byte{make([]byte, 16), make([]byte, 20)}
	err = cfg.Validate()
	assert.ErrorIs(t, err, ErrInvalidConfig)
	assert.ErrorIs(t, err, ErrKeySize)
	assert.Equal(t, "memberlist: invalid config: Keys[1] is 20 bytes; want 16, 24 or 32 (AES-128, AES-192 or AES-256)", err.Error())
}

// With several problems, the message still says "invalid config" once and
// lists each on a line of its own, naming its variables.
func TestEnvErrorOnePrefix(t *testing.T) {
	for _, env := range [][]string{
		{"MEMBERLIST_PROBE_TIMEOUT=2s"}, // caught by swim.Config.Validate
		{"MEMBERLIST_GOSSIP_NODES=abc", "MEMBERLIST_PROBE_INTERVAL=fast", "MEMBERLIST_FOO=1", "MEMBERLIST_SEEDS=x", "MEMBERLIST_SUSPICION_MULT=0"},
		{"MEMBERLIST_SEEDS=a:1", "MEMBERLIST_DNS=b", "MEMBERLIST_PROBE_TIMEOUT=2s"},
	} {
		_, err := ConfigFromEnviron(append([]string{"MEMBERLIST_NAME=n1"}, env...))
		require.ErrorIs(t, err, ErrInvalidConfig, "%v", env)
		msg := err.Error()
		assert.Equal(t, 1, strings.Count(msg, "invalid config"), "%q", msg)
		assert.Equal(t, 1, strings.Count(msg, "memberlist: "), "%q", msg)
		assert.NotRegexp(t, internalName, msg)
		if len(env) > 1 {
			lines := strings.Split(msg, "\n")
			assert.Equal(t, "memberlist: invalid config: "+strconv.Itoa(len(lines)-1)+" problems:", lines[0])
			for _, l := range lines[1:] {
				assert.Regexp(t, `^\t.*MEMBERLIST_`, l)
			}
		}
	}
}

func TestEnvDidYouMean(t *testing.T) {
	for typo, want := range map[string]string{
		"MEMBERLIST_GOSIP_NODES":     "MEMBERLIST_GOSSIP_NODES",
		"MEMBERLIST_PROBE_INTERVALL": "MEMBERLIST_PROBE_INTERVAL",
		"MEMBERLIST_BIND":            "MEMBERLIST_BIND_ADDR",
		"MEMBERLIST_KEY":             "MEMBERLIST_KEYS",
		"MEMBERLIST_SEED":            "MEMBERLIST_SEEDS",
		"MEMBERLIST_ADVERTISE_ADRR":  "MEMBERLIST_ADVERTISE_ADDR",
		"MEMBERLIST_LOGLEVEL":        "MEMBERLIST_LOG_LEVEL",
		"MEMBERLIST_DEAD_RETENSION":  "MEMBERLIST_DEAD_RETENTION",
		"MEMBERLIST_FOO":             "",
		"MEMBERLIST_SECRET":          "",
		"MEMBERLIST_PROBE":           "", // PROBE_INTERVAL or PROBE_TIMEOUT: no guess
	} {
		_, err := ConfigFromEnviron([]string{"MEMBERLIST_NAME=n1", typo + "=1"})
		require.ErrorIs(t, err, ErrInvalidConfig)
		if want == "" {
			assert.NotContains(t, err.Error(), "did you mean", typo)
			continue
		}
		assert.Contains(t, err.Error(), "unknown variable "+typo+" (did you mean "+want+"?)")
	}
}

// powerOfTwo is how the documentation writes a large bound: 2^20.
var powerOfTwo = regexp.MustCompile(`2\^\d+`)

// An integer variable states the range Config.Validate accepts for its
// field, whatever is wrong with the value, and so does the documentation.
func TestEnvIntRanges(t *testing.T) {
	form := regexp.MustCompile(`want a decimal integer (?:from (\d+) to (\d+)|of at least (\d+)), such as \d+$`)
	doc := envDoc(t)
	ints := 0
	for _, ev := range envVars() {
		if _, ok := fieldOf(DefaultLANConfig(), ev.field).(int); !ok {
			continue
		}
		ints++
		_, err := ConfigFromEnviron([]string{"MEMBERLIST_NAME=n1", ev.name + "=abc"})
		require.Error(t, err)
		m := form.FindStringSubmatch(err.Error())
		require.NotNil(t, m, "%s: %v", ev.name, err)
		lo, _ := strconv.Atoi(m[1] + m[3])
		hi, _ := strconv.Atoi(m[2]) // 0: no upper bound

		set := func(v int) error {
			cfg := DefaultLANConfig()
			cfg.Name = "n1"
			setField(&cfg, ev.field, v)
			return cfg.Validate()
		}
		assert.NoError(t, set(lo), "%s=%d", ev.name, lo)
		assert.ErrorContains(t, set(lo-1), ev.field, "%s=%d", ev.name, lo-1)
		for _, v := range []string{strconv.Itoa(lo - 1), "1.5", "-"} {
			_, err := ConfigFromEnviron([]string{"MEMBERLIST_NAME=n1", ev.name + "=" + v})
			assert.ErrorContains(t, err, m[0], "%s=%s", ev.name, v)
		}
		wantDoc := "integer, at least " + strconv.Itoa(lo)
		if hi > 0 {
			assert.NoError(t, set(hi), "%s=%d", ev.name, hi)
			assert.ErrorContains(t, set(hi+1), ev.field, "%s=%d", ev.name, hi+1)
			_, err := ConfigFromEnviron([]string{"MEMBERLIST_NAME=n1", ev.name + "=" + strconv.Itoa(hi+1)})
			assert.ErrorContains(t, err, m[0])
			wantDoc = "integer, " + strconv.Itoa(lo) + " to " + strconv.Itoa(hi)
		}
		documented := powerOfTwo.ReplaceAllStringFunc(doc[ev.name], func(p string) string {
			k, _ := strconv.Atoi(p[2:])
			return strconv.Itoa(1 << k)
		})
		assert.Equal(t, wantDoc, documented, "the Form column of %s in ConfigFromEnv's documentation", ev.name)
	}
	assert.Equal(t, 10, ints, "integer variables")
}

// Every bad entry of MEMBERLIST_KEYS is named by its position in the list
// (counting from 1, as a reader counts), never by its value.
func TestEnvKeysEveryBadEntry(t *testing.T) {
	good := base64.StdEncoding.EncodeToString(make([]byte, 32))
	other := base64.StdEncoding.EncodeToString(append(make([]byte, 15), 1))
	short := base64.StdEncoding.EncodeToString(make([]byte, 20))
	for value, want := range map[string]string{
		good + "," + short:                               "entry 2 decodes to 20 bytes;",
		good + ",not*base64," + other + "," + short:      "entry 2 is not standard base64, entry 4 decodes to 20 bytes;",
		good + ", ," + short:                             "entry 3 decodes to 20 bytes;",
		other + "," + good + "," + other:                 "entry 3 repeats entry 1;",
		short + "," + good + "," + good + ",%%%," + good: "entry 1 decodes to 20 bytes, entry 3 repeats entry 2, entry 4 is not standard base64, entry 5 repeats entry 2;",
	} {
		_, err := ConfigFromEnviron([]string{"MEMBERLIST_NAME=n1", "MEMBERLIST_KEYS=" + value})
		require.ErrorIs(t, err, ErrInvalidConfig)
		assert.Contains(t, err.Error(), "MEMBERLIST_KEYS (value hidden, "+strconv.Itoa(len(value))+" bytes): "+want)
		assert.NotContains(t, err.Error(), good[:8])
	}
}

// Every bad entry of MEMBERLIST_SEEDS is named, and what is accepted is
// said once.
func TestEnvSeedsEveryBadEntry(t *testing.T) {
	_, err := ConfigFromEnviron([]string{"MEMBERLIST_NAME=n1", "MEMBERLIST_SEEDS=10.0.0.1:7946,bad,10.0.0.2:x,0.0.0.0:1"})
	require.ErrorIs(t, err, ErrInvalidConfig)
	msg := err.Error()
	assert.Equal(t, `memberlist: invalid config: MEMBERLIST_SEEDS="10.0.0.1:7946,bad,10.0.0.2:x,0.0.0.0:1": `+
		`seed "bad": missing port in address; seed "10.0.0.2:x": port "x" is not a number from 1 to 65535; `+
		`seed "0.0.0.0:1": 0.0.0.0 is not an address to contact; `+
		`want host:port with port 1-65535, such as 10.0.0.1:7946, [fd00::1]:7946 or seed.example:7946`, msg)
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		d    int
	}{
		{"", "", 0}, {"a", "", 1}, {"", "abc", 3}, {"kitten", "sitting", 3},
		{"GOSIP", "GOSSIP", 1}, {"ADRR", "ADDR", 1}, {"RETENSION", "RETENTION", 1}, {"BIND", "BIND_ADDR", 5}, {"abc", "abc", 0},
	} {
		assert.Equal(t, tc.d, editDistance(tc.a, tc.b), "%q %q", tc.a, tc.b)
		assert.Equal(t, tc.d, editDistance(tc.b, tc.a), "%q %q", tc.b, tc.a)
	}
}

// envDoc returns the Form column of ConfigFromEnv's documentation tables,
// by variable.
func envDoc(t *testing.T) map[string]string {
	t.Helper()
	doc := docOf(t, "ConfigFromEnv")
	columns := regexp.MustCompile(`\s{2,}`)
	forms := make(map[string]string)
	for line := range strings.SplitSeq(doc, "\n") {
		if !strings.HasPrefix(line, "\tMEMBERLIST_") {
			continue
		}
		cols := columns.Split(strings.TrimSpace(line), -1)
		if len(cols) > 1 {
			forms[cols[0]] = cols[1]
		}
	}
	return forms
}

// fieldOf returns the value of the named field of cfg (promoted fields of
// the embedded swim.Config included), or nil.
func fieldOf(cfg Config, name string) any {
	if name == "" {
		return nil
	}
	v := reflectValue(&cfg).FieldByName(name)
	if !v.IsValid() {
		return nil
	}
	return v.Interface()
}

func setField(cfg *Config, name string, v int) {
	reflectValue(cfg).FieldByName(name).SetInt(int64(v))
}

func reflectValue(cfg *Config) reflect.Value { return reflect.ValueOf(cfg).Elem() }

// docOf returns the documentation of the function name in env.go.
func docOf(t *testing.T, name string) string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "env.go", nil, parser.ParseComments)
	require.NoError(t, err)
	for _, d := range f.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Name.Name == name {
			return fn.Doc.Text()
		}
	}
	t.Fatalf("no documentation on %s", name)
	return ""
}
