package multi

// Alarm is a Status declared away from its family.
//
//memberlist:tag 11
type Alarm struct {
	Header Header
	Reason string            `memberlist:"max=100"`
	Tags   map[string]uint32 `memberlist:"max=8,key=10"`
}

func (Alarm) isStatus() {}
