package lambda

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/imgflow/imgflow/internal/local/awsid"
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
	mux.HandleFunc("GET /2015-03-31/functions/{name}/configuration", s.signed(s.handleGetConfiguration))
	// Everything else the Lambda API has (CreateFunction, aliases, event
	// source mappings, ...) is refused in AWS's shape, never faked.
	mux.HandleFunc("/", s.signed(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusBadRequest, "UnknownOperationException",
			"imgflow local implements Invoke, ListFunctions, GetFunction and GetFunctionConfiguration; "+r.Method+" "+r.URL.Path+" is not available")
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
	Role             string            `json:"Role,omitempty"`
	Handler          string            `json:"Handler,omitempty"`
	CodeSize         int64             `json:"CodeSize"`
	Timeout          int               `json:"Timeout"`
	MemorySize       int               `json:"MemorySize"`
	LastModified     string            `json:"LastModified,omitempty"`
	Architectures    []string          `json:"Architectures"`
	PackageType      string            `json:"PackageType"`
	State            string            `json:"State"`
	LastUpdateStatus string            `json:"LastUpdateStatus"`
	Version          string            `json:"Version"`
	Environment      *environmentShape `json:"Environment,omitempty"`
	Layers           []layerShape      `json:"Layers,omitempty"`
}

type environmentShape struct {
	Variables map[string]string `json:"Variables"`
}

type layerShape struct {
	Arn      string `json:"Arn"`
	CodeSize int64  `json:"CodeSize"`
}

// lastModifiedLayout is how Lambda writes LastModified: ISO 8601 with
// milliseconds and a +0000 offset.
const lastModifiedLayout = "2006-01-02T15:04:05.000-0700"

// configuration describes version of f; a qualified request gets the
// qualified ARN back, as from Lambda.
func configuration(f Function, version string, qualified bool) functionConfiguration {
	c := functionConfiguration{
		FunctionName: f.Name, FunctionArn: f.ARN, Runtime: f.Runtime, Role: f.Role, Handler: f.Handler,
		CodeSize: f.CodeSize, Timeout: int(f.Timeout.Seconds()), MemorySize: f.MemoryMB, Architectures: []string{"arm64"},
		PackageType: "Zip", State: "Active", LastUpdateStatus: "Successful", Version: version,
	}
	if qualified {
		c.FunctionArn += ":" + version
	}
	if !f.LastModified.IsZero() {
		c.LastModified = f.LastModified.UTC().Format(lastModifiedLayout)
	}
	if len(f.Environment) > 0 {
		c.Environment = &environmentShape{Variables: f.Environment}
	}
	for _, l := range f.Layers {
		c.Layers = append(c.Layers, layerShape{Arn: l.ARN, CodeSize: l.CodeSize})
	}
	return c
}

// target is the function a request names: the path's name or ARN, and the
// Qualifier parameter, which must agree with a qualifier in the name.
func (s *Service) target(w http.ResponseWriter, r *http.Request) (fn *function, version, nameOrARN string, ok bool) {
	nameOrARN = r.PathValue("name")
	if q := r.URL.Query().Get("Qualifier"); q != "" {
		if _, inName := splitQualifier(nameOrARN); inName != "" {
			if inName != q {
				writeError(w, http.StatusBadRequest, "InvalidParameterValueException",
					"The derived qualifier from the function name does not match the specified qualifier.")
				return nil, "", "", false
			}
		} else {
			nameOrARN += ":" + q
		}
	}
	fn, version, err := s.lookup(nameOrARN)
	if err != nil {
		writeError(w, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+s.qualifiedARN(nameOrARN))
		return nil, "", "", false
	}
	return fn, version, nameOrARN, true
}

// qualifiedARN names what was not found as Lambda's message does: the full
// ARN with the qualifier asked for.
func (s *Service) qualifiedARN(nameOrARN string) string {
	if strings.HasPrefix(nameOrARN, "arn:") {
		return nameOrARN
	}
	return awsid.FunctionARN(s.cfg.Region, s.cfg.AccountID, nameOrARN)
}

func (s *Service) handleInvoke(w http.ResponseWriter, r *http.Request) {
	_, _, name, ok := s.target(w, r)
	if !ok {
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
	logType := r.Header.Get("X-Amz-Log-Type")
	switch logType {
	case "", "None", "Tail":
	default:
		writeError(w, http.StatusBadRequest, "InvalidParameterValueException", "Unsupported log type "+strconv.Quote(logType))
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
		if logType == "Tail" {
			w.Header().Set("X-Amz-Log-Result", base64.StdEncoding.EncodeToString(resp.LogTail))
		}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(resp.Payload)
	case "Event":
		// Lambda refuses LogType=Tail for asynchronous invocations only by
		// ignoring it; so does this.
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

// listPageSize is how many functions ListFunctions returns without
// MaxItems, as Lambda does; MaxItems may ask for up to 10,000.
const (
	listPageSize = 50
	listMaxItems = 10000
)

// handleList pages through the functions in name order. The marker is the
// opaque position of the next page (base64 of the first name on it).
func (s *Service) handleList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := listPageSize
	if v := q.Get("MaxItems"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > listMaxItems {
			writeError(w, http.StatusBadRequest, "InvalidParameterValueException",
				fmt.Sprintf("1 validation error detected: Value '%s' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and %d", v, listMaxItems))
			return
		}
		limit = n
	}
	var entries []functionConfiguration
	all := q.Get("FunctionVersion") == "ALL"
	for _, f := range s.Functions() {
		entries = append(entries, configuration(f, "$LATEST", false))
		if all {
			for _, v := range f.versions() {
				entries = append(entries, configuration(f, v, true))
			}
		}
	}
	start := 0
	if m := q.Get("Marker"); m != "" {
		key, err := base64.RawURLEncoding.DecodeString(m)
		start = slices.IndexFunc(entries, func(c functionConfiguration) bool { return c.FunctionArn == string(key) })
		if err != nil || start < 0 {
			writeError(w, http.StatusBadRequest, "InvalidParameterValueException", "Invalid Marker: "+m)
			return
		}
	}
	out := struct {
		Functions  []functionConfiguration `json:"Functions"`
		NextMarker string                  `json:"NextMarker,omitempty"`
	}{Functions: []functionConfiguration{}}
	end := min(start+limit, len(entries))
	out.Functions = append(out.Functions, entries[start:end]...)
	if end < len(entries) {
		out.NextMarker = base64.RawURLEncoding.EncodeToString([]byte(entries[end].FunctionArn))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Service) handleGet(w http.ResponseWriter, r *http.Request) {
	fn, version, name, ok := s.target(w, r)
	if !ok {
		return
	}
	_, qualifier := splitQualifier(name)
	writeJSON(w, http.StatusOK, map[string]any{
		"Configuration": configuration(fn.cfg, version, qualifier != ""),
		"Code":          map[string]string{"RepositoryType": "S3"},
		"Tags":          map[string]string{},
	})
}

func (s *Service) handleGetConfiguration(w http.ResponseWriter, r *http.Request) {
	fn, version, name, ok := s.target(w, r)
	if !ok {
		return
	}
	_, qualifier := splitQualifier(name)
	writeJSON(w, http.StatusOK, configuration(fn.cfg, version, qualifier != ""))
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
