// Package tags has every way to get a tag wrong.
package tags

// Msg is the family.
//
//memberlist:messages
type Msg interface{ isMsg() }

// Untagged has no tag.
type Untagged struct{} // want "Untagged implements Msg but has no //memberlist:tag"

// First holds tag 1.
//
//memberlist:tag 1
type First struct{}

// Second takes tag 1 again.
//
// want-next "tag 1 of Second is already used by First"
//
//memberlist:tag 1
type Second struct{}

// Zero has tag 0.
//
// want-next "tag \"0\" of Zero is out of range: tags are 1..65535"
//
//memberlist:tag 0
type Zero struct{}

// Huge has a tag over 65535.
//
// want-next "tag \"65536\" of Huge is out of range"
//
//memberlist:tag 65536
type Huge struct{}

// Word has a tag that is no number.
//
// want-next "tag \"two\" of Word is no tag: \"two\" is not a decimal number"
//
//memberlist:tag two
type Word struct{}

// Bare has a tag without number.
//
// want-next "//memberlist:tag of Bare needs exactly one number"
//
//memberlist:tag
type Bare struct{}

// Double has two tags.
//
// want@+3 "Double has //memberlist:tag twice"
//
//memberlist:tag 7
//memberlist:tag 8
type Double struct{}

// Stray has a tag but is in no family.
//
// want-next "Stray has //memberlist:tag 9 but implements no message family of the package (Msg)"
//
//memberlist:tag 9
type Stray struct{}

// Typo misspells a directive.
//
// want-next "unknown directive \"//memberlist:tags\""
//
//memberlist:tags 10
type Typo struct{}

// want-next "//memberlist:tag is not in the doc comment of a type declaration"
//memberlist:tag 11

// Later is separated from the directive above by a blank line.
type Later struct{}

func helper() {
	// want-next "//memberlist:messages is not in the doc comment of a type declaration"
	//memberlist:messages
}

func (Untagged) isMsg() {}
func (First) isMsg()    {}
func (Second) isMsg()   {}
func (Zero) isMsg()     {}
func (Huge) isMsg()     {}
func (Word) isMsg()     {}
func (Bare) isMsg()     {}
func (Double) isMsg()   {}
func (Typo) isMsg()     {}
