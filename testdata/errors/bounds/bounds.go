// Package bounds has fields with missing or wrong bounds.
package bounds

// Msg is the family.
//
//memberlist:messages
type Msg interface{ isMsg() }

// Unbounded lacks bounds.
//
//memberlist:tag 1
type Unbounded struct {
	S    string            // want "field Unbounded.S (string) is unbounded: its length has no bound"
	B    []byte            // want "field Unbounded.B ([]byte) is unbounded"
	L    []uint32          // want "field Unbounded.L ([]uint32) is unbounded"
	E    []string          `memberlist:"max=3"`        // want "field Unbounded.E ([]string) is unbounded: its elements have no length bound"
	K    map[string]int    `memberlist:"max=3"`        // want "its map keys have no length bound"
	V    map[int][]byte    `memberlist:"max=3"`        // want "its map values have no length bound"
	Deep [][]string        `memberlist:"max=3,elem=3"` // want "field Unbounded.Deep ([][]string) is unbounded: its elements vary in length"
	AS   [2][]int8         // want "field Unbounded.AS ([2][]int8) is unbounded: its elements vary in length"
	MM   map[string][]int8 `memberlist:"max=2,key=2"` // want "its map values vary in length"
}

// Misapplied has options that do not fit the type.
//
//memberlist:tag 2
type Misapplied struct {
	N  int      `memberlist:"max=3"`              // want "field Misapplied.N: option max= does not apply to int"
	A  [3]uint8 `memberlist:"max=3"`              // want "field Misapplied.A: option max= does not apply to [3]uint8"
	AI [3]int16 `memberlist:"max=3"`              // want "option max= does not apply to [3]int16"
	S  string   `memberlist:"max=3,elem=2"`       // want "field Misapplied.S: option elem= does not apply to string"
	L  []int    `memberlist:"max=3,elem=2"`       // want "field Misapplied.L: option elem= does not apply to []int"
	LK []string `memberlist:"max=3,elem=2,key=1"` // want "option key= does not apply to []string"
	U  string   `memberlist:"maxlen=3"`           // want "unknown option \"maxlen=3\""
	Z  string   `memberlist:"max=0"`              // want "bad max in its memberlist tag: \"max=0\""
	W  string   `memberlist:"max=ten"`            // want "bad max in its memberlist tag"
	D  string   `memberlist:"max=1,max=2"`        // want "bad max in its memberlist tag: \"max=2\""
}

func (Unbounded) isMsg()  {}
func (Misapplied) isMsg() {}
