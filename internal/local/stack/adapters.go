package stack

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/imgflow/imgflow/internal/local/lambda"
	"github.com/imgflow/imgflow/internal/local/sns"
	"github.com/imgflow/imgflow/internal/sfn"
)

// The adapters below connect the services as AWS connects them: S3 invokes
// a function asynchronously, Step Functions invokes functions and publishes
// to SNS, Lambda sends failed events to a destination.

// s3Notifier delivers S3 event notifications by running the target's
// asynchronous invocation to its end, so that the S3 outbox counts an event
// delivered only once Lambda is done with it.
type s3Notifier struct{ lambda *lambda.Service }

func (n s3Notifier) Notify(ctx context.Context, target string, ev events.S3Event) error {
	payload, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encode S3 event: %w", err)
	}
	return n.lambda.RunAsync(ctx, target, payload)
}

// s3Clock gives S3 the stack's clock. S3 waits on a channel (After) where
// the other services Sleep: on the wall clock that is time.After; on a
// fake clock the channel receives once the clock's Sleep returns.
type s3Clock struct{ sfn.Clock }

func (c s3Clock) After(d time.Duration) <-chan time.Time {
	if _, wall := c.Clock.(sfn.RealClock); wall {
		return time.After(d)
	}
	ch := make(chan time.Time, 1)
	go func() {
		_ = c.Sleep(context.Background(), d)
		ch <- c.Now()
	}()
	return ch
}

// sfnLambda invokes functions for the engine's Lambda tasks.
type sfnLambda struct{ lambda *lambda.Service }

func (a sfnLambda) Invoke(ctx context.Context, function string, payload []byte) (*sfn.LambdaResponse, error) {
	resp, err := a.lambda.Invoke(ctx, function, payload)
	if err != nil {
		return nil, err
	}
	return &sfn.LambdaResponse{Payload: resp.Payload, FunctionError: resp.FunctionError,
		ExecutedVersion: resp.ExecutedVersion, RequestID: resp.RequestID}, nil
}

// sfnSNS publishes for the engine's arn:aws:states:::sns:publish tasks.
type sfnSNS struct{ sns *sns.Service }

func (a sfnSNS) Publish(ctx context.Context, in map[string]any) (string, error) {
	str := func(k string) string { s, _ := in[k].(string); return s }
	pi := sns.PublishInput{TopicARN: str("TopicArn"), Subject: str("Subject"), Message: str("Message"), MessageStructure: str("MessageStructure")}
	if pi.Message == "" {
		if m, ok := in["Message"]; ok {
			b, _ := json.Marshal(m) // Step Functions serialises a JSON Message
			pi.Message = string(b)
		}
	}
	if attrs, ok := in["MessageAttributes"].(map[string]any); ok {
		pi.MessageAttributes = map[string]sns.MessageAttribute{}
		for name, v := range attrs {
			m, _ := v.(map[string]any)
			dt, _ := m["DataType"].(string)
			sv, _ := m["StringValue"].(string)
			pi.MessageAttributes[name] = sns.MessageAttribute{DataType: dt, StringValue: sv}
		}
	}
	return a.sns.Publish(ctx, pi)
}

// destinations delivers Lambda OnFailure records: to an SNS topic as a
// message, to an SQS queue as a line in <data>/sqs/<queue>.jsonl (the local
// stack has no SQS; the file is the queue's content, and the console shows it).
type destinations struct {
	sns *sns.Service
	dir string
	mu  sync.Mutex
}

func (d *destinations) Deliver(ctx context.Context, arn string, rec lambda.FailureRecord) error {
	body, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	switch {
	case strings.HasPrefix(arn, "arn:aws:sns:"):
		_, err := d.sns.Publish(ctx, sns.PublishInput{TopicARN: arn, Message: string(body)})
		return err
	case strings.HasPrefix(arn, "arn:aws:sqs:"):
		name := arn[strings.LastIndex(arn, ":")+1:]
		d.mu.Lock()
		defer d.mu.Unlock()
		if err := os.MkdirAll(d.dir, 0o755); err != nil {
			return err
		}
		f, err := os.OpenFile(filepath.Join(d.dir, name+".jsonl"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		if _, err := f.Write(append(body, '\n')); err != nil {
			f.Close()
			return err
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	return fmt.Errorf("destination %s: only SNS topics and SQS queues are supported locally", arn)
}
