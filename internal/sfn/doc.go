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
// Spec names map to code as follows. A "frame" is one workflow run (the
// state machine, a Parallel branch or a Map iteration) with its own
// previousEventId. ParseDefinition compiles each state into a stateKind
// (kinds.go: one type per ASL Type, its kindShape and its fields) and the
// processor of its query language (process_jsonpath.go or
// process_jsonata.go), chosen once: no state body branches on the
// language; it asks the processor for values, choice rules and Map items.
// runState (lifecycle.go) is the single lifecycle every kind runs
// through: Entered event → input processing (InputPath, Parameters |
// Arguments) → the kind's body → Retry/Catch (Task, Parallel, Map) →
// output processing (ResultSelector, Assign, ResultPath, OutputPath |
// Assign, Output) → Exited event. Events are recorded where they happen;
// the lifecycle records the EvaluationFailed of a query that failed in
// the state and the StateFailed event a Parallel or Map body leaves when
// the state stops retrying. Validate checks the raw JSON's shape
// (validate_shape.go: unknown fields, wrong JSON types, from the structs'
// own fields, the kinds table and stateFieldSpecs, so each field is listed
// once), then the compiled model (validate_model.go). ARNs are built and
// parsed by internal/arn.
package sfn
