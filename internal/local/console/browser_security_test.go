package console

import (
	"context"
	"encoding/json"
	"html/template"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/chromedp/chromedp"
)

// attackRequest is one fetch() the attacker page makes.
type attackRequest struct {
	Name    string            `json:"name"`
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body,omitempty"`
}

var attackPage = template.Must(template.New("attack").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>attacker</title></head><body>
<iframe name="sink1"></iframe><iframe name="sink2"></iframe>
<script>
const requests = {{.Requests}};
const forms = {{.Forms}};
window.results = {};
function submit(f, i) {
  return new Promise(resolve => {
    const frame = document.getElementsByName("sink" + (i + 1))[0];
    frame.onload = () => resolve();
    const form = document.createElement("form");
    form.method = "POST"; form.action = f.url; form.target = frame.name;
    form.enctype = "application/x-www-form-urlencoded";
    for (const [k, v] of Object.entries(f.fields)) {
      const input = document.createElement("input");
      input.type = "hidden"; input.name = k; input.value = v;
      form.appendChild(input);
    }
    document.body.appendChild(form);
    form.submit();
  });
}
(async () => {
  for (const r of requests) {
    try {
      const resp = await fetch(r.url, {method: r.method, headers: r.headers, body: r.body || undefined});
      window.results[r.name] = resp.status;
    } catch (e) {
      window.results[r.name] = "blocked";
    }
  }
  for (let i = 0; i < forms.length; i++) {
    await submit(forms[i], i);
    window.results[forms[i].name] = "submitted";
  }
  window.done = true;
})();
</script></body></html>`))

// TestBrowserCrossOrigin opens a page served from another origin in
// headless Chromium. The page holds correctly signed requests (the local
// credentials are public, so it could compute them) and tries to LIST,
// PUT, GET and DELETE objects on the endpoint with fetch(), and to add an
// SNS http subscription with form posts (the issue-9 exploit with a bare
// X-Amz-Credential, and a valid presigned query). All must fail and
// nothing may change.
func TestBrowserCrossOrigin(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	browser := newBrowser(t)
	env := bootStack(t)
	ctx := context.Background()
	awsCfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(env.st.URL),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
	s3c := s3.NewFromConfig(awsCfg, func(o *s3.Options) { o.UsePathStyle = true })
	snsc := sns.NewFromConfig(awsCfg)
	bucket := env.upload
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("victim.txt"), Body: strings.NewReader("keep me")}); err != nil {
		t.Fatal(err)
	}
	topic := env.st.Resources.Topics[0]
	subscriptions := func() int {
		out, err := snsc.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topic)})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.Subscriptions)
	}
	subsBefore := subscriptions()

	// Requests signed with the public credentials, for the page to send.
	now := time.Now().UTC()
	creds := aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	signed := func(name, method, path, body string) attackRequest {
		req, _ := http.NewRequest(method, env.st.URL+path, strings.NewReader(body))
		req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
		if err := signer.SignHTTP(ctx, creds, req, "UNSIGNED-PAYLOAD", "s3", "us-east-1", now); err != nil {
			t.Fatal(err)
		}
		h := map[string]string{}
		for _, k := range []string{"Authorization", "X-Amz-Date", "X-Amz-Content-Sha256"} {
			h[k] = req.Header.Get(k)
		}
		return attackRequest{Name: name, Method: method, URL: req.URL.String(), Headers: h, Body: body}
	}
	requests := []attackRequest{
		signed("list", "GET", "/"+bucket+"?list-type=2", ""),
		signed("put", "PUT", "/"+bucket+"/evil.txt", "planted"),
		signed("get", "GET", "/"+bucket+"/victim.txt", ""),
		signed("delete", "DELETE", "/"+bucket+"/victim.txt", ""),
	}
	presignReq, _ := http.NewRequest(http.MethodPost, env.st.URL+"/", nil)
	presigned, _, err := v4.NewSigner().PresignHTTP(ctx, creds, presignReq,
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "sns", "us-east-1", now)
	if err != nil {
		t.Fatal(err)
	}
	fields := map[string]string{"Action": "Subscribe", "Version": "2010-03-31", "TopicArn": topic,
		"Protocol": "http", "Endpoint": "http://127.0.0.1:9/hook"}
	forms := []map[string]any{
		{"name": "form bare credential", "url": env.st.URL + "/?X-Amz-Credential=" +
			url.QueryEscape("test/"+now.Format("20060102")+"/us-east-1/sns/aws4_request"), "fields": fields},
		{"name": "form presigned", "url": presigned, "fields": fields},
	}

	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = attackPage.Execute(w, map[string]any{"Requests": requests, "Forms": forms})
	}))
	defer attacker.Close()

	tab, cancel := chromedp.NewContext(browser)
	defer cancel()
	if err := chromedp.Do(tab); err != nil {
		t.Fatal(err)
	}
	tctx, tcancel := context.WithTimeout(tab, 45*time.Second)
	defer tcancel()
	var results map[string]any
	if err := chromedp.Do(tctx,
		chromedp.Navigate(attacker.URL),
		waitJS(`window.done === true`),
		eval(`window.results`, &results),
	); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(results)
	t.Logf("attacker page results: %s", b)
	for _, r := range requests {
		switch v := results[r.Name].(type) {
		case string:
			if v != "blocked" {
				t.Errorf("%s: %v", r.Name, v)
			}
		case float64:
			if v < 400 {
				t.Errorf("%s: the page got status %v", r.Name, v)
			}
		default:
			t.Errorf("%s: no result", r.Name)
		}
	}

	if n := subscriptions(); n != subsBefore {
		t.Errorf("the page added subscriptions: %d → %d", subsBefore, n)
	}
	if _, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("evil.txt")}); err == nil {
		t.Error("the page stored evil.txt")
	}
	out, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("victim.txt")})
	if err != nil {
		t.Fatalf("victim.txt: %v", err)
	}
	out.Body.Close()
}
