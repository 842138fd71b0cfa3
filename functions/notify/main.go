// Command notify is the notify Lambda function: it publishes the outcome of an execution to the SNS topic.
// The handler lives in internal/steps/notify, so the local stack runs the same code.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/imgflow/imgflow/internal/steps/notify"
	"github.com/imgflow/imgflow/layers/common/lambdamain"
)

func main() {
	lambdamain.Run(context.Background(), os.LookupEnv, func(_ context.Context, d lambdamain.Deps) (any, error) {
		h, err := notify.NewFromEnv(d.Env, sns.NewFromConfig(d.AWS), d.Log)
		if err != nil {
			return nil, err
		}
		return h.Handle, nil
	})
}
