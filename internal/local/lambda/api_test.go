package lambda

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/imgflow/imgflow/layers/common/logx"
)

// apiClient serves s's API and returns an SDK client for it.
func apiClient(t *testing.T, s *Service) *lambdasdk.Client {
	t.Helper()
	mux := http.NewServeMux()
	s.Routes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return lambdasdk.New(lambdasdk.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("any", "thing", "")})
}

func errorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

func TestInvokeLogTypeTail(t *testing.T) {
	s := newService(t, nil, nil)
	base := zap.New(s.LogCore(logx.NewEncoder(), zapcore.InfoLevel))
	mustRegister(t, s, Function{Name: "chatty", Timeout: time.Second, MemoryMB: 512}, func(ctx context.Context, in echoIn) (string, error) {
		log := logx.ForInvocation(ctx, base, "", "")
		for i := range 200 { // far more than 4 KB: only the end comes back
			log.Info("line", zap.Int("n", i), zap.String("say", in.Say))
		}
		return "ok", nil
	})
	// A logger without the invocation's request id belongs to no invocation.
	base.Info("logged at init")
	client := apiClient(t, s)
	ctx := context.Background()

	tests := []struct {
		name    string
		logType lambdatypes.LogType
		want    []string // substrings of the decoded tail, in order
		absent  []string
	}{
		{name: "Tail", logType: lambdatypes.LogTypeTail,
			want:   []string{`"n":199,"say":"hello"`, "END RequestId: ", "REPORT RequestId: ", "Billed Duration: ", "Memory Size: 512 MB"},
			absent: []string{`"n":0,`, "logged at init"}},
		{name: "None", logType: lambdatypes.LogTypeNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := client.Invoke(ctx, &lambdasdk.InvokeInput{FunctionName: aws.String("chatty"), LogType: tt.logType, Payload: []byte(`{"say":"hello"}`)})
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == nil {
				if out.LogResult != nil {
					t.Errorf("LogResult = %q, want none", aws.ToString(out.LogResult))
				}
				return
			}
			tail, err := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
			if err != nil {
				t.Fatal(err)
			}
			if len(tail) > 4096 || len(tail) < 3000 {
				t.Errorf("tail is %d bytes, want the last 4 KB", len(tail))
			}
			rest := string(tail)
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("tail lacks %q (in order) in:\n%s", w, tail)
				}
				rest = rest[i+len(w):]
			}
			for _, a := range tt.absent {
				if strings.Contains(string(tail), a) {
					t.Errorf("tail has %q", a)
				}
			}
			if !strings.Contains(string(tail), "RequestId: "+requestIDOf(t, tail)) {
				t.Errorf("END and REPORT name another request: %s", tail)
			}
		})
	}
}

// requestIDOf reads the id of the END line.
func requestIDOf(t *testing.T, tail []byte) string {
	t.Helper()
	_, after, ok := strings.Cut(string(tail), "END RequestId: ")
	if !ok {
		t.Fatalf("no END line in %s", tail)
	}
	return strings.Fields(after)[0]
}

func TestQualifiers(t *testing.T) {
	s := newService(t, nil, nil)
	arn := "arn:aws:lambda:us-east-1:000000000000:function:aliased"
	mustRegister(t, s, Function{Name: "aliased", ARN: arn, Timeout: time.Second, Aliases: map[string]string{"live": "1"}},
		func(context.Context, echoIn) (string, error) { return "ran", nil })
	client := apiClient(t, s)
	ctx := context.Background()

	tests := []struct {
		name, function, qualifier string
		wantVersion, wantErr      string
	}{
		{name: "no qualifier", function: "aliased", wantVersion: "$LATEST"},
		{name: "$LATEST", function: "aliased", qualifier: "$LATEST", wantVersion: "$LATEST"},
		{name: "alias", function: "aliased", qualifier: "live", wantVersion: "1"},
		{name: "version", function: "aliased", qualifier: "1", wantVersion: "1"},
		{name: "alias in the name", function: "aliased:live", wantVersion: "1"},
		{name: "alias in the ARN", function: arn + ":live", wantVersion: "1"},
		{name: "same qualifier twice", function: "aliased:live", qualifier: "live", wantVersion: "1"},
		{name: "unknown alias", function: "aliased", qualifier: "prod", wantErr: "ResourceNotFoundException"},
		{name: "unknown version", function: "aliased", qualifier: "7", wantErr: "ResourceNotFoundException"},
		{name: "unknown qualifier in the ARN", function: arn + ":prod", wantErr: "ResourceNotFoundException"},
		{name: "name and parameter disagree", function: "aliased:live", qualifier: "1", wantErr: "InvalidParameterValueException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var q *string
			if tt.qualifier != "" {
				q = aws.String(tt.qualifier)
			}
			out, err := client.Invoke(ctx, &lambdasdk.InvokeInput{FunctionName: aws.String(tt.function), Qualifier: q})
			if tt.wantErr != "" {
				if errorCode(err) != tt.wantErr {
					t.Fatalf("err = %v, want %s", err, tt.wantErr)
				}
				_, err = client.GetFunctionConfiguration(ctx, &lambdasdk.GetFunctionConfigurationInput{FunctionName: aws.String(tt.function), Qualifier: q})
				if errorCode(err) != tt.wantErr {
					t.Errorf("GetFunctionConfiguration: err = %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil || string(out.Payload) != `"ran"` {
				t.Fatalf("invoke: %v %s", err, out.Payload)
			}
			if got := aws.ToString(out.ExecutedVersion); got != tt.wantVersion {
				t.Errorf("ExecutedVersion = %s, want %s", got, tt.wantVersion)
			}
			cfg, err := client.GetFunctionConfiguration(ctx, &lambdasdk.GetFunctionConfigurationInput{FunctionName: aws.String(tt.function), Qualifier: q})
			if err != nil || aws.ToString(cfg.Version) != tt.wantVersion {
				t.Fatalf("configuration: %v %+v", err, cfg)
			}
		})
	}
	// Step Functions and S3 invoke through Invoke, not the API: the same rule.
	if _, err := s.Invoke(ctx, arn+":prod", []byte(`{}`)); !errors.Is(err, ErrNotFound) {
		t.Errorf("Invoke of an unknown alias: err = %v, want ErrNotFound", err)
	}
}

func TestGetFunctionAndListFunctions(t *testing.T) {
	s := newService(t, nil, nil)
	deployed := time.Date(2026, 12, 2, 1, 2, 3, 456e6, time.UTC)
	for i := range 5 {
		mustRegister(t, s, Function{Name: fmt.Sprintf("fn%d", i), Timeout: time.Second, Role: "arn:aws:iam::000000000000:role/imgflow-Fn" + fmt.Sprint(i) + "Role",
			CodeSize: 1234, LastModified: deployed, Environment: map[string]string{"PRESETS_PATH": "/opt/imgflow/presets.json"},
			Layers: []Layer{{ARN: "arn:aws:lambda:us-east-1:000000000000:layer:common:1", CodeSize: 99}}},
			func(context.Context, echoIn) (string, error) { return "", nil })
	}
	client := apiClient(t, s)
	ctx := context.Background()

	got, err := client.GetFunction(ctx, &lambdasdk.GetFunctionInput{FunctionName: aws.String("fn3")})
	if err != nil {
		t.Fatal(err)
	}
	c := got.Configuration
	if aws.ToString(c.Role) != "arn:aws:iam::000000000000:role/imgflow-Fn3Role" || c.CodeSize != 1234 ||
		aws.ToString(c.LastModified) != "2026-12-02T01:02:03.456+0000" ||
		len(c.Layers) != 1 || aws.ToString(c.Layers[0].Arn) != "arn:aws:lambda:us-east-1:000000000000:layer:common:1" || c.Layers[0].CodeSize != 99 {
		t.Errorf("configuration = %+v", c)
	}
	if len(c.Environment.Variables) != 1 {
		t.Errorf("environment = %v, want only the template's variables", c.Environment.Variables)
	}

	for _, tt := range []struct {
		name     string
		maxItems int32
		pages    []int
	}{
		{name: "default page", pages: []int{5}},
		{name: "two per page", maxItems: 2, pages: []int{2, 2, 1}},
		{name: "one per page", maxItems: 1, pages: []int{1, 1, 1, 1, 1}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var sizes []int
			var names []string
			in := &lambdasdk.ListFunctionsInput{}
			if tt.maxItems > 0 {
				in.MaxItems = aws.Int32(tt.maxItems)
			}
			p := lambdasdk.NewListFunctionsPaginator(client, in)
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					t.Fatal(err)
				}
				sizes = append(sizes, len(page.Functions))
				for _, f := range page.Functions {
					names = append(names, aws.ToString(f.FunctionName))
				}
			}
			if fmt.Sprint(sizes) != fmt.Sprint(tt.pages) || strings.Join(names, ",") != "fn0,fn1,fn2,fn3,fn4" {
				t.Errorf("pages %v of %v, want %v of all five in order", sizes, names, tt.pages)
			}
		})
	}
	for _, bad := range []*lambdasdk.ListFunctionsInput{{Marker: aws.String("not-a-marker")}, {MaxItems: aws.Int32(10001)}} {
		if _, err := client.ListFunctions(ctx, bad); errorCode(err) != "InvalidParameterValueException" {
			t.Errorf("ListFunctions(%+v): err = %v, want InvalidParameterValueException", bad, err)
		}
	}
}
