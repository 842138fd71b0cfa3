// Package functions lists the pipeline's Lambda handlers for the local
// stack's in-process mode, keyed by the package the Makefile builds for each
// function. It is shared by `imgflow local` and tests that boot the stack.
package functions

import (
	"github.com/imgflow/imgflow/internal/local/stack"
	"github.com/imgflow/imgflow/internal/steps/notify"
	"github.com/imgflow/imgflow/internal/steps/resize"
	"github.com/imgflow/imgflow/internal/steps/store"
	"github.com/imgflow/imgflow/internal/steps/trigger"
	"github.com/imgflow/imgflow/internal/steps/validate"
)

// Builders are the functions' Build entry points: what in-process mode runs.
func Builders() stack.Builders {
	return stack.Builders{
		"functions/trigger":  trigger.Build,
		"functions/validate": validate.Build,
		"functions/resize":   resize.Build,
		"functions/store":    store.Build,
		"functions/notify":   notify.Build,
	}
}
