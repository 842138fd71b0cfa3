package metrics

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzProtocols: any body in any of the three protocols gets an answer, 2xx
// or 4xx, never a panic or a 5xx.
func FuzzProtocols(f *testing.F) {
	srv, _ := newServer(f)
	api := srv.Config.Handler
	f.Add(0, "GetMetricStatistics", []byte{0xa1, 0x69, 'N', 'a', 'm', 'e', 's', 'p', 'a', 'c', 'e', 0x61, 'x'})
	f.Add(1, "GetMetricData", []byte(`{"MetricDataQueries":[{"Id":"a","MetricStat":{"Metric":{"Namespace":"AWS/Lambda","MetricName":"Duration"},"Period":60,"Stat":"p99"}}],"StartTime":1,"EndTime":1e9}`))
	f.Add(2, "GetMetricStatistics", []byte("Action=GetMetricStatistics&Namespace=AWS/Lambda&MetricName=Duration&StartTime=2026-03-04T10:00:00Z&EndTime=2026-03-04T11:00:00Z&Period=60&Statistics.member.1=Sum&Dimensions.member.1.Name=FunctionName"))
	f.Add(2, "ListMetrics", []byte("Action=ListMetrics&Dimensions.member.1.Name=FunctionName&NextToken=-1"))
	f.Fuzz(func(t *testing.T, proto int, op string, body []byte) {
		var req *http.Request
		switch proto % 3 {
		case 0:
			req = httptest.NewRequest(http.MethodPost, cborPathPrefix+url.PathEscape(op), strings.NewReader(string(body)))
		case 1:
			req = httptest.NewRequest(http.MethodPost, "/", strings.NewReader(string(body)))
			req.Header.Set("X-Amz-Target", jsonTargetPrefix+op)
		default:
			req = httptest.NewRequest(http.MethodPost, "/", strings.NewReader(string(body)))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%d for %s %q: %s", rec.Code, op, body, rec.Body)
		}
	})
}
