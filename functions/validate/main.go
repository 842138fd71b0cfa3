// Command validate is the validate Lambda function: it checks an upload from its header and plans its variants.
// The handler lives in internal/steps/validate, so the local stack runs the same code.
package main

import (
	"context"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/imgflow/imgflow/internal/steps/validate"
	"github.com/imgflow/imgflow/layers/common/lambdamain"
)

func main() {
	lambdamain.Run(context.Background(), os.LookupEnv, func(_ context.Context, d lambdamain.Deps) (any, error) {
		h, err := validate.NewFromEnv(d.Env, s3.NewFromConfig(d.AWS), d.Log, time.Now)
		if err != nil {
			return nil, err
		}
		return h.Handle, nil
	})
}
