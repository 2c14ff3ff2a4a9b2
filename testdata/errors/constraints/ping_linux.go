package constraints

// Ping exists on Linux only.
//
//memberlist:tag 1
type Ping struct{} // want "Ping is declared in ping_linux.go, built only when linux, but its code goes into constraints_memberlist.go, built always"

func (Ping) isMsg() {}
