package sfnapi

import (
	"errors"
	"regexp"
	"strings"
	"unicode"

	"github.com/imgflow/imgflow/internal/arn"
	"github.com/imgflow/imgflow/internal/local/awsid"
	"github.com/imgflow/imgflow/internal/local/sfnapi/store"
)

// Stored records, as the Go API returns them.
type (
	// StateMachine is a state machine as stored.
	StateMachine = store.StateMachine
	// Execution is an execution as stored (without history).
	Execution = store.Execution
	// HistoryEvent is one history event; Details is the JSON object AWS
	// puts under "<type>EventDetails".
	HistoryEvent = store.Event
)

// validName applies AWS's rules for state machine and execution names:
// 1-80 characters, no whitespace, brackets, wildcards, the characters
// " # % \ ^ | ~ ` $ & , ; : / or control characters.
func validName(name string) bool {
	if n := len([]rune(name)); n < 1 || n > 80 {
		return false
	}
	for _, r := range name {
		switch {
		case unicode.IsSpace(r), r <= 0x1f, r >= 0x7f && r <= 0x9f:
			return false
		case strings.ContainsRune(`<>{}[]?*"#%\^|~`+"`"+`$&,;:/`, r):
			return false
		}
	}
	return true
}

func (s *Service) smARN(name string) string {
	return awsid.StateMachineARN(s.cfg.Region, s.cfg.AccountID, name)
}

func (s *Service) execARN(smName, name string) string {
	return awsid.ExecutionARN(s.cfg.Region, s.cfg.AccountID, smName, name)
}

// parseARN checks "arn:aws:states:<region>:<account>:<kind>:<name>..."
// and returns the resource parts after kind.
func parseARN(s, kind string) ([]string, error) {
	_, k, names, ok := arn.States(s)
	if !ok || k != kind {
		return nil, apiErr(codeInvalidArn, "Invalid Arn: '%s'", s)
	}
	return names, nil
}

// roleARNPattern is an IAM role ARN, which Step Functions requires of
// roleArn: any partition, a 12-digit account, a role name with an optional
// path.
var roleARNPattern = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$`)

// checkRoleARN refuses a roleArn that is not a role's ARN, as Step Functions
// does, instead of storing it and failing later.
func checkRoleARN(role string) error {
	if !roleARNPattern.MatchString(role) {
		return apiErr(codeInvalidArn, "Invalid Arn: '%s'", role)
	}
	return nil
}

func notFoundSM(arn string, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return apiErr(codeStateMachineDoesNotExist, "State Machine Does Not Exist: '%s'", arn)
	}
	return err
}

func notFoundExec(arn string, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return apiErr(codeExecutionDoesNotExist, "Execution Does Not Exist: '%s'", arn)
	}
	return err
}
