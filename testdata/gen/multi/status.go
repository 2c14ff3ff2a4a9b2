package multi

// Status reports on members; its id derives from the package path.
//
//memberlist:messages
type Status interface {
	isStatus()
}

// Load is a member's load, sent now and then.
//
//memberlist:tag 10
type Load struct {
	Header  Header
	Percent [4]uint8
}

// Status variants may live in another file than the interface.
func (Load) isStatus() {}
