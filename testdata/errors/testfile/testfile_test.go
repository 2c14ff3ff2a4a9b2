package testfile

// Msg is declared where the go command compiles it only for tests.
//
//memberlist:messages
type Msg interface{ isMsg() }
