//go:build !race

package browsertest

// raceBuild is false: see race_on.go.
const raceBuild = false
