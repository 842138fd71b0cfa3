package sns

import (
	"strings"
	"testing"
)

// docAttributes is the message of the AWS docs' filter policy examples
// ("Amazon SNS subscription filter policies" / "Filter policy examples").
var docAttributes = map[string]MessageAttribute{
	"customer_interests": {DataType: "String.Array", StringValue: `["soccer", "rugby", "hockey"]`},
	"store":              {DataType: "String", StringValue: "example_corp"},
	"event":              {DataType: "String", StringValue: "order_placed"},
	"price_usd":          {DataType: "Number", StringValue: "210.75"},
	"source_ip":          {DataType: "String", StringValue: "10.0.0.255"},
}

// docBody is the same example as a JSON message body (MessageBody scope).
const docBody = `{
  "customer_interests": ["soccer", "rugby", "hockey"],
  "store": "example_corp",
  "event": "order_placed",
  "price_usd": 210.75,
  "order": {"status": "FAILED", "items": [{"sku": "A1"}, {"sku": "B2"}]},
  "paid": true,
  "coupon": null
}`

func TestFilterPolicyAttributes(t *testing.T) {
	tests := []struct {
		name   string
		policy string
		want   bool
	}{
		{"docs: full example", `{"store":["example_corp"],"event":[{"anything-but":"order_cancelled"}],"customer_interests":["rugby","football","baseball"],"price_usd":[{"numeric":[">=",100]}]}`, true},
		{"exact string", `{"store":["example_corp"]}`, true},
		{"exact string, other value", `{"store":["other_corp"]}`, false},
		{"OR within a key", `{"event":["order_cancelled","order_placed"]}`, true},
		{"AND across keys, one fails", `{"store":["example_corp"],"event":["order_cancelled"]}`, false},
		{"string array: any element", `{"customer_interests":["rugby"]}`, true},
		{"string array: none", `{"customer_interests":["baseball"]}`, false},
		{"prefix on array", `{"customer_interests":[{"prefix":"hoc"}]}`, true},
		{"prefix no match", `{"customer_interests":[{"prefix":"bas"}]}`, false},
		{"suffix", `{"store":[{"suffix":"_corp"}]}`, true},
		{"suffix no match", `{"store":[{"suffix":"_inc"}]}`, false},
		{"equals-ignore-case", `{"event":[{"equals-ignore-case":"ORDER_PLACED"}]}`, true},
		{"anything-but string", `{"event":[{"anything-but":"order_placed"}]}`, false},
		{"anything-but list", `{"event":[{"anything-but":["order_cancelled","order_failed"]}]}`, true},
		{"anything-but list containing value", `{"event":[{"anything-but":["order_cancelled","order_placed"]}]}`, false},
		{"anything-but numbers", `{"price_usd":[{"anything-but":[100,500]}]}`, true},
		{"anything-but number equal", `{"price_usd":[{"anything-but":210.75}]}`, false},
		{"anything-but prefix", `{"event":[{"anything-but":{"prefix":"order_"}}]}`, false},
		{"anything-but prefix other", `{"event":[{"anything-but":{"prefix":"invoice_"}}]}`, true},
		{"anything-but suffix", `{"store":[{"anything-but":{"suffix":"_corp"}}]}`, false},
		{"anything-but on missing attribute", `{"color":[{"anything-but":"red"}]}`, false},
		{"exists true", `{"store":[{"exists":true}]}`, true},
		{"exists true, missing", `{"encrypted":[{"exists":true}]}`, false},
		{"exists false, missing", `{"encrypted":[{"exists":false}]}`, true},
		{"exists false, present", `{"store":[{"exists":false}]}`, false},
		{"missing attribute", `{"encrypted":["yes"]}`, false},
		{"numeric >= 100", `{"price_usd":[{"numeric":[">=",100]}]}`, true},
		{"numeric range excludes", `{"price_usd":[{"numeric":[">",0,"<=",150]}]}`, false},
		{"numeric range includes", `{"price_usd":[{"numeric":[">",200,"<",300]}]}`, true},
		{"numeric equals", `{"price_usd":[{"numeric":["=",210.75]}]}`, true},
		{"number literal", `{"price_usd":[210.75]}`, true},
		{"numeric on a string attribute", `{"store":[{"numeric":[">",0]}]}`, false},
		{"string literal on a number attribute", `{"price_usd":["210.75"]}`, false},
		{"cidr", `{"source_ip":[{"cidr":"10.0.0.0/24"}]}`, true},
		{"cidr other net", `{"source_ip":[{"cidr":"10.0.1.0/24"}]}`, false},
		{"$or: second branch", `{"store":["example_corp"],"$or":[{"event":["order_cancelled"]},{"price_usd":[{"numeric":[">",200]}]}]}`, true},
		{"$or: no branch", `{"$or":[{"event":["order_cancelled"]},{"price_usd":[{"numeric":["<",200]}]}]}`, false},
		{"policy key absent from the message", `{"status":["FAILED"]}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fp, err := parseFilterPolicy(tt.policy, "")
			if err != nil {
				t.Fatalf("parse %s: %v", tt.policy, err)
			}
			if got := fp.matchAttributes(docAttributes); got != tt.want {
				t.Errorf("match = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFilterPolicyStatus(t *testing.T) {
	fp, err := parseFilterPolicy(`{"status":["FAILED"]}`, ScopeMessageAttributes)
	if err != nil {
		t.Fatal(err)
	}
	for status, want := range map[string]bool{"FAILED": true, "SUCCEEDED": false} {
		if got := fp.matchAttributes(map[string]MessageAttribute{"status": {DataType: "String", StringValue: status}}); got != want {
			t.Errorf("status %s: match = %v, want %v", status, got, want)
		}
	}
	if fp.matchAttributes(nil) {
		t.Errorf("message without attributes matched")
	}
}

func TestFilterPolicyBody(t *testing.T) {
	tests := []struct {
		name   string
		policy string
		body   string
		want   bool
	}{
		{"docs: full example", `{"store":["example_corp"],"event":[{"anything-but":"order_cancelled"}],"customer_interests":["rugby","football","baseball"],"price_usd":[{"numeric":[">=",100]}]}`, docBody, true},
		{"nested property", `{"order":{"status":["FAILED"]}}`, docBody, true},
		{"nested property mismatch", `{"order":{"status":["SUCCEEDED"]}}`, docBody, false},
		{"nested array of objects", `{"order":{"items":{"sku":["B2"]}}}`, docBody, true},
		{"nested missing", `{"customer":{"id":["1"]}}`, docBody, false},
		{"boolean", `{"paid":[true]}`, docBody, true},
		{"null", `{"coupon":[null]}`, docBody, true},
		{"exists false on nested", `{"order":{"refund":[{"exists":false}]}}`, docBody, true},
		{"leaf on an object value", `{"order":["FAILED"]}`, docBody, false},
		{"not JSON", `{"store":["example_corp"]}`, "plain text", false},
		{"JSON array body", `{"store":["example_corp"]}`, `["example_corp"]`, false},
		{"$or in body", `{"$or":[{"event":["x"]},{"order":{"status":["FAILED"]}}]}`, docBody, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fp, err := parseFilterPolicy(tt.policy, ScopeMessageBody)
			if err != nil {
				t.Fatalf("parse %s: %v", tt.policy, err)
			}
			if got := fp.matchBody(tt.body); got != tt.want {
				t.Errorf("match = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFilterPolicyInvalid(t *testing.T) {
	tests := []struct {
		name, policy, scope, wantMsg string
	}{
		{"not JSON", `{`, "", "failed to parse JSON"},
		{"not an object", `["a"]`, "", "must be a JSON object"},
		{"scalar value", `{"a":"b"}`, "", "must be an array"},
		{"empty array", `{"a":[]}`, "", "Empty arrays"},
		{"unknown operator", `{"a":[{"wildcard-ish":"x"}]}`, "", "Unrecognized match type"},
		{"nested in attribute scope", `{"a":{"b":["c"]}}`, "", "does not support nested"},
		{"bad numeric operator", `{"a":[{"numeric":["~",1]}]}`, "", "Unrecognized numeric range operator"},
		{"numeric two lower bounds", `{"a":[{"numeric":[">",1,">",2]}]}`, "", "Too many elements"},
		{"numeric out of range", `{"a":[{"numeric":[">",1e10]}]}`, "", "between -1.0E9 and 1.0E9"},
		{"exists not bool", `{"a":[{"exists":"yes"}]}`, "", "either true or false"},
		{"too many keys", `{"a":["1"],"b":["1"],"c":["1"],"d":["1"],"e":["1"],"f":["1"]}`, "", "more than 5 keys"},
		{"too complex", `{"a":["1","2","3","4","5","6"],"b":["1","2","3","4","5","6"],"c":["1","2","3","4","5"]}`, "", "too complex"},
		{"bad scope", `{"a":["b"]}`, "Body", "FilterPolicyScope"},
		{"bad cidr", `{"a":[{"cidr":"10.0.0.1"}]}`, "", "CIDR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseFilterPolicy(tt.policy, tt.scope)
			if err == nil {
				t.Fatalf("policy %s accepted", tt.policy)
			}
			if err.Code != "InvalidParameter" || !strings.Contains(err.Message, tt.wantMsg) {
				t.Errorf("error %s: %q, want InvalidParameter mentioning %q", err.Code, err.Message, tt.wantMsg)
			}
		})
	}
}

func FuzzFilterPolicy(f *testing.F) {
	for _, s := range []string{`{"status":["FAILED"]}`, `{"a":[{"numeric":[">",0,"<=",5]}]}`, `{"o":{"p":[{"prefix":"x"}]}}`,
		`{"$or":[{"a":["1"]},{"b":[{"exists":false}]}]}`, `{"a":[{"anything-but":{"suffix":"z"}}]}`} {
		f.Add(s, docBody)
	}
	f.Fuzz(func(t *testing.T, policy, body string) {
		if len(policy) > 4096 || len(body) > 4096 {
			return
		}
		for _, scope := range []string{ScopeMessageAttributes, ScopeMessageBody} {
			fp, err := parseFilterPolicy(policy, scope)
			if err != nil {
				continue
			}
			fp.matchAttributes(docAttributes)
			fp.matchBody(body)
		}
	})
}
