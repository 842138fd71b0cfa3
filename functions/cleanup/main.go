// Command cleanup is the cleanup Lambda function. Its handler and how it is
// built live in internal/steps/cleanup, so the local stack runs the same code.
package main

import (
	"context"
	"os"

	"github.com/imgflow/imgflow/internal/steps/cleanup"
	"github.com/imgflow/imgflow/layers/common/lambdamain"
)

func main() {
	lambdamain.Run(context.Background(), os.LookupEnv, cleanup.Step.Build)
}
