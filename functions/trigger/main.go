// Command trigger is the trigger Lambda function. Its handler and how it is
// built live in internal/steps/trigger, so the local stack runs the same code.
package main

import (
	"context"
	"os"

	"github.com/imgflow/imgflow/internal/steps/trigger"
	"github.com/imgflow/imgflow/layers/common/lambdamain"
)

func main() {
	lambdamain.Run(context.Background(), os.LookupEnv, trigger.Step.Build)
}
