// Command notify is the notify Lambda function. Its handler and how it is
// built live in internal/steps/notify, so the local stack runs the same code.
package main

import (
	"context"
	"os"

	"github.com/imgflow/imgflow/internal/steps/notify"
	"github.com/imgflow/imgflow/layers/common/lambdamain"
)

func main() {
	lambdamain.Run(context.Background(), os.LookupEnv, notify.Step.Build)
}
