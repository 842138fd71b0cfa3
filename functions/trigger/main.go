// Command trigger is the trigger Lambda function: it starts one execution of the state machine per uploaded object version.
// The handler lives in internal/steps/trigger, so the local stack runs the same code.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/imgflow/imgflow/internal/steps/trigger"
	"github.com/imgflow/imgflow/layers/common/lambdamain"
)

func main() {
	lambdamain.Run(context.Background(), os.LookupEnv, func(_ context.Context, d lambdamain.Deps) (any, error) {
		h, err := trigger.NewFromEnv(d.Env, sfn.NewFromConfig(d.AWS), d.Log)
		if err != nil {
			return nil, err
		}
		return h.Handle, nil
	})
}
