package live

import (
	"testing"

	"go.uber.org/goleak"
)

// Every connection, reader and poller the bridge starts ends with its
// subscriptions or with Close.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
