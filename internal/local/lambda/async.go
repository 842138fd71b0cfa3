package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/imgflow/imgflow/internal/local/awsid"
	"go.uber.org/zap"
)

// RunAsync runs an asynchronous invocation to its end in the caller's
// goroutine: the first try, the retries, and the OnFailure destination. An
// event source that must not lose events (the local S3's durable outbox)
// calls it and counts the event delivered only when it returns nil; a crash
// before that leaves the event to be delivered again.
func (s *Service) RunAsync(ctx context.Context, nameOrARN string, payload []byte) error {
	fn, _, err := s.lookup(nameOrARN)
	if err != nil {
		return err
	}
	if err := s.track(); err != nil {
		return err
	}
	defer s.wg.Done()
	return s.runAsync(ctx, fn, nameOrARN, awsid.LambdaRequestID(), s.cfg.Now(), payload)
}

// track counts an asynchronous invocation in flight, unless the service
// is closing.
func (s *Service) track() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.closed:
		return errors.New("lambda: service is shutting down")
	default:
	}
	s.wg.Add(1)
	return nil
}

// InvokeAsync queues an asynchronous invocation (InvocationType Event) and
// returns at once, as Lambda answers 202. The event is tried once and then
// retried MaxRetryAttempts times on a handler error, waiting RetryDelays
// between tries; an event older than MaxEventAge is not tried again. What
// still fails goes to the function's OnFailure destination, so it is never
// silently lost.
func (s *Service) InvokeAsync(ctx context.Context, nameOrARN string, payload []byte) (string, error) {
	fn, _, err := s.lookup(nameOrARN)
	if err != nil {
		return "", err
	}
	requestID := awsid.LambdaRequestID()
	queued := s.cfg.Now()
	if err := s.track(); err != nil {
		return "", err
	}
	go func() {
		defer s.wg.Done()
		// Detached from the caller: the request that queued the event has
		// been answered; only shutdown stops the retries.
		ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		defer cancel()
		go func() {
			select {
			case <-s.closed:
				cancel()
			case <-ctx.Done():
			}
		}()
		_ = s.runAsync(ctx, fn, nameOrARN, requestID, queued, payload)
	}()
	return requestID, nil
}

// runAsync returns nil once the event succeeded or reached its OnFailure
// destination, and an error when it could do neither.
func (s *Service) runAsync(ctx context.Context, fn *function, target, requestID string, queued time.Time, payload []byte) error {
	log := s.log.With(zap.String("function", fn.cfg.Name), zap.String("request_id", requestID))
	attempts := 0
	var last *Response
	condition := "RetriesExhausted"
	for {
		resp, err := s.Invoke(ctx, target, payload)
		attempts++
		if err == nil && resp.FunctionError == "" {
			return nil
		}
		last = resp
		if err != nil {
			log.Warn("async invocation could not run", zap.Error(err))
			last = &Response{FunctionError: "Unhandled", Payload: mustJSON(ErrorDocument{ErrorType: "ServiceException", ErrorMessage: err.Error()})}
		} else {
			log.Warn("async invocation failed", zap.Int("attempt", attempts), zap.ByteString("error", resp.Payload))
		}
		if attempts > fn.cfg.MaxRetryAttempts || ctx.Err() != nil {
			break
		}
		delay := s.cfg.RetryDelays[min(attempts-1, len(s.cfg.RetryDelays)-1)]
		if fn.cfg.MaxEventAge > 0 && s.cfg.Now().Add(delay).Sub(queued) > fn.cfg.MaxEventAge {
			condition = "EventAgeExceeded"
			break
		}
		if s.cfg.Sleep(ctx, delay) != nil {
			break
		}
	}
	if ctx.Err() != nil {
		return fmt.Errorf("lambda: %s: stopped after %d attempts: %w", fn.cfg.Name, attempts, ctx.Err())
	}
	return s.fail(ctx, fn, requestID, condition, attempts, payload, last, log)
}

func (s *Service) fail(ctx context.Context, fn *function, requestID, condition string, attempts int, payload []byte, last *Response, log *zap.Logger) error {
	if fn.cfg.OnFailure == "" || s.dest == nil {
		log.Error("async invocation dropped: no OnFailure destination", zap.String("condition", condition), zap.Int("attempts", attempts))
		return nil // as on Lambda: without a destination the event is discarded
	}
	rec := FailureRecord{
		Version:   "1.0",
		Timestamp: s.cfg.Now().UTC(),
		RequestContext: RequestContext{RequestID: requestID, FunctionARN: fn.cfg.ARN + ":$LATEST",
			Condition: condition, ApproximateInvokeCount: attempts},
		RequestPayload:  json.RawMessage(payload),
		ResponseContext: ResponseContext{StatusCode: http.StatusOK, ExecutedVersion: "$LATEST", FunctionError: last.FunctionError},
		ResponsePayload: json.RawMessage(last.Payload),
	}
	if err := s.dest.Deliver(context.WithoutCancel(ctx), fn.cfg.OnFailure, rec); err != nil {
		log.Error("OnFailure destination failed", zap.String("destination", fn.cfg.OnFailure), zap.Error(err))
		return fmt.Errorf("lambda: %s: OnFailure destination %s: %w", fn.cfg.Name, fn.cfg.OnFailure, err)
	}
	log.Warn("async invocation sent to OnFailure destination", zap.String("destination", fn.cfg.OnFailure),
		zap.String("condition", condition), zap.Int("attempts", attempts))
	return nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only called with plain structs
	}
	return b
}
