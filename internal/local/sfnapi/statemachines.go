package sfnapi

import (
	"context"
	"strings"

	"github.com/imgflow/imgflow/internal/local/awsid"
	"github.com/imgflow/imgflow/internal/local/sfnapi/store"
)

// definitionError renders diagnostics as AWS's InvalidDefinition message.
func definitionError(diags []diagnostic) error {
	parts := make([]string, 0, len(diags))
	for _, d := range diags {
		p := d.Code + ": " + d.Message
		if d.Location != "" {
			p += " at " + d.Location
		}
		parts = append(parts, p)
	}
	return apiErr(codeInvalidDefinition, "Invalid State Machine Definition: '%s'", strings.Join(parts, ", "))
}

func (s *Service) checkDefinition(def string) error {
	if def == "" {
		return apiErr(codeMissingRequiredParameter, "definition is required")
	}
	if len(def) > s.cfg.MaxDefinitionBytes {
		return apiErr(codeInvalidDefinition, "Invalid State Machine Definition: 'definition exceeds %d bytes'", s.cfg.MaxDefinitionBytes)
	}
	if diags := errorsOnly(validateDefinition(def)); len(diags) > 0 {
		return definitionError(diags)
	}
	return nil
}

func errorsOnly(ds []diagnostic) []diagnostic {
	var out []diagnostic
	for _, d := range ds {
		if d.Severity != "WARNING" {
			out = append(out, d)
		}
	}
	return out
}

// CreateStateMachine validates the definition and creates a state
// machine of type typ ("" = STANDARD). Repeating an identical request
// returns the same ARN.
func (s *Service) CreateStateMachine(ctx context.Context, name, definition, roleARN, typ string) (string, error) {
	sm, err := s.createStateMachine(ctx, name, definition, roleARN, typ)
	if err != nil {
		return "", err
	}
	return sm.ARN, nil
}

func (s *Service) createStateMachine(_ context.Context, name, definition, roleARN, typ string) (*StateMachine, error) {
	if typ == "" {
		typ = TypeStandard
	}
	if typ != TypeStandard && typ != TypeExpress {
		return nil, apiErr(codeValidation, "1 validation error detected: Value '%s' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]", typ)
	}
	if name == "" {
		return nil, apiErr(codeMissingRequiredParameter, "name is required")
	}
	if !validName(name) {
		return nil, apiErr(codeInvalidName, "Invalid Name: '%s'", name)
	}
	if err := s.checkDefinition(definition); err != nil {
		return nil, err
	}
	if roleARN == "" {
		roleARN = awsid.RoleARN(s.cfg.AccountID, "StepFunctionsRole")
	}
	if err := checkRoleARN(roleARN); err != nil {
		return nil, err
	}
	arn := s.smARN(name)
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, err := s.st.StateMachine(arn); err == nil {
		if old.Definition == definition && old.Type == typ {
			return old, nil
		}
		return nil, apiErr(codeStateMachineAlreadyExists, "State Machine Already Exists: '%s'", arn)
	}
	sm := &StateMachine{ARN: arn, Name: name, Type: typ, RoleARN: roleARN, Definition: definition,
		RevisionID: awsid.UUID(), CreationDate: s.eng.now()}
	if err := s.st.PutStateMachine(sm); err != nil {
		return nil, err
	}
	return sm, nil
}

// UpdateStateMachine replaces the definition and/or role (nil: keep).
// Running executions keep the definition they started with.
func (s *Service) UpdateStateMachine(_ context.Context, arn string, definition, roleARN *string) (*StateMachine, error) {
	if _, err := parseARN(arn, "stateMachine"); err != nil {
		return nil, err
	}
	if definition == nil && roleARN == nil {
		return nil, apiErr(codeMissingRequiredParameter, "Either the definition or the roleArn must be specified")
	}
	if definition != nil {
		if err := s.checkDefinition(*definition); err != nil {
			return nil, err
		}
	}
	if roleARN != nil {
		if err := checkRoleARN(*roleARN); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sm, err := s.st.StateMachine(arn)
	if err != nil {
		return nil, notFoundSM(arn, err)
	}
	if definition != nil {
		sm.Definition = *definition
	}
	if roleARN != nil {
		sm.RoleARN = *roleARN
	}
	sm.RevisionID = awsid.UUID()
	sm.UpdateDate = s.eng.now()
	if err := s.st.PutStateMachine(sm); err != nil {
		return nil, err
	}
	return sm, nil
}

// DescribeStateMachine returns one state machine.
func (s *Service) DescribeStateMachine(_ context.Context, arn string) (*StateMachine, error) {
	if _, err := parseARN(arn, "stateMachine"); err != nil {
		return nil, err
	}
	sm, err := s.st.StateMachine(arn)
	if err != nil {
		return nil, notFoundSM(arn, err)
	}
	return sm, nil
}

// ListStateMachines returns every state machine, oldest first.
func (s *Service) ListStateMachines(_ context.Context) ([]StateMachine, error) {
	return s.st.StateMachines()
}

// DeleteStateMachine deletes a state machine. Its executions stay
// readable; running ones run to completion.
func (s *Service) DeleteStateMachine(_ context.Context, arn string) error {
	if _, err := parseARN(arn, "stateMachine"); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.DeleteStateMachine(arn)
}

// DescribeStateMachineForExecution returns the state machine as the
// execution ran it (the definition it started with).
func (s *Service) DescribeStateMachineForExecution(ctx context.Context, execARN string) (*StateMachine, error) {
	x, err := s.DescribeExecution(ctx, execARN)
	if err != nil {
		return nil, err
	}
	def, err := s.st.Definition(x.DefinitionHash)
	if err != nil {
		return nil, notFoundExec(execARN, err)
	}
	sm, err := s.st.StateMachine(x.StateMachineARN)
	if err != nil {
		sm = &StateMachine{ARN: x.StateMachineARN, Name: x.StateMachineName, Type: TypeStandard}
	}
	sm.Definition = def
	if sm.UpdateDate.IsZero() {
		sm.UpdateDate = sm.CreationDate
	}
	return sm, nil
}

// parsedFor returns the parsed definition, cached by content.
func (s *Service) parsedFor(def string) (*parsed, error) {
	h := store.DefinitionHash(def)
	s.mu.Lock()
	p := s.parsed[h]
	s.mu.Unlock()
	if p != nil {
		return p, nil
	}
	p, err := parse(def)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.parsed[h] = p
	s.mu.Unlock()
	return p, nil
}
