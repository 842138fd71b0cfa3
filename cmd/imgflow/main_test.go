package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
)

// TestHelpAndUsageErrors checks what a newcomer's first commands do: help
// asked for goes to stdout and exits 0, for imgflow itself and for every
// subcommand; a command line that cannot run goes to stderr and exits 2.
func TestHelpAndUsageErrors(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string // a line the output must contain; "" means none at all
		wantStderr string
	}{
		{"imgflow -h", []string{"-h"}, 0, "commands:", ""},
		{"imgflow --help", []string{"--help"}, 0, "commands:", ""},
		{"imgflow help", []string{"help"}, 0, "commands:", ""},
		{"imgflow help resize", []string{"help", "resize"}, 0, "usage: imgflow resize --out DIR", ""},
		{"imgflow local -h", []string{"local", "-h"}, 0, "usage: imgflow local", ""},
		{"imgflow local --help", []string{"local", "--help"}, 0, "-notification-email", ""},
		{"imgflow upload -h", []string{"upload", "-h"}, 0, "usage: imgflow upload", ""},
		{"imgflow resize -h", []string{"resize", "-h"}, 0, "-presets", ""},
		{"imgflow conformance -h", []string{"conformance", "-h"}, 0, "usage: imgflow conformance", ""},
		{"imgflow resize -help", []string{"resize", "-help"}, 0, "usage: imgflow resize", ""},
		{"no command", nil, 2, "", "commands:"},
		{"unknown command", []string{"bogus"}, 2, "", `unknown command "bogus"`},
		{"help for an unknown command", []string{"help", "bogus"}, 2, "", `unknown command "bogus"`},
		{"unknown flag", []string{"resize", "--bogus"}, 2, "", "flag provided but not defined: -bogus"},
		{"missing argument", []string{"resize", "--out", "x"}, 2, "", "--out and at least one FILE are required"},
		{"upload without files", []string{"upload"}, 2, "", "usage: imgflow upload"},
		{"conformance without a file", []string{"conformance"}, 2, "", "one FILE.jsonl is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			env := func(string) (string, bool) { return "", false }
			err := run(context.Background(), tt.args, &stdout, &stderr, env)
			if got := exitCode(err); got != tt.wantCode {
				t.Fatalf("exit code %d (err %v), want %d\nstdout:\n%s\nstderr:\n%s", got, err, tt.wantCode, &stdout, &stderr)
			}
			if tt.wantStdout == "" && stdout.Len() > 0 {
				t.Errorf("stdout should be empty, got:\n%s", &stdout)
			}
			if !strings.Contains(stdout.String(), tt.wantStdout) {
				t.Errorf("stdout lacks %q:\n%s", tt.wantStdout, &stdout)
			}
			if tt.wantStderr == "" && stderr.Len() > 0 {
				t.Errorf("stderr should be empty, got:\n%s", &stderr)
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantStderr, &stderr)
			}
		})
	}
}

// TestNotificationEmailDefault checks when `imgflow local` subscribes its
// own mailbox: only when the user chose no address in any of the three
// ways, an empty one (for none) included.
func TestNotificationEmailDefault(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		env       map[string]string
		wantGiven bool
	}{
		{"nothing given", nil, nil, false},
		{"--notification-email", []string{"--notification-email", "me@example.com"}, nil, true},
		{"--notification-email empty, for none", []string{"--notification-email="}, nil, true},
		{"IMGFLOW_NOTIFICATION_EMAIL", nil, map[string]string{"IMGFLOW_NOTIFICATION_EMAIL": "me@example.com"}, true},
		{"IMGFLOW_NOTIFICATION_EMAIL empty", nil, map[string]string{"IMGFLOW_NOTIFICATION_EMAIL": ""}, true},
		{"--param NotificationEmail", []string{"--param", "NotificationEmail=me@example.com"}, nil, true},
		{"another flag", []string{"--smtp", "127.0.0.1:1025"}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
			fs := newFlagSet("local", "")
			fs.String("notification-email", "", "")
			fs.String("smtp", "", "")
			params := paramFlag{}
			fs.Var(params, "param", "")
			if err := parseFlags(fs, tt.args, io.Discard, io.Discard); err != nil {
				t.Fatal(err)
			}
			if got := notificationEmailGiven(fs, env, params); got != tt.wantGiven {
				t.Fatalf("given = %v, want %v", got, tt.wantGiven)
			}
		})
	}
}
