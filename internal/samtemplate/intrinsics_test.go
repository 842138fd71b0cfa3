package samtemplate

import (
	"regexp"
	"strings"
	"testing"
)

const miniTemplate = `
Transform: AWS::Serverless-2016-10-31
Parameters:
  Env:
    Type: String
    Default: dev
    AllowedValues: [dev, prod]
  Size:
    Type: Number
    Default: 100000000
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  NotProd: !Not [!Condition IsProd]
Globals:
  Function:
    Runtime: provided.al2023
    Layers: [!Ref Shared]
    Environment:
      Variables:
        A: global
        B: global
Resources:
  Shared:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: layer/
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub ${AWS::StackName}-data-${AWS::AccountId}
  ProdOnly:
    Type: AWS::SNS::Topic
    Condition: IsProd
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: bootstrap
      Layers: [extra]
      Environment:
        Variables:
          B: local
          SUB: !Sub "${Bucket}/${Bucket.Arn}/${!Literal}/${Size}"
          NAMED: !Sub ["${x}-${AWS::Region}", {x: !Ref Env}]
          JOIN: !Join ["/", [a, !Ref Env, !Select [1, !Split [",", "p,q,r"]]]]
          IF: !If [IsProd, yes, no]
          GONE: !If [IsProd, x, !Ref AWS::NoValue]
`

func TestParseIntrinsics(t *testing.T) {
	tm, err := Parse([]byte(miniTemplate), Options{StackName: "st", AccountID: "123", Region: "eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	f, ok := tm.Function("Fn")
	if !ok {
		t.Fatal("no Fn")
	}
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"global env kept", f.Environment["A"], "global"},
		{"local env wins", f.Environment["B"], "local"},
		{"sub ref/getatt/literal/number", f.Environment["SUB"], "st-data-123/arn:aws:s3:::st-data-123/${Literal}/100000000"},
		{"sub with vars", f.Environment["NAMED"], "dev-eu-west-1"},
		{"join select split", f.Environment["JOIN"], "a/dev/q"},
		{"if", f.Environment["IF"], "no"},
		{"global runtime", deref(f.Properties.Runtime), "provided.al2023"},
		{"layers: globals then local", strings.Join(f.Layers, " "), "arn:aws:lambda:eu-west-1:123:layer:st-Shared:1 extra"},
		{"function arn", f.Arn, "arn:aws:lambda:eu-west-1:123:function:st-Fn"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
	if _, ok := f.Environment["GONE"]; ok {
		t.Error("AWS::NoValue did not remove the key")
	}
	if tm.Enabled("ProdOnly") {
		t.Error("ProdOnly exists although IsProd is false")
	}
	if !tm.Conditions["NotProd"] {
		t.Error("NotProd should hold")
	}
}

func TestParseResolveOverride(t *testing.T) {
	tm, err := Parse([]byte(miniTemplate), Options{
		Parameters: map[string]string{"Env": "prod"},
		Resolve: func(id, attr string) (any, bool) {
			if id == "Bucket" && attr == "" {
				return "local-bucket", true
			}
			return nil, false
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	f, _ := tm.Function("Fn")
	if got := f.Environment["SUB"]; !strings.HasPrefix(got, "local-bucket/arn:aws:s3:::imgflow-data-") {
		t.Errorf("SUB = %q", got)
	}
	if f.Environment["IF"] != "yes" || f.Environment["GONE"] != "x" || !tm.Enabled("ProdOnly") {
		t.Errorf("prod conditions not applied: %v enabled=%v", f.Environment, tm.Enabled("ProdOnly"))
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		opts    Options
		wantErr string
	}{
		{name: "unknown ref", src: "Resources:\n  T:\n    Type: AWS::SNS::Topic\n    Properties:\n      DisplayName: !Ref Nope\n", wantErr: `"Nope"`},
		{name: "unknown attribute", src: "Resources:\n  T:\n    Type: AWS::SNS::Topic\n    Properties:\n      DisplayName: !GetAtt T.Colour\n", wantErr: "Colour"},
		{name: "disallowed parameter value", src: miniTemplate, opts: Options{Parameters: map[string]string{"Env": "qa"}}, wantErr: "AllowedValues"},
		{name: "undeclared override", src: miniTemplate, opts: Options{Parameters: map[string]string{"Nope": "x"}}, wantErr: "not declared"},
		{name: "no resources", src: "Parameters: {}\n", wantErr: "no Resources"},
		{name: "ref to disabled resource", src: miniTemplate + "  Uses:\n    Type: AWS::SNS::Subscription\n    Properties:\n      TopicArn: !Ref ProdOnly\n", wantErr: "not created"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.src), tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want it to mention %s", err, tc.wantErr)
			}
		})
	}
}

// A Ref to a Number parameter resolves to a string, as in CloudFormation; the typed view must
// still accept it in an integer property (CloudFormation converts it), and AWS::NoValue must
// drop the property.
func TestParseNumberParameterInIntegerProperty(t *testing.T) {
	const src = `
Transform: AWS::Serverless-2016-10-31
Parameters:
  Reserved:
    Type: Number
    Default: 25
  Days:
    Type: Number
    Default: 14
Conditions:
  HasReserved: !Not [!Equals [!Ref Reserved, "0"]]
Resources:
  Logs:
    Type: AWS::Logs::LogGroup
    Properties:
      RetentionInDays: !Ref Days
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      LifecycleConfiguration:
        Rules:
          - Status: Enabled
            NoncurrentVersionExpiration:
              NoncurrentDays: !Ref Days
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: bootstrap
      ReservedConcurrentExecutions: !If [HasReserved, !Ref Reserved, !Ref AWS::NoValue]
      Environment:
        Variables:
          DAYS: !Ref Days
`
	tests := []struct {
		name     string
		reserved string
		want     int // 0: unset
	}{
		{name: "reserved", reserved: "25", want: 25},
		{name: "unreserved", reserved: "0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tm, err := Parse([]byte(src), Options{Parameters: map[string]string{"Reserved": tc.reserved}})
			if err != nil {
				t.Fatal(err)
			}
			f, _ := tm.Function("Fn")
			if f.Properties == nil {
				t.Fatal("no typed properties")
			}
			if got := derefInt(f.Properties.ReservedConcurrentExecutions); got != tc.want {
				t.Errorf("typed ReservedConcurrentExecutions = %d, want %d", got, tc.want)
			}
			if _, ok := f.Resolved["ReservedConcurrentExecutions"]; ok != (tc.want != 0) {
				t.Errorf("resolved ReservedConcurrentExecutions present = %v, want %v", ok, tc.want != 0)
			}
			if f.Environment["DAYS"] != "14" {
				t.Errorf("env DAYS = %q; a string property must stay a string", f.Environment["DAYS"])
			}
			lg, err := tm.CFN.GetLogsLogGroupWithName("Logs")
			if err != nil || derefInt(lg.RetentionInDays) != 14 {
				t.Errorf("typed RetentionInDays = %v (%v), want 14", lg, err)
			}
			b, err := tm.CFN.GetS3BucketWithName("Bucket")
			if err != nil || b.LifecycleConfiguration == nil || len(b.LifecycleConfiguration.Rules) != 1 ||
				b.LifecycleConfiguration.Rules[0].NoncurrentVersionExpiration == nil ||
				b.LifecycleConfiguration.Rules[0].NoncurrentVersionExpiration.NoncurrentDays != 14 {
				t.Errorf("typed NoncurrentDays in a list item: %+v (%v)", b, err)
			}
			if len(tm.Untyped) > 0 {
				t.Errorf("Untyped = %v", tm.Untyped)
			}
		})
	}
}

func TestKMSDefaultValues(t *testing.T) {
	const src = `
Resources:
  Key:
    Type: AWS::KMS::Key
  Alias:
    Type: AWS::KMS::Alias
    Properties:
      AliasName: !Sub alias/${AWS::StackName}-x
      TargetKeyId: !Ref Key
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      KmsMasterKeyId: !GetAtt Key.Arn
`
	tm, err := Parse([]byte(src), Options{StackName: "st", AccountID: "123", Region: "eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	id, _ := tm.Ref("Key")
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`).MatchString(id) {
		t.Errorf("Ref Key = %q, want a key id (UUID)", id)
	}
	if arn, _ := tm.GetAtt("Key", "Arn"); arn != "arn:aws:kms:eu-west-1:123:key/"+id {
		t.Errorf("Key.Arn = %q", arn)
	}
	if alias, _ := tm.Ref("Alias"); alias != "alias/st-x" {
		t.Errorf("Ref Alias = %q", alias)
	}
	other, err := Parse([]byte(src), Options{StackName: "other"})
	if err != nil {
		t.Fatal(err)
	}
	if oid, _ := other.Ref("Key"); oid == id {
		t.Error("two stacks got the same key id")
	}
}
