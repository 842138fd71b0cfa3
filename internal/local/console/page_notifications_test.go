package console

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

// TestNotificationsOfDeletedTopic publishes to a topic of its own, then
// deletes it: its messages leave the page with it, and a topic created
// again under the same name does not bring them back.
func TestNotificationsOfDeletedTopic(t *testing.T) {
	env := bootStack(t)
	base := env.srv.URL
	ctx := context.Background()
	client := sns.NewFromConfig(env.awsConfig())
	topic, err := client.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("short-lived")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("email"),
		Endpoint: aws.String("reader@example.com"), ReturnSubscriptionArn: true}); err != nil {
		t.Fatal(err)
	}
	const subject = "a message of the short-lived topic"
	if _, err := client.Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, Subject: aws.String(subject), Message: aws.String("hello")}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, body := get(t, base+"/notifications"); strings.Contains(body, subject) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the message never shows")
		}
		time.Sleep(50 * time.Millisecond)
	}

	if _, err := client.DeleteTopic(ctx, &sns.DeleteTopicInput{TopicArn: topic.TopicArn}); err != nil {
		t.Fatal(err)
	}
	_, body := get(t, base+"/notifications")
	if strings.Contains(body, subject) || strings.Contains(body, "reader@example.com") {
		t.Error("the deleted topic's message or subscription is still listed")
	}
	if !strings.Contains(body, "ops@example.com") {
		t.Error("the stack's own subscription is gone too")
	}

	if _, err := client.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("short-lived")}); err != nil {
		t.Fatal(err)
	}
	if _, body := get(t, base+"/notifications"); strings.Contains(body, subject) {
		t.Error("a topic created again under the same name shows the old topic's message")
	}
}
