package console

import (
	"context"
	"net/url"
	"strings"
	"testing"
)

// TestRedriveRefusedForRejectedUpload: an upload the pipeline rejected
// (ImageRejectedError) fails the same way on every redrive, so the page
// does not offer it and the endpoint refuses it with the reason, leaving
// the execution as it was. Start again stays offered.
func TestRedriveRefusedForRejectedUpload(t *testing.T) {
	env := bootStack(t)
	base := env.srv.URL
	if r := put(t, base+"/upload?path=broken.jpg", []byte("not an image at all"), nil); r.StatusCode != 200 {
		t.Fatalf("upload: %d", r.StatusCode)
	}
	bad := waitStatus(t, base, "uploads/broken.jpg")
	if bad.Status != "FAILED" || bad.Error != "ImageRejectedError" {
		t.Fatalf("status = %+v, want FAILED ImageRejectedError", bad)
	}

	_, body := get(t, base+bad.URL)
	if strings.Contains(body, bad.URL+"/redrive") {
		t.Error("the page offers Redrive for a rejected upload")
	}
	if !strings.Contains(body, `id="no-redrive"`) || !strings.Contains(body, "rejected") {
		t.Error("the page does not say why there is no Redrive")
	}
	if !strings.Contains(body, bad.URL+"/rerun") {
		t.Error("Start again is not offered")
	}

	code, loc := post(t, base+bad.URL+"/redrive")
	if code != 303 {
		t.Fatalf("redrive: %d", code)
	}
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	msg := u.Query().Get("msg")
	if !strings.Contains(msg, "Redrive would fail the same way") || !strings.Contains(msg, "ImageRejectedError") {
		t.Errorf("refusal message = %q", msg)
	}
	x, err := env.st.SFN.DescribeExecution(context.Background(), bad.ARN)
	if err != nil {
		t.Fatal(err)
	}
	if x.Status != "FAILED" || x.RedriveCount != 0 {
		t.Errorf("after the refused redrive: status %s, redriven %d times", x.Status, x.RedriveCount)
	}
	_, body = get(t, base+loc)
	if !strings.Contains(body, "flash-error") || !strings.Contains(body, "Redrive would fail the same way") {
		t.Error("the refusal is not shown on the page")
	}
}
