// Command store is the store Lambda function: it writes manifest.json beside the variants.
// The handler lives in internal/steps/store, so the local stack runs the same code.
package main

import (
	"context"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/imgflow/imgflow/internal/steps/store"
	"github.com/imgflow/imgflow/layers/common/lambdamain"
)

func main() {
	lambdamain.Run(context.Background(), os.LookupEnv, func(_ context.Context, d lambdamain.Deps) (any, error) {
		h, err := store.NewFromEnv(d.Env, s3.NewFromConfig(d.AWS), d.Log, time.Now)
		if err != nil {
			return nil, err
		}
		return h.Handle, nil
	})
}
