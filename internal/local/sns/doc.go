// Package sns is the local stack's Amazon SNS: the Query protocol (form
// requests, XML replies, API version 2010-03-31) for topics, subscriptions
// and publishing, subscription filter policies, and delivery to email
// (SMTP, or a mailbox on disk), email-json and http/https endpoints, with
// retries and a delivery log.
//
// State lives under Config.DataDir as plain JSON files written atomically
// (temp file, fsync, rename): state.json for topics and subscriptions,
// deliveries/ for the delivery log (which is also the mailbox), mailbox/
// for a human-readable .eml copy of every email kept on disk.
//
// Requests must be SigV4-signed for the configured region and the sns
// service (a complete Authorization header or presigned query); the
// stack's endpoint guard verifies the signature itself before the request
// gets here (internal/local/endpoint).
// The ConfirmSubscription and Unsubscribe links that SNS puts in its
// messages work unsigned, as on AWS.
//
// Spec names used here: "envelope" is the JSON document SNS posts to
// http/https endpoints and mails to email-json subscribers; "scope" is a
// filter policy's FilterPolicyScope (MessageAttributes or MessageBody).
package sns
