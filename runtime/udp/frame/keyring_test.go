package frame

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestNewKeyring(t *testing.T) {
	if _, err := NewKeyring(); !errors.Is(err, ErrNoKeys) {
		t.Errorf("NewKeyring() = %v, want ErrNoKeys", err)
	}
	for _, n := range []int{0, 1, 15, 17, 20, 31, 33, 64} {
		key := bytes.Repeat([]byte{0x5a}, n)
		_, err := NewKeyring(testKey("ok", 16), key)
		if !errors.Is(err, ErrKeySize) {
			t.Errorf("NewKeyring with a %d-byte key = %v, want ErrKeySize", n, err)
			continue
		}
		if !strings.Contains(err.Error(), "key 2 of 2") {
			t.Errorf("error %q does not say which key", err)
		}
		if n > 0 && bytes.Contains([]byte(err.Error()), key) {
			t.Errorf("error %q shows the key", err)
		}
	}
	a, b := testKey("a", 16), testKey("b", 24)
	kr := mustKeyring(t, a, b, a)
	if got := kr.Keys(); !slices.EqualFunc(got, [][]byte{a, b}, bytes.Equal) {
		t.Errorf("Keys() = %x, want [a b] (the repeat installed once)", got)
	}
}

func TestKeyringKeepsCopies(t *testing.T) {
	raw := testKey("a", 16)
	kr := mustKeyring(t, raw)
	c := mustCodec(t, "", kr)
	p := c.Seal(nil, []byte{1})
	raw[0] ^= 0xff // the caller reuses its slice
	if _, err := c.Open(nil, p); err != nil {
		t.Errorf("after the caller changed its slice: %v", err)
	}
	kr.Keys()[0][0] ^= 0xff // and changes what Keys returned
	if _, err := c.Open(nil, c.Seal(nil, []byte{1})); err != nil {
		t.Errorf("after the caller changed Keys' result: %v", err)
	}
}

func TestKeyringOperations(t *testing.T) {
	a, b, c := testKey("a", 16), testKey("b", 24), testKey("c", 32)
	kr := mustKeyring(t, a)
	keys := func() [][]byte { return kr.Keys() }
	want := func(step string, w ...[]byte) {
		t.Helper()
		if got := keys(); !slices.EqualFunc(got, w, bytes.Equal) {
			t.Fatalf("%s: Keys() = %x, want %x", step, got, w)
		}
	}

	if err := kr.Use(b); !errors.Is(err, ErrKeyNotInstalled) {
		t.Fatalf("Use of a key not installed = %v, want ErrKeyNotInstalled", err)
	}
	if err := kr.Install(make([]byte, 10)); !errors.Is(err, ErrKeySize) {
		t.Fatalf("Install of a 10-byte key = %v, want ErrKeySize", err)
	}
	for range 2 { // a repeated step changes nothing
		if err := kr.Install(b); err != nil {
			t.Fatal(err)
		}
		want("install b", a, b)
	}
	if err := kr.Install(c); err != nil {
		t.Fatal(err)
	}
	want("install c", a, b, c)
	for range 2 {
		if err := kr.Use(c); err != nil {
			t.Fatal(err)
		}
		want("use c", c, a, b)
	}
	err := kr.Remove(c)
	if !errors.Is(err, ErrRemovePrimary) {
		t.Fatalf("Remove of the primary = %v, want ErrRemovePrimary", err)
	}
	if bytes.Contains([]byte(err.Error()), c) {
		t.Errorf("error %q shows the key", err)
	}
	want("after refusing to remove the primary", c, a, b)
	for range 2 {
		if err := kr.Remove(a); err != nil {
			t.Fatal(err)
		}
		want("remove a", c, b)
	}
}
