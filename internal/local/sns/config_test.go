package sns

import (
	"strings"
	"testing"

	"github.com/imgflow/imgflow/layers/common/envconfig"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*Config)
		wantErr []string
	}{
		{name: "defaults with a data dir", mutate: func(c *Config) {}},
		{name: "everything wrong", mutate: func(c *Config) {
			c.DataDir, c.Region, c.AccountID, c.Endpoint, c.SMTPAddr, c.From, c.PageSize = "", "mars", "12", "ftp://x", "nope", "Ann <a@b>", 0
		}, wantErr: []string{"DataDir", "Region", "AccountID", "Endpoint", "SMTPAddr", "From", "PageSize"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewDefaultConfig()
			c.DataDir = t.TempDir()
			tt.mutate(c)
			err := c.Validate()
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate accepted a bad config")
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %s: %v", w, err)
				}
			}
		})
	}
}

func TestLoadFromEnv(t *testing.T) {
	c := NewDefaultConfig()
	err := LoadFromEnv(c, envconfig.Map(map[string]string{
		"IMGFLOW_SNS_SMTP_ADDR": "127.0.0.1:1025", "IMGFLOW_SNS_AUTO_CONFIRM": "true", "IMGFLOW_SNS_EMAIL_MAX_ATTEMPTS": "4",
	}))
	if err != nil || c.SMTPAddr != "127.0.0.1:1025" || !c.AutoConfirm || c.EmailMaxAttempts != 4 {
		t.Fatalf("LoadFromEnv = %v, %+v", err, c)
	}
	err = LoadFromEnv(c, envconfig.Map(map[string]string{"IMGFLOW_SNS_AUTO_CONFIRM": "maybe", "IMGFLOW_SNS_HTTP_MAX_ATTEMPTS": "x"}))
	if err == nil || !strings.Contains(err.Error(), "AUTO_CONFIRM") || !strings.Contains(err.Error(), "HTTP_MAX_ATTEMPTS") {
		t.Fatalf("want both bad variables reported, got %v", err)
	}
}
