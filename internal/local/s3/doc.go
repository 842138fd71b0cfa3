// Package s3 is the local stack's S3 service: an http.Handler that speaks the
// S3 REST+XML wire protocol (path-style and virtual-host style), backed by
// gofakes3 for request routing and by our own persistent, versioned storage
// (bbolt for metadata, one file per object version for content) under
// Config.DataDir.
//
// On top of gofakes3 it adds what the imgflow pipeline needs and gofakes3
// lacks: bucket notification configuration (PUT/GET ?notification), S3 event
// records for every object creation (PUT, POST, CopyObject, multipart
// completion) recorded durably in the same transaction as the object and
// delivered at least once through a Notifier, If-Match on GET/HEAD, HEAD by
// versionId, aws-chunked bodies, a SigV4 credential-scope check, and a table
// of query sub-resources that refuses what is not implemented with an S3
// NotImplemented error instead of a false success.
//
// Spec names used here: "sub-resource" is a query parameter that selects an
// API operation (?tagging, ?uploads); "null version" is the version an
// unversioned or versioning-suspended bucket writes (versionId "null").
package s3
