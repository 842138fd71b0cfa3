package console

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestConsoleDNSRebinding sends the console's writes and a read the way a
// page on a rebound name would: Host and Origin both evil.example. Both
// match, so the old same-origin check let them through.
func TestConsoleDNSRebinding(t *testing.T) {
	env := bootStack(t)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(env.con.URL, "http://"))
	evil := "evil.example:" + port
	for _, tc := range []struct {
		name, method, path string
	}{
		{"rerun", http.MethodPost, "/executions/imgflow/nope/rerun"},
		{"upload", http.MethodPut, "/upload?path=rebound.png"},
		{"read executions", http.MethodGet, "/executions"},
		{"live events", http.MethodGet, "/api/events"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, env.con.URL+tc.path, strings.NewReader(string(testPNG(t, 8, 8))))
			req.Host = evil
			req.Header.Set("Origin", "http://"+evil)
			req.Header.Set("Sec-Fetch-Site", "same-origin") // what the browser sends: the page and the server are one origin to it
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden {
				t.Fatalf("%s %s for Host %s: %d, want 403", tc.method, tc.path, evil, resp.StatusCode)
			}
		})
	}
	objs, err := env.con.h.s3.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(env.upload)})
	if err != nil {
		t.Fatal(err)
	}
	if len(objs.Contents) != 0 {
		t.Fatalf("the rebound upload stored %d objects", len(objs.Contents))
	}

	// The same upload under the console's own name works.
	if r := put(t, env.con.URL+"/upload?path=ok.png", testPNG(t, 8, 8), map[string]string{"Origin": env.con.URL, "Sec-Fetch-Site": "same-origin"}); r.StatusCode != 200 {
		t.Fatalf("upload from the console's origin: %d", r.StatusCode)
	}
}
