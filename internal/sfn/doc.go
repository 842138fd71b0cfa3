// Package sfn is imgflow's Step Functions engine: it parses and validates
// Amazon States Language definitions and runs executions with AWS's
// semantics (JSONPath and JSONata, variables, intrinsic functions,
// Retry/Catch, Map/Parallel) and AWS-shaped execution histories.
//
// It contains no AWS SDK calls. Service integrations are plugged in
// through Config: a LambdaInvoker (plain function ARNs and
// arn:aws:states:::lambda:invoke), an SNSPublisher
// (arn:aws:states:::sns:publish) and any other Integration keyed by
// resource ARN. Time comes from a Clock, so Wait states, retries and
// timeouts run instantly on a FakeClock in tests.
//
// Typical use:
//
//	eng, err := sfn.New(cfg)              // cfg := sfn.NewDefaultConfig(); cfg.Lambda = ...
//	ex, err := eng.Start(ctx, def, input, sfn.StartOptions{Name: "run-1"})
//	res, err := ex.Wait(ctx)              // res.Status, res.Output, res.Error, res.Cause
//	events := ex.History()                // copies of the recorded events
//
// Spec names map to code as follows: a "frame" is one workflow run (the
// state machine, a Parallel branch or a Map iteration) with its own
// previousEventId; runState is the single state lifecycle (Entered →
// InputPath → Parameters → run → ResultSelector → ResultPath →
// OutputPath → Exited); Retry/Catch live in runState for Task, Parallel
// and Map.
package sfn
