package lambda

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/imgflow/imgflow/internal/local/sigv4"
)

// maxPayload is Lambda's synchronous request payload limit.
const maxPayload = 6 << 20

// Routes registers the Lambda API (2015-03-31) on mux. Requests must be
// SigV4-signed for the service's region (any credentials).
func (s *Service) Routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /2015-03-31/functions/{name}/invocations", s.signed(s.handleInvoke))
	mux.HandleFunc("GET /2015-03-31/functions/{$}", s.signed(s.handleList))
	mux.HandleFunc("GET /2015-03-31/functions", s.signed(s.handleList)) // botocore's path
	mux.HandleFunc("GET /2015-03-31/functions/{name}", s.signed(s.handleGet))
	// Everything else the Lambda API has (CreateFunction, aliases, event
	// source mappings, ...) is refused in AWS's shape, never faked.
	mux.HandleFunc("/", s.signed(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusBadRequest, "UnknownOperationException",
			"imgflow local implements Invoke, ListFunctions and GetFunction; "+r.Method+" "+r.URL.Path+" is not available")
	}))
}

// signed refuses requests not signed for this region, as Lambda does.
func (s *Service) signed(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, err := sigv4.Check(r, s.cfg.Region, "lambda", s.cfg.Now()); err != nil {
			var ae *sigv4.AuthError
			if errors.As(err, &ae) && ae.Code == "AccessDenied" {
				writeError(w, http.StatusForbidden, "MissingAuthenticationTokenException", "Missing Authentication Token")
				return
			}
			writeError(w, http.StatusForbidden, "InvalidSignatureException", err.Error())
			return
		}
		next(w, r)
	}
}

// functionConfiguration is the API's FunctionConfiguration shape.
type functionConfiguration struct {
	FunctionName     string            `json:"FunctionName"`
	FunctionArn      string            `json:"FunctionArn"`
	Runtime          string            `json:"Runtime,omitempty"`
	Handler          string            `json:"Handler,omitempty"`
	Timeout          int               `json:"Timeout"`
	MemorySize       int               `json:"MemorySize"`
	Architectures    []string          `json:"Architectures"`
	PackageType      string            `json:"PackageType"`
	State            string            `json:"State"`
	LastUpdateStatus string            `json:"LastUpdateStatus"`
	Version          string            `json:"Version"`
	Environment      *environmentShape `json:"Environment,omitempty"`
}

type environmentShape struct {
	Variables map[string]string `json:"Variables"`
}

func configuration(f Function) functionConfiguration {
	c := functionConfiguration{
		FunctionName: f.Name, FunctionArn: f.ARN, Runtime: f.Runtime, Handler: f.Handler,
		Timeout: int(f.Timeout.Seconds()), MemorySize: f.MemoryMB, Architectures: []string{"arm64"},
		PackageType: "Zip", State: "Active", LastUpdateStatus: "Successful", Version: "$LATEST",
	}
	if len(f.Environment) > 0 {
		c.Environment = &environmentShape{Variables: f.Environment}
	}
	return c
}

func (s *Service) handleInvoke(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if _, err := s.lookup(name); err != nil {
		writeError(w, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+name)
		return
	}
	payload, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxPayload+1))
	if err != nil || len(payload) > maxPayload {
		writeError(w, http.StatusRequestEntityTooLarge, "RequestTooLargeException", "Request must be smaller than 6291456 bytes for the InvokeFunction operation")
		return
	}
	if len(payload) == 0 {
		payload = []byte("{}")
	}
	if !json.Valid(payload) {
		writeError(w, http.StatusBadRequest, "InvalidRequestContentException", "Could not parse request body into json")
		return
	}
	switch typ := r.Header.Get("X-Amz-Invocation-Type"); typ {
	case "", "RequestResponse":
		resp, err := s.Invoke(r.Context(), name, payload)
		if err != nil {
			writeError(w, http.StatusTooManyRequests, "TooManyRequestsException", err.Error())
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amz-Executed-Version", resp.ExecutedVersion)
		w.Header().Set("X-Amzn-Requestid", resp.RequestID)
		if resp.FunctionError != "" {
			w.Header().Set("X-Amz-Function-Error", resp.FunctionError)
		}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(resp.Payload)
	case "Event":
		id, err := s.InvokeAsync(r.Context(), name, payload)
		if err != nil {
			writeError(w, http.StatusServiceUnavailable, "ServiceException", err.Error())
			return
		}
		w.Header().Set("X-Amzn-Requestid", id)
		w.WriteHeader(http.StatusAccepted)
	case "DryRun":
		w.WriteHeader(http.StatusNoContent)
	default:
		writeError(w, http.StatusBadRequest, "InvalidParameterValueException", "Unsupported invocation type "+strconv.Quote(typ))
	}
}

func (s *Service) handleList(w http.ResponseWriter, _ *http.Request) {
	out := struct {
		Functions []functionConfiguration `json:"Functions"`
	}{Functions: []functionConfiguration{}}
	for _, f := range s.Functions() {
		out.Functions = append(out.Functions, configuration(f))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Service) handleGet(w http.ResponseWriter, r *http.Request) {
	fn, err := s.lookup(r.PathValue("name"))
	if errors.Is(err, ErrNotFound) {
		writeError(w, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+r.PathValue("name"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"Configuration": configuration(fn.cfg),
		"Code":          map[string]string{"RepositoryType": "S3"},
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers in the REST-JSON error shape the SDKs parse.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("X-Amzn-Errortype", code)
	writeJSON(w, status, map[string]string{"Type": "User", "message": msg})
}
