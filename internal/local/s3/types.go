package s3

import "strings"

// Store-level request and result types. The handlers translate between
// these and the XML shapes in xml.go.

// listPrefix is a list request's Prefix and Delimiter.
type listPrefix struct {
	Prefix    string
	Delimiter string
}

// match reports whether key is listed under p, and the common prefix it
// rolls up into ("" when it is listed as itself).
func (p listPrefix) match(key string) (ok bool, commonPrefix string) {
	if !strings.HasPrefix(key, p.Prefix) {
		return false, ""
	}
	if p.Delimiter == "" {
		return true, ""
	}
	rest := key[len(p.Prefix):]
	if i := strings.Index(rest, p.Delimiter); i >= 0 {
		return true, key[:len(p.Prefix)+i+len(p.Delimiter)]
	}
	return true, ""
}

// listPage is where a listing starts (after Marker) and how long it is.
type listPage struct {
	Marker    string
	HasMarker bool
	MaxKeys   int64
}

// listResult is one page of current objects.
type listResult struct {
	Objects        []*versionRecord
	CommonPrefixes []string
	IsTruncated    bool
	NextMarker     string
}

// versionsPage is where ListObjectVersions starts.
type versionsPage struct {
	KeyMarker          string
	HasKeyMarker       bool
	VersionIDMarker    string
	HasVersionIDMarker bool
	MaxKeys            int64
}

// versionEntry is one version or delete marker in a versions listing.
type versionEntry struct {
	Rec       *versionRecord
	VersionID string // as on the wire ("null" for the null version)
	IsLatest  bool
}

// versionsResult is one page of ListObjectVersions.
type versionsResult struct {
	Versions            []versionEntry
	CommonPrefixes      []string
	IsTruncated         bool
	NextKeyMarker       string
	NextVersionIDMarker string
}

// putConditions are a write's If-Match / If-None-Match headers.
type putConditions struct {
	IfMatch     string
	IfNoneMatch string
}

// deleteResult is what a delete did.
type deleteResult struct {
	IsDeleteMarker bool
	VersionID      string // wire version id of the marker created or the version removed
}

// byteRange is a resolved byte range of an object.
type byteRange struct {
	Start, Length int64
}

// uploadMarker is ListMultipartUploads' key-marker and upload-id-marker.
type uploadMarker struct {
	Key      string
	UploadID string
}

// uploadsResult is one page of ListMultipartUploads.
type uploadsResult struct {
	Uploads            []uploadRecord
	CommonPrefixes     []string
	IsTruncated        bool
	NextKeyMarker      string
	NextUploadIDMarker string
}

// partsResult is one page of ListParts.
type partsResult struct {
	Upload               *uploadRecord
	Parts                []partItem
	IsTruncated          bool
	NextPartNumberMarker int
}

type partItem struct {
	Number int
	partRecord
}

// completedPart is one <Part> of a CompleteMultipartUpload request.
type completedPart struct {
	PartNumber int
	ETag       string
	Checksums  map[string]string // algorithm → base64, as the client sent them
}

// tag is one object tag; order is kept as given.
type tag struct {
	Key   string `json:"k" xml:"Key"`
	Value string `json:"v" xml:"Value"`
}

// objectInput is what a write stores beside the content.
type objectInput struct {
	Meta         map[string]string
	Tags         []tag
	ChecksumAlgo string // algorithm the client asked for, if any
	ChecksumType string // FULL_OBJECT or COMPOSITE, for a multipart upload
}
