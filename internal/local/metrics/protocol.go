package metrics

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/imgflow/imgflow/internal/local/awsid"
)

// CloudWatch's wire protocols, as the clients on this machine speak them:
//
//   - Query (aws CLI v2, whose botocore predates CBOR): POST / with a form
//     body (Action=GetMetricStatistics&Version=2010-08-01&...), XML replies.
//   - Smithy RPC v2 CBOR (botocore ≥ 1.38, so the pyenv aws CLI v1 and
//     boto3, and aws-sdk-go-v2's service/cloudwatch): POST
//     /service/GraniteServiceVersion20100801/operation/<Op> with
//     smithy-protocol: rpc-v2-cbor and CBOR bodies (timestamps as tag 1).
//
//   - JSON 1.0 (botocore 1.43, the pyenv aws CLI v1, picks it):
//     X-Amz-Target: GraniteServiceVersion20100801.<Op>, timestamps as
//     epoch seconds.
//
// All decode into the same input structs and encode the same output
// structs.

// cborPathPrefix is where RPC v2 CBOR requests go.
const cborPathPrefix = "/service/GraniteServiceVersion20100801/operation/"

// jsonTargetPrefix is the X-Amz-Target prefix of JSON 1.0 requests.
const jsonTargetPrefix = "GraniteServiceVersion20100801."

const queryNamespace = "http://monitoring.amazonaws.com/doc/2010-08-01/"

type opFunc func(a *API, ctx context.Context, decode func(any) error) (any, error)

func op[In any](f func(*API, context.Context, *In) (any, error)) opFunc {
	return func(a *API, ctx context.Context, decode func(any) error) (any, error) {
		var in In
		if err := decode(&in); err != nil {
			return nil, &APIError{Status: http.StatusBadRequest, Code: "InvalidParameterValue", Type: "InvalidParameterValueException",
				Message: "the request does not decode: " + err.Error()}
		}
		return f(a, ctx, &in)
	}
}

var ops = map[string]opFunc{
	"GetMetricStatistics": op((*API).getMetricStatistics),
	"GetMetricData":       op((*API).getMetricData),
	"ListMetrics":         op((*API).listMetrics),
	"DescribeAlarms":      op((*API).describeAlarms),
	"PutMetricAlarm":      op((*API).putMetricAlarm),
}

var (
	cborDec, _ = cbor.DecOptions{MaxNestedLevels: 16, MaxArrayElements: 10000, MaxMapPairs: 10000}.DecMode()
	cborEnc, _ = cbor.EncOptions{Time: cbor.TimeUnixDynamic, TimeTag: cbor.EncTagRequired}.EncMode()
)

// ServeHTTP answers both protocols.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := awsid.UUID()
	w.Header().Set("X-Amzn-Requestid", reqID)
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.store.cfg.MaxRequestBytes))
	if name, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), jsonTargetPrefix); ok {
		if err != nil {
			writeJSONError(w, invalidValue("request body: %s", err.Error()))
			return
		}
		a.serveJSON(w, r, name, body)
		return
	}
	if name, ok := strings.CutPrefix(r.URL.Path, cborPathPrefix); ok {
		if err != nil {
			writeCBORError(w, invalidValue("request body: %s", err.Error()))
			return
		}
		a.serveCBOR(w, r, name, body)
		return
	}
	if err != nil {
		writeQueryError(w, reqID, invalidValue("request body: %s", err.Error()))
		return
	}
	a.serveQuery(w, r, reqID, body)
}

func (a *API) serveCBOR(w http.ResponseWriter, r *http.Request, name string, body []byte) {
	f := ops[name]
	if r.Method != http.MethodPost || f == nil {
		writeCBORError(w, &APIError{Status: http.StatusBadRequest, Code: "UnknownOperation", Type: "UnknownOperationException",
			Message: fmt.Sprintf("operation %q is not served locally", name)})
		return
	}
	out, err := f(a, r.Context(), func(v any) error {
		if len(body) == 0 {
			return nil
		}
		return cborDec.Unmarshal(body, v)
	})
	if err != nil {
		writeCBORError(w, asAPIError(err))
		return
	}
	b, err := cborEnc.Marshal(out)
	if err != nil {
		writeCBORError(w, asAPIError(err))
		return
	}
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Header().Set("Content-Type", "application/cbor")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
}

func (a *API) serveJSON(w http.ResponseWriter, r *http.Request, name string, body []byte) {
	f := ops[name]
	if r.Method != http.MethodPost || f == nil {
		writeJSONError(w, &APIError{Status: http.StatusBadRequest, Code: "UnknownOperation", Type: "UnknownOperationException",
			Message: fmt.Sprintf("operation %q is not served locally", name)})
		return
	}
	out, err := f(a, r.Context(), func(v any) error {
		if len(bytes.TrimSpace(body)) == 0 {
			return nil
		}
		return json.Unmarshal(body, v)
	})
	if err != nil {
		writeJSONError(w, asAPIError(err))
		return
	}
	b, err := json.Marshal(out)
	if err != nil {
		writeJSONError(w, asAPIError(err))
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
}

func writeJSONError(w http.ResponseWriter, ae *APIError) {
	b, _ := json.Marshal(map[string]string{"__type": "com.amazonaws.cloudwatch#" + ae.Type, "message": ae.Message})
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amzn-Query-Error", ae.Code+";"+fault(ae))
	w.WriteHeader(ae.Status)
	_, _ = w.Write(b)
}

func writeCBORError(w http.ResponseWriter, ae *APIError) {
	b, _ := cborEnc.Marshal(map[string]string{"__type": "com.amazonaws.cloudwatch#" + ae.Type, "message": ae.Message})
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Header().Set("Content-Type", "application/cbor")
	// CloudWatch is @awsQueryCompatible: clients take the code from here.
	w.Header().Set("X-Amzn-Query-Error", ae.Code+";"+fault(ae))
	w.WriteHeader(ae.Status)
	_, _ = w.Write(b)
}

func fault(ae *APIError) string {
	if ae.Status >= 500 {
		return "Receiver"
	}
	return "Sender"
}

func (a *API) serveQuery(w http.ResponseWriter, r *http.Request, reqID string, body []byte) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		writeQueryError(w, reqID, invalidValue("the form does not parse: %s", err.Error()))
		return
	}
	for k, v := range r.URL.Query() {
		if _, ok := form[k]; !ok {
			form[k] = v
		}
	}
	name := form.Get("Action")
	f := ops[name]
	if f == nil {
		writeQueryError(w, reqID, &APIError{Status: http.StatusBadRequest, Code: "InvalidAction",
			Message: fmt.Sprintf("the action %q is not served locally", name)})
		return
	}
	out, err := f(a, r.Context(), func(v any) error { return decodeForm(form, "", reflect.ValueOf(v).Elem()) })
	if err != nil {
		writeQueryError(w, reqID, asAPIError(err))
		return
	}
	var buf bytes.Buffer
	buf.WriteString(`<` + name + `Response xmlns="` + queryNamespace + `">`)
	if err := xml.NewEncoder(&buf).EncodeElement(out, xml.StartElement{Name: xml.Name{Local: name + "Result"}}); err != nil {
		writeQueryError(w, reqID, asAPIError(err))
		return
	}
	buf.WriteString(`<ResponseMetadata><RequestId>` + reqID + `</RequestId></ResponseMetadata></` + name + `Response>`)
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	_, _ = w.Write(buf.Bytes())
}

func writeQueryError(w http.ResponseWriter, reqID string, ae *APIError) {
	var msg strings.Builder
	_ = xml.EscapeText(&msg, []byte(ae.Message))
	body := `<ErrorResponse xmlns="` + queryNamespace + `"><Error><Type>` + fault(ae) + `</Type><Code>` + ae.Code +
		`</Code><Message>` + msg.String() + `</Message></Error><RequestId>` + reqID + `</RequestId></ErrorResponse>`
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(ae.Status)
	_, _ = io.WriteString(w, body)
}

// MarshalXML writes a map member as Query does: entry, key, value.
func (m statMap) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	for _, k := range keys {
		entry := struct {
			Key   string  `xml:"key"`
			Value float64 `xml:"value"`
		}{k, m[k]}
		if err := e.EncodeElement(entry, xml.StartElement{Name: xml.Name{Local: "entry"}}); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}

// maxListMembers bounds a Query list (Name.member.N).
const maxListMembers = 1000

var timeType = reflect.TypeFor[timestamp]()

// decodeForm fills v (a struct) from Query parameters under prefix: a
// field is <prefix><Name>, a list <Name>.member.<N> (from 1), a nested
// structure <Name>.<Field>.
func decodeForm(form url.Values, prefix string, v reflect.Value) error {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		if err := decodeValue(form, prefix+name, v.Field(i)); err != nil {
			return err
		}
	}
	return nil
}

func decodeValue(form url.Values, key string, v reflect.Value) error {
	if v.Type() == timeType {
		s := form.Get(key)
		if s == "" {
			return nil
		}
		tm, err := parseTime(s)
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		v.Set(reflect.ValueOf(timestamp{tm}))
		return nil
	}
	switch v.Kind() {
	case reflect.Pointer:
		if !hasPrefix(form, key) {
			return nil
		}
		p := reflect.New(v.Type().Elem())
		if err := decodeValue(form, key, p.Elem()); err != nil {
			return err
		}
		v.Set(p)
	case reflect.Struct:
		return decodeForm(form, key+".", v)
	case reflect.Slice:
		for n := 1; n <= maxListMembers; n++ {
			item := fmt.Sprintf("%s.member.%d", key, n)
			if !hasPrefix(form, item) {
				break
			}
			e := reflect.New(v.Type().Elem()).Elem()
			if err := decodeValue(form, item, e); err != nil {
				return err
			}
			v.Set(reflect.Append(v, e))
		}
	case reflect.String:
		v.SetString(form.Get(key))
	case reflect.Int:
		if s := form.Get(key); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
			v.SetInt(int64(n))
		}
	case reflect.Float64:
		if s := form.Get(key); s != "" {
			f, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
			v.SetFloat(f)
		}
	case reflect.Bool:
		if s := form.Get(key); s != "" {
			v.SetBool(s == "true")
		}
	}
	return nil
}

// hasPrefix reports whether any parameter is key or under it.
func hasPrefix(form url.Values, key string) bool {
	if _, ok := form[key]; ok {
		return true
	}
	for k := range form {
		if strings.HasPrefix(k, key+".") {
			return true
		}
	}
	return false
}

// parseTime reads a Query timestamp: ISO 8601 (what botocore sends) or
// epoch seconds.
func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return time.Unix(0, int64(f*1e9)).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("timestamp %q is not ISO 8601", s)
}
