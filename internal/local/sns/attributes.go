package sns

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// MessageAttribute is one message attribute: DataType String, String.Array,
// Number or Binary, optionally with a custom ".suffix".
type MessageAttribute struct {
	DataType    string `json:"dataType"`
	StringValue string `json:"stringValue,omitempty"`
	BinaryValue []byte `json:"binaryValue,omitempty"`
}

const maxMessageAttributes = 10

var attrNameRE = regexp.MustCompile(`^[A-Za-z0-9_.\-]{1,256}$`)

// entries collects the indexed entries of a Query list or map under prefix
// ("Attributes.entry.", "Tags.member."): index → field → value.
func entries(form url.Values, prefix string) []map[string]string {
	byIdx := map[int]map[string]string{}
	for k, v := range form {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok || len(v) == 0 {
			continue
		}
		idxStr, field, ok := strings.Cut(rest, ".")
		idx, err := strconv.Atoi(idxStr)
		if !ok || err != nil || idx < 1 {
			continue
		}
		if byIdx[idx] == nil {
			byIdx[idx] = map[string]string{}
		}
		byIdx[idx][field] = v[0]
	}
	idxs := make([]int, 0, len(byIdx))
	for i := range byIdx {
		idxs = append(idxs, i)
	}
	sort.Ints(idxs)
	out := make([]map[string]string, 0, len(idxs))
	for _, i := range idxs {
		out = append(out, byIdx[i])
	}
	return out
}

// keyValueMap decodes Attributes.entry.N.key/value.
func keyValueMap(form url.Values, prefix, keyField, valueField string) map[string]string {
	es := entries(form, prefix)
	if len(es) == 0 {
		return nil
	}
	m := make(map[string]string, len(es))
	for _, e := range es {
		if k, ok := e[keyField]; ok {
			m[k] = e[valueField]
		}
	}
	return m
}

// parseMessageAttributes decodes and validates
// MessageAttributes.entry.N.Name / Value.DataType / Value.StringValue /
// Value.BinaryValue.
func parseMessageAttributes(form url.Values, prefix string) (map[string]MessageAttribute, *APIError) {
	es := entries(form, prefix)
	if len(es) == 0 {
		return nil, nil
	}
	if len(es) > maxMessageAttributes {
		return nil, errInvalidParameter("Number of message attributes [%d] exceeds the allowed maximum [%d].", len(es), maxMessageAttributes)
	}
	out := make(map[string]MessageAttribute, len(es))
	for _, e := range es {
		a := MessageAttribute{DataType: e["Value.DataType"], StringValue: e["Value.StringValue"]}
		if b, ok := e["Value.BinaryValue"]; ok {
			raw, err := base64.StdEncoding.DecodeString(b)
			if err != nil {
				return nil, errInvalidParameterValue("The message attribute '%s' has an invalid binary value.", e["Name"])
			}
			a.BinaryValue = raw
		}
		if err := validateAttribute(e["Name"], a); err != nil {
			return nil, err
		}
		out[e["Name"]] = a
	}
	return out, nil
}

func validateAttribute(name string, a MessageAttribute) *APIError {
	if name == "" {
		return errInvalidParameterValue("The message attribute name must not be empty.")
	}
	if !attrNameRE.MatchString(name) || strings.Contains(name, "..") || strings.HasPrefix(name, ".") ||
		strings.HasSuffix(name, ".") {
		return errInvalidParameterValue("The message attribute name '%s' is invalid.", name)
	}
	low := strings.ToLower(name)
	if strings.HasPrefix(low, "aws.") || strings.HasPrefix(low, "amazon.") {
		return errInvalidParameterValue("The message attribute name '%s' is reserved.", name)
	}
	if a.DataType == "" {
		return errInvalidParameterValue("The message attribute '%s' must contain non-empty message attribute type.", name)
	}
	base, _, _ := strings.Cut(a.DataType, ".")
	switch base {
	case "String", "Number":
		if a.StringValue == "" {
			return errInvalidParameterValue("The message attribute '%s' must contain non-empty message attribute value for message attribute type '%s'.", name, base)
		}
	case "Binary":
		if len(a.BinaryValue) == 0 {
			return errInvalidParameterValue("The message attribute '%s' must contain non-empty message attribute value for message attribute type 'Binary'.", name)
		}
	default:
		return errInvalidParameterValue("The message attribute '%s' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.", name)
	}
	if base == "Number" {
		if _, err := strconv.ParseFloat(a.StringValue, 64); err != nil {
			return errInvalidParameterValue("Could not cast message attribute '%s' value to number.", name)
		}
	}
	if a.DataType == "String.Array" {
		var arr []any
		if err := json.Unmarshal([]byte(a.StringValue), &arr); err != nil {
			return errInvalidParameterValue("The message attribute '%s' with type 'String.Array' must contain a JSON array.", name)
		}
	}
	return nil
}

// envelopeValue is the attribute as the JSON envelope shows it.
func (a MessageAttribute) envelopeValue() envelopeAttribute {
	if strings.HasPrefix(a.DataType, "Binary") {
		return envelopeAttribute{Type: a.DataType, Value: base64.StdEncoding.EncodeToString(a.BinaryValue)}
	}
	return envelopeAttribute{Type: a.DataType, Value: a.StringValue}
}
