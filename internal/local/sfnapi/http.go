package sfnapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/imgflow/imgflow/internal/local/awsid"
	"go.uber.org/zap"
)

const (
	contentType  = "application/x-amz-json-1.0"
	targetPrefix = "AWSStepFunctions."
)

// Routes registers the service on mux (POST /); tests reuse it.
func (s *Service) Routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /{$}", s.handle)
}

// ServeHTTP implements http.Handler for POST / requests.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		writeError(w, "", &APIError{Status: http.StatusNotFound, Code: codeUnknownOperation, Message: "only POST / is served"})
		return
	}
	s.handle(w, r)
}

type opFunc func(s *Service, ctx context.Context, body []byte) (any, error)

// op decodes the request body into In and calls f.
func op[In any](f func(*Service, context.Context, *In) (any, error)) opFunc {
	return func(s *Service, ctx context.Context, body []byte) (any, error) {
		var in In
		if len(body) > 0 {
			if err := json.Unmarshal(body, &in); err != nil {
				return nil, apiErr(codeSerialization, "request body is not valid for the operation: %s", err.Error())
			}
		}
		return f(s, ctx, &in)
	}
}

var ops = map[string]opFunc{
	"CreateStateMachine":               op((*Service).apiCreateStateMachine),
	"UpdateStateMachine":               op((*Service).apiUpdateStateMachine),
	"DescribeStateMachine":             op((*Service).apiDescribeStateMachine),
	"DescribeStateMachineForExecution": op((*Service).apiDescribeStateMachineForExecution),
	"ListStateMachines":                op((*Service).apiListStateMachines),
	"DeleteStateMachine":               op((*Service).apiDeleteStateMachine),
	"ValidateStateMachineDefinition":   op((*Service).apiValidateStateMachineDefinition),
	"StartExecution":                   op((*Service).apiStartExecution),
	"StartSyncExecution":               op((*Service).apiStartSyncExecution),
	"DescribeExecution":                op((*Service).apiDescribeExecution),
	"ListExecutions":                   op((*Service).apiListExecutions),
	"GetExecutionHistory":              op((*Service).apiGetExecutionHistory),
	"StopExecution":                    op((*Service).apiStopExecution),
	"RedriveExecution":                 op((*Service).apiRedriveExecution),
	"SendTaskSuccess":                  op((*Service).apiSendTaskSuccess),
	"SendTaskFailure":                  op((*Service).apiSendTaskFailure),
	"SendTaskHeartbeat":                op((*Service).apiSendTaskHeartbeat),
	"DescribeMapRun":                   op((*Service).apiDescribeMapRun),
	"ListMapRuns":                      op((*Service).apiListMapRuns),
	"UpdateMapRun":                     op((*Service).apiUpdateMapRun),
}

func (s *Service) handle(w http.ResponseWriter, r *http.Request) {
	reqID := awsid.UUID()
	w.Header().Set("X-Amzn-Requestid", reqID)
	if r.ContentLength > s.cfg.MaxRequestBytes {
		writeError(w, reqID, &APIError{Status: http.StatusRequestEntityTooLarge, Code: codeValidation,
			Message: "request body exceeds " + strconv.FormatInt(s.cfg.MaxRequestBytes, 10) + " bytes"})
		return
	}
	if s.cfg.RequireSignature {
		if err := s.checkSignature(r); err != nil {
			writeError(w, reqID, err)
			return
		}
	}
	name, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
	f := ops[name]
	if !ok || f == nil {
		writeError(w, reqID, apiErr(codeUnknownOperation, "unknown operation %q", r.Header.Get("X-Amz-Target")))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxRequestBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, reqID, &APIError{Status: http.StatusRequestEntityTooLarge, Code: codeValidation,
				Message: "request body exceeds " + strconv.FormatInt(s.cfg.MaxRequestBytes, 10) + " bytes"})
			return
		}
		writeError(w, reqID, apiErr(codeSerialization, "reading request body: %s", err.Error()))
		return
	}
	out, err := f(s, r.Context(), body)
	if err != nil {
		ae := asAPIError(err)
		if ae.Status >= 500 {
			s.log.Error("request failed", zap.String("operation", name), zap.String("request_id", reqID), zap.Error(err))
		}
		writeError(w, reqID, ae)
		return
	}
	b, err := json.Marshal(out)
	if err != nil {
		s.log.Error("encode response", zap.String("operation", name), zap.Error(err))
		writeError(w, reqID, asAPIError(err))
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
}

// writeError writes AWS's JSON error shape.
func writeError(w http.ResponseWriter, _ string, err error) {
	ae := asAPIError(err)
	b, _ := json.Marshal(map[string]string{"__type": ae.Code, "message": ae.Message})
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Amzn-Errortype", ae.Code)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(ae.Status)
	_, _ = w.Write(b)
}

// checkSignature requires a SigV4 Authorization header whose credential
// scope is <date>/<Region>/states/aws4_request. The signature itself is
// not verified: any access key is accepted.
func (s *Service) checkSignature(r *http.Request) error {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return &APIError{Status: http.StatusForbidden, Code: codeMissingAuth, Message: "Missing Authentication Token"}
	}
	rest, ok := strings.CutPrefix(auth, "AWS4-HMAC-SHA256 ")
	if !ok {
		return apiErr(codeIncompleteSignature, "Authorization header requires the AWS4-HMAC-SHA256 algorithm. Authorization=%s", auth)
	}
	var cred string
	var hasSigned, hasSig bool
	for part := range strings.SplitSeq(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			cred = v
		case "SignedHeaders":
			hasSigned = v != ""
		case "Signature":
			hasSig = v != ""
		}
	}
	scope := strings.Split(cred, "/")
	if len(scope) != 5 || scope[4] != "aws4_request" || !hasSigned || !hasSig {
		return apiErr(codeIncompleteSignature, "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters. Authorization=%s", auth)
	}
	if scope[2] != s.cfg.Region {
		return &APIError{Status: http.StatusForbidden, Code: codeInvalidSignature,
			Message: "Credential should be scoped to a valid region, not '" + scope[2] + "'. "}
	}
	if scope[3] != "states" {
		return &APIError{Status: http.StatusForbidden, Code: codeInvalidSignature,
			Message: "Credential should be scoped to correct service: 'states'. "}
	}
	return nil
}
