package browsertest_test

import (
	"testing"

	"scanboard/app/browsertest"
)

func TestMain(m *testing.M) { browsertest.Main(m) }
