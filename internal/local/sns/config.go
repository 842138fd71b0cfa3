package sns

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/imgflow/imgflow/layers/common/envconfig"
)

// Config configures the local SNS.
type Config struct {
	// DataDir is the directory the service owns (e.g. <data>/sns).
	DataDir   string
	Region    string
	AccountID string
	// Endpoint is the public base URL of the local endpoint, used in
	// confirmation and unsubscribe links (no trailing slash needed).
	Endpoint string
	// SMTPAddr (host:port) receives email deliveries over plain SMTP; when
	// empty, emails go to the mailbox under DataDir.
	SMTPAddr string
	// From is the envelope and header sender of emails.
	From string
	// AutoConfirm confirms new subscriptions at once, without a
	// confirmation message.
	AutoConfirm bool
	// ConfirmedEndpoints are email addresses subscribed already confirmed,
	// with no confirmation message: the local stack's own mailbox, which
	// nobody would open a link for.
	ConfirmedEndpoints []string

	PageSize                int           // ListTopics/ListSubscriptions page (SNS: 100)
	MaxBodyBytes            int64         // request body cap
	MaxConcurrentDeliveries int           // deliveries in flight at once
	EmailMaxAttempts        int           // tries per email delivery
	HTTPMaxAttempts         int           // tries per http/https delivery
	RetryBaseDelay          time.Duration // first backoff; doubles per try
	RetryMaxDelay           time.Duration // backoff cap
	HTTPTimeout             time.Duration // per http attempt (SNS: 15s)
	SMTPTimeout             time.Duration // per SMTP transaction
	TokenTTL                time.Duration // confirmation token lifetime (SNS: 3 days)
	MaxLogEntries           int           // finished deliveries kept in the log
}

// NewDefaultConfig returns the defaults; DataDir must still be set.
func NewDefaultConfig() *Config {
	return &Config{
		Region:                  "us-east-1",
		AccountID:               "000000000000",
		Endpoint:                "http://127.0.0.1:4566",
		From:                    "no-reply@sns.imgflow.localhost",
		PageSize:                100,
		MaxBodyBytes:            1 << 20,
		MaxConcurrentDeliveries: 8,
		EmailMaxAttempts:        3,
		HTTPMaxAttempts:         5,
		RetryBaseDelay:          time.Second,
		RetryMaxDelay:           20 * time.Second,
		HTTPTimeout:             15 * time.Second,
		SMTPTimeout:             30 * time.Second,
		TokenTTL:                72 * time.Hour,
		MaxLogEntries:           1000,
	}
}

// LoadFromEnv overrides cfg with IMGFLOW_SNS_* variables, reporting every
// bad one at once. Only cmd/ passes os.LookupEnv.
func LoadFromEnv(cfg *Config, lookup envconfig.LookupFunc) error {
	r := envconfig.NewReader(lookup)
	r.String("IMGFLOW_SNS_DATA_DIR", &cfg.DataDir)
	r.String("IMGFLOW_SNS_REGION", &cfg.Region)
	r.String("IMGFLOW_SNS_ACCOUNT_ID", &cfg.AccountID)
	r.String("IMGFLOW_SNS_ENDPOINT", &cfg.Endpoint)
	r.String("IMGFLOW_SNS_SMTP_ADDR", &cfg.SMTPAddr)
	r.String("IMGFLOW_SNS_FROM", &cfg.From)
	var emailTries, httpTries int64 = int64(cfg.EmailMaxAttempts), int64(cfg.HTTPMaxAttempts)
	r.Int64("IMGFLOW_SNS_EMAIL_MAX_ATTEMPTS", &emailTries)
	r.Int64("IMGFLOW_SNS_HTTP_MAX_ATTEMPTS", &httpTries)
	cfg.EmailMaxAttempts, cfg.HTTPMaxAttempts = int(emailTries), int(httpTries)
	errs := []error{r.Err()}
	if v, ok := lookup("IMGFLOW_SNS_AUTO_CONFIRM"); ok && strings.TrimSpace(v) != "" {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			errs = append(errs, fmt.Errorf("IMGFLOW_SNS_AUTO_CONFIRM: %q is not a boolean", v))
		} else {
			cfg.AutoConfirm = b
		}
	}
	return errors.Join(errs...)
}

var (
	regionRE  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d+$`)
	accountRE = regexp.MustCompile(`^\d{12}$`)
)

// Validate reports every bad setting.
func (c *Config) Validate() error {
	var errs []error
	if c.DataDir == "" {
		errs = append(errs, errors.New("DataDir is not set"))
	}
	if !regionRE.MatchString(c.Region) {
		errs = append(errs, fmt.Errorf("Region %q is not a region name", c.Region))
	}
	if !accountRE.MatchString(c.AccountID) {
		errs = append(errs, fmt.Errorf("AccountID %q is not 12 digits", c.AccountID))
	}
	if u, err := url.Parse(c.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("Endpoint %q is not an absolute http(s) URL", c.Endpoint))
	}
	if c.SMTPAddr != "" {
		if _, port, err := net.SplitHostPort(c.SMTPAddr); err != nil || port == "" {
			errs = append(errs, fmt.Errorf("SMTPAddr %q is not host:port", c.SMTPAddr))
		}
	}
	if a, err := mail.ParseAddress(c.From); err != nil || a.Name != "" {
		errs = append(errs, fmt.Errorf("From %q is not a bare email address", c.From))
	}
	positive := []struct {
		name string
		v    int64
	}{
		{"PageSize", int64(c.PageSize)}, {"MaxBodyBytes", c.MaxBodyBytes},
		{"MaxConcurrentDeliveries", int64(c.MaxConcurrentDeliveries)},
		{"EmailMaxAttempts", int64(c.EmailMaxAttempts)}, {"HTTPMaxAttempts", int64(c.HTTPMaxAttempts)},
		{"RetryBaseDelay", int64(c.RetryBaseDelay)}, {"RetryMaxDelay", int64(c.RetryMaxDelay)},
		{"HTTPTimeout", int64(c.HTTPTimeout)}, {"SMTPTimeout", int64(c.SMTPTimeout)},
		{"TokenTTL", int64(c.TokenTTL)}, {"MaxLogEntries", int64(c.MaxLogEntries)},
	}
	for _, p := range positive {
		if p.v <= 0 {
			errs = append(errs, fmt.Errorf("%s must be positive, got %d", p.name, p.v))
		}
	}
	return errors.Join(errs...)
}

// endpointURL joins the public endpoint with query pairs, kept in the
// order given (SNS's links read Action, TopicArn, Token).
func (c *Config) endpointURL(pairs ...string) string {
	var b strings.Builder
	b.WriteString(strings.TrimRight(c.Endpoint, "/") + "/?")
	for i := 0; i+1 < len(pairs); i += 2 {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(pairs[i]) + "=" + url.QueryEscape(pairs[i+1]))
	}
	return b.String()
}
