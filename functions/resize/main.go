// Command resize is the resize Lambda function. Its handler and how it is
// built live in internal/steps/resize, so the local stack runs the same code.
package main

import (
	"context"
	"os"

	"github.com/imgflow/imgflow/internal/steps/resize"
	"github.com/imgflow/imgflow/layers/common/lambdamain"
)

func main() {
	lambdamain.Run(context.Background(), os.LookupEnv, resize.Step.Build)
}
