//go:build race

package browsertest

// raceBuild: tests run with -race build mis with -race too, so a data race in the app
// during a browser test ends mis with status 66 and fails the test, with the report in the
// printed log.
const raceBuild = true
