// Package s3 is the local stack's S3 service: an http.Handler that speaks the
// S3 REST+XML wire protocol (path-style and virtual-host style) over our own
// persistent, versioned storage (bbolt for metadata, one file per object
// version for content) under Config.DataDir.
//
// Every request goes through one lifecycle, in ServeHTTP (router.go):
//
//  1. Routing: a request id is assigned; a virtual-host Host
//     (photos.localhost) is turned into the path-style bucket; the path
//     gives the level (service, bucket, object) and the query's
//     sub-resource selects the operation from the route table built once in
//     New (routes in router.go). A sub-resource of an operation we do not
//     implement is 501 NotImplemented; a combination S3 does not have is
//     405 MethodNotAllowed. CORS preflights (OPTIONS) are answered here,
//     unsigned, from the bucket's CORS rules.
//  2. Auth: the SigV4 (or SigV2 presigned) credential scope must name our
//     region and s3, and a presigned URL must not have expired; the
//     endpoint's guard (internal/local/endpoint) has already verified the
//     signature itself. A request a web page sent must be allowed by a CORS
//     rule of the bucket, whose headers it then gets.
//  3. Handler: one small method per operation (bucket.go, object.go,
//     multipart.go, cors.go) reads its input, calls the store and writes the
//     success response: headers, then an XML body in the shapes of xml.go.
//  4. Response: an error a handler returns is written as S3 writes errors,
//     <Error><Code><Message>…<RequestId><HostId></Error> with AWS's status
//     (errors.go); anything that is not an S3 error is logged once and
//     answered 500 InternalError. Event records a write queued wake the
//     dispatcher.
//
// Object writes record their S3 event records (notification.go) durably in
// the same bbolt transaction as the object; the dispatcher (dispatcher.go)
// delivers them at least once through a Notifier. Checksums (checksum.go)
// are validated and stored as S3 does; aws-chunked bodies (chunked.go) are
// decoded, trailing checksums included.
//
// Why not versitygw or gofakes3: docs/s3-layer.md.
//
// Spec names used here: "sub-resource" is a query parameter that selects an
// API operation (?tagging, ?uploads); "null version" is the version an
// unversioned or versioning-suspended bucket writes (versionId "null").
package s3
