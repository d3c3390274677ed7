// Package exampletest holds the checks that every language's example tasks
// (examples/<lang>/{wordcount,counter,longjob,sha256}) pass: the four tasks
// are one specification written in several languages, so one set of cases
// runs against each language's committed .wasm files, on the real host with
// a real kv store in a temporary directory. A language's test is one call:
//
//	func TestExamples(t *testing.T) {
//		exampletest.Run(t, exampletest.Lang{Name: "c", Dir: ".", ...})
//	}
//
// What legitimately differs between languages (error messages, the
// checkpoint's layout, whether numbers may carry whitespace) is described
// by Lang.
package exampletest
