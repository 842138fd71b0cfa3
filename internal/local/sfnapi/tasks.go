package sfnapi

import (
	"context"
	"errors"
)

// SendTaskSuccess completes the task waiting on token with output (JSON).
func (s *Service) SendTaskSuccess(_ context.Context, token, output string) error {
	if err := checkToken(token); err != nil {
		return err
	}
	return taskErr(s.eng.sendTaskSuccess(token, output))
}

// SendTaskFailure fails the task waiting on token.
func (s *Service) SendTaskFailure(_ context.Context, token, errName, cause string) error {
	if err := checkToken(token); err != nil {
		return err
	}
	return taskErr(s.eng.sendTaskFailure(token, errName, cause))
}

// SendTaskHeartbeat resets the heartbeat clock of the task waiting on token.
func (s *Service) SendTaskHeartbeat(_ context.Context, token string) error {
	if err := checkToken(token); err != nil {
		return err
	}
	return taskErr(s.eng.sendTaskHeartbeat(token))
}

func checkToken(token string) error {
	if token == "" || len(token) > 2048 {
		return apiErr(codeInvalidToken, "Invalid Token: 'Invalid token'")
	}
	return nil
}

func taskErr(err error) error {
	var ie *invalidInputError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errTaskNotFound):
		return apiErr(codeTaskDoesNotExist, "Task Does Not Exist: the task token belongs to no waiting task")
	case errors.As(err, &ie):
		return apiErr(codeInvalidOutput, "Invalid Output: '%s'", ie.msg)
	}
	return err
}
