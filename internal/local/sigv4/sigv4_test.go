package sigv4

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestCheck(t *testing.T) {
	now := time.Date(2026, 11, 25, 18, 30, 0, 0, time.UTC)
	const okCred = "AKID/20261125/eu-west-1/s3/aws4_request"
	authz := func(cred string) string {
		return "AWS4-HMAC-SHA256 Credential=" + cred + ", SignedHeaders=host;x-amz-date, Signature=abc"
	}
	presign := func(cred, date, expires string) string {
		return "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" + strings.ReplaceAll(cred, "/", "%2F") +
			"&X-Amz-Date=" + date + "&X-Amz-Expires=" + expires + "&X-Amz-SignedHeaders=host&X-Amz-Signature=abc"
	}
	for _, tc := range []struct {
		name       string
		target     string
		authz      string
		noDate     bool
		wantStatus int
		wantCode   string
		wantKey    string
	}{
		{name: "header ok", target: "/b/k", authz: authz(okCred), wantKey: "AKID"},
		{name: "unsigned", target: "/b/k", wantStatus: 403, wantCode: "AccessDenied"},
		{name: "wrong region", target: "/b/k", authz: authz("AKID/20261125/us-east-1/s3/aws4_request"), wantStatus: 400, wantCode: "AuthorizationHeaderMalformed"},
		{name: "wrong service", target: "/b/k", authz: authz("AKID/20261125/eu-west-1/sns/aws4_request"), wantStatus: 400, wantCode: "AuthorizationHeaderMalformed"},
		{name: "malformed credential", target: "/b/k", authz: authz("AKID/eu-west-1/s3"), wantStatus: 400, wantCode: "AuthorizationHeaderMalformed"},
		{name: "missing signature", target: "/b/k", authz: "AWS4-HMAC-SHA256 Credential=" + okCred, wantStatus: 400, wantCode: "AuthorizationHeaderMalformed"},
		{name: "sigv2", target: "/b/k", authz: "AWS AKID:sig", wantStatus: 400, wantCode: "InvalidRequest"},
		{name: "no date", target: "/b/k", authz: authz(okCred), noDate: true, wantStatus: 403, wantCode: "AccessDenied"},
		{name: "presigned ok", target: presign(okCred, "20261125T182000Z", "3600"), wantKey: "AKID"},
		{name: "presigned wrong region", target: presign("AKID/20261125/us-west-2/s3/aws4_request", "20261125T182000Z", "3600"), wantStatus: 400, wantCode: "AuthorizationQueryParametersError"},
		{name: "presigned expired", target: presign(okCred, "20261125T172000Z", "60"), wantStatus: 403, wantCode: "AccessDenied"},
		{name: "presigned and header", target: presign(okCred, "20261125T182000Z", "3600"), authz: authz(okCred), wantStatus: 400, wantCode: "InvalidArgument"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", tc.target, nil)
			if tc.authz != "" {
				r.Header.Set("Authorization", tc.authz)
			}
			if !tc.noDate {
				r.Header.Set("X-Amz-Date", "20261125T183000Z")
			}
			scope, err := Check(r, "eu-west-1", "s3", now)
			if tc.wantCode == "" {
				if err != nil || scope.AccessKeyID != tc.wantKey {
					t.Fatalf("scope %+v err %v", scope, err)
				}
				return
			}
			ae, ok := err.(*AuthError)
			if !ok || ae.Code != tc.wantCode || ae.Status != tc.wantStatus {
				t.Fatalf("err = %#v, want %d %s", err, tc.wantStatus, tc.wantCode)
			}
		})
	}
}

func FuzzCheck(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKID/20261125/eu-west-1/s3/aws4_request, SignedHeaders=host, Signature=abc", "")
	f.Add("", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=A%2F20261125%2Feu-west-1%2Fs3%2Faws4_request&X-Amz-Date=20261125T000000Z&X-Amz-Expires=9&X-Amz-SignedHeaders=host&X-Amz-Signature=0")
	now := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, authz, query string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.URL.RawQuery = query
		r.Header.Set("Authorization", authz)
		r.Header.Set("X-Amz-Date", "20261125T000000Z")
		scope, err := Check(r, "eu-west-1", "s3", now)
		if err == nil && (scope.Region != "eu-west-1" || scope.Service != "s3") {
			t.Fatalf("accepted scope %+v", scope)
		}
	})
}
