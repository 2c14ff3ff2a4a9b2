module github.com/memberlist-go/memberlist

go 1.26

require (
	github.com/miekg/dns v1.1.73
	github.com/tinylib/msgp v1.6.5
	go.uber.org/goleak v1.3.0
)

require (
	github.com/philhofer/fwd v1.2.0 // indirect
	golang.org/x/net v0.57.0 // indirect
	golang.org/x/sys v0.47.0 // indirect
)
