package samtemplate

import (
	"encoding/json"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// shortTags are the CloudFormation YAML short forms and the long-form keys they stand for.
var shortTags = map[string]string{
	"!Ref":          "Ref",
	"!Condition":    "Condition",
	"!GetAtt":       "Fn::GetAtt",
	"!Sub":          "Fn::Sub",
	"!Join":         "Fn::Join",
	"!If":           "Fn::If",
	"!Equals":       "Fn::Equals",
	"!Not":          "Fn::Not",
	"!And":          "Fn::And",
	"!Or":           "Fn::Or",
	"!Select":       "Fn::Select",
	"!Split":        "Fn::Split",
	"!Base64":       "Fn::Base64",
	"!FindInMap":    "Fn::FindInMap",
	"!GetAZs":       "Fn::GetAZs",
	"!ImportValue":  "Fn::ImportValue",
	"!Cidr":         "Fn::Cidr",
	"!Transform":    "Fn::Transform",
	"!Length":       "Fn::Length",
	"!ToJsonString": "Fn::ToJsonString",
}

// longFormJSON converts a YAML or JSON template to JSON with every short tag (!Ref, !Sub,
// !Condition ...) in its long form ({"Ref": ...}, {"Fn::Sub": ...}). goformation's own
// converter misses !Condition, so the project does this itself.
func longFormJSON(data []byte) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("invalid YAML template: %w", err)
	}
	if err := expandTags(&doc); err != nil {
		return nil, err
	}
	var v any
	if err := doc.Decode(&v); err != nil {
		return nil, fmt.Errorf("invalid YAML template: %w", err)
	}
	return json.Marshal(v)
}

func expandTags(n *yaml.Node) error {
	for _, c := range n.Content {
		if err := expandTags(c); err != nil {
			return err
		}
	}
	if !strings.HasPrefix(n.Tag, "!") || strings.HasPrefix(n.Tag, "!!") {
		return nil
	}
	key, ok := shortTags[n.Tag]
	if !ok {
		return fmt.Errorf("line %d: unknown YAML tag %s", n.Line, n.Tag)
	}
	inner := *n
	switch inner.Kind {
	case yaml.ScalarNode:
		inner.Tag = "!!str"
	case yaml.SequenceNode:
		inner.Tag = "!!seq"
	case yaml.MappingNode:
		inner.Tag = "!!map"
	}
	*n = yaml.Node{
		Kind: yaml.MappingNode,
		Tag:  "!!map",
		Line: n.Line,
		Content: []*yaml.Node{
			{Kind: yaml.ScalarNode, Tag: "!!str", Value: key},
			&inner,
		},
	}
	return nil
}
