// Package functions lists the pipeline's Lambda handlers for the local
// stack, keyed by each function's logical ID in template.yaml, with the
// package the Makefile's build-<LogicalId> and build-host targets build for
// it. It is shared by `imgflow local` and tests that boot the stack.
package functions

import (
	"github.com/imgflow/imgflow/internal/local/stack"
	"github.com/imgflow/imgflow/internal/steps/cleanup"
	"github.com/imgflow/imgflow/internal/steps/notify"
	"github.com/imgflow/imgflow/internal/steps/resize"
	"github.com/imgflow/imgflow/internal/steps/store"
	"github.com/imgflow/imgflow/internal/steps/trigger"
	"github.com/imgflow/imgflow/internal/steps/validate"
)

// Builders are the functions' Build entry points (what in-process mode
// runs) and packages (whose bootstraps process mode runs), by logical ID.
func Builders() stack.Builders {
	return stack.Builders{
		"TriggerFunction":  {Build: trigger.Step.Build, Package: "functions/trigger"},
		"ValidateFunction": {Build: validate.Step.Build, Package: "functions/validate"},
		"ResizeFunction":   {Build: resize.Step.Build, Package: "functions/resize"},
		"StoreFunction":    {Build: store.Step.Build, Package: "functions/store"},
		"NotifyFunction":   {Build: notify.Step.Build, Package: "functions/notify"},
		"CleanupFunction":  {Build: cleanup.Step.Build, Package: "functions/cleanup"},
	}
}
