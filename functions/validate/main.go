// Command validate is the validate Lambda function. Its handler and how it is
// built live in internal/steps/validate, so the local stack runs the same code.
package main

import (
	"context"
	"os"

	"github.com/imgflow/imgflow/internal/steps/validate"
	"github.com/imgflow/imgflow/layers/common/lambdamain"
)

func main() {
	lambdamain.Run(context.Background(), os.LookupEnv, validate.Step.Build)
}
