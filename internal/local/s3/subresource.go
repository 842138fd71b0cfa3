package s3

import (
	"net/http"
	"sort"
	"strings"
)

// gofakes3 routes on method and path and ignores most query sub-resources,
// so "PUT /bucket?tagging" would create a bucket and "DELETE /bucket?cors"
// would delete one. Every request passes this table first: implemented
// sub-resources pass, the rest are refused with NotImplemented (501).

type subresourceRule int

const (
	srPass           subresourceRule = iota // gofakes3 (with our backend) implements it
	srOwn                                   // this package implements it (notification, location, cors)
	srNotImplemented                        // refused
)

// subresources lists S3 query sub-resources (the names that select an
// operation). Parameters of implemented operations are in queryParams.
var subresources = map[string]subresourceRule{
	"uploads":    srPass,
	"uploadId":   srPass,
	"partNumber": srPass, // UploadPart, and GET/HEAD by part (translated to a range)
	"versioning": srPass,
	"versions":   srPass,
	"versionId":  srPass,
	"delete":     srPass,

	"location":     srOwn,
	"notification": srOwn,
	"cors":         srOwn,

	"accelerate": srNotImplemented, "acl": srNotImplemented, "analytics": srNotImplemented,
	"attributes": srNotImplemented, "encryption": srNotImplemented,
	"intelligent-tiering": srNotImplemented, "inventory": srNotImplemented, "legal-hold": srNotImplemented,
	"lifecycle": srNotImplemented, "logging": srNotImplemented, "metadataConfiguration": srNotImplemented,
	"metadataInventoryTable": srNotImplemented, "metadataJournalTable": srNotImplemented,
	"metadataTable": srNotImplemented, "metrics": srNotImplemented, "object-lock": srNotImplemented,
	"ownershipControls": srNotImplemented, "policy": srNotImplemented, "policyStatus": srNotImplemented,
	"publicAccessBlock": srNotImplemented, "renameObject": srNotImplemented, "replication": srNotImplemented,
	"requestPayment": srNotImplemented, "restore": srNotImplemented, "retention": srNotImplemented,
	"select": srNotImplemented, "select-type": srNotImplemented, "session": srNotImplemented,
	"tagging": srNotImplemented, "torrent": srNotImplemented, "website": srNotImplemented,
	"abac": srNotImplemented,
}

// queryParams are ordinary parameters of implemented operations; they may
// be empty ("prefix="). Any other empty-valued parameter is taken as an
// unknown sub-resource and refused; other valued parameters are ignored,
// as S3 ignores them (e.g. the SDK's x-id).
var queryParams = map[string]bool{
	"list-type": true, "prefix": true, "delimiter": true, "marker": true, "max-keys": true,
	"continuation-token": true, "start-after": true, "fetch-owner": true, "encoding-type": true,
	"key-marker": true, "version-id-marker": true, "upload-id-marker": true, "max-uploads": true,
	"max-parts": true, "part-number-marker": true, "x-id": true,
	"response-content-type": true, "response-content-language": true, "response-expires": true,
	"response-cache-control": true, "response-content-disposition": true, "response-content-encoding": true,
}

// checkSubresources refuses requests that name a sub-resource we do not
// implement, and methods our own sub-resources do not support.
func checkSubresources(r *http.Request, key string) *APIError {
	q := r.URL.Query()
	names := make([]string, 0, len(q))
	for name := range q {
		names = append(names, name)
	}
	sort.Strings(names) // deterministic error messages
	for _, name := range names {
		rule, known := subresources[name]
		switch {
		case known && rule == srNotImplemented:
			return errNotImplemented("?" + name)
		case known:
			continue
		case queryParams[name], strings.HasPrefix(strings.ToLower(name), "x-amz-"):
			continue
		case q.Get(name) == "":
			return errNotImplemented("?" + name)
		}
	}
	_, hasUploadID := q["uploadId"]
	if _, ok := q["partNumber"]; ok && !hasUploadID && r.Method != http.MethodGet && r.Method != http.MethodHead {
		return errNotImplemented("?partNumber without uploadId")
	}
	if _, ok := q["notification"]; ok && (key != "" || (r.Method != http.MethodGet && r.Method != http.MethodPut)) {
		return errMethodNotAllowed()
	}
	if _, ok := q["cors"]; ok && (key != "" || (r.Method != http.MethodGet && r.Method != http.MethodPut && r.Method != http.MethodDelete)) {
		return errMethodNotAllowed()
	}
	if _, ok := q["delete"]; ok && (key != "" || r.Method != http.MethodPost) {
		return errMethodNotAllowed()
	}
	for _, bucketLevel := range []string{"versioning", "versions", "location"} {
		if _, ok := q[bucketLevel]; ok && key != "" {
			return errMethodNotAllowed()
		}
	}
	if _, ok := q["location"]; ok && r.Method != http.MethodGet {
		return errMethodNotAllowed()
	}
	return nil
}
