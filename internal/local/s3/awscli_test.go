package s3

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestAWSCLI drives the service with Debian's aws CLI (apt-get install
// awscli). A 20 MiB upload makes "s3 cp" use multipart (8 MiB parts).
func TestAWSCLI(t *testing.T) {
	const cli = "/usr/bin/aws"
	if _, err := os.Stat(cli); err != nil {
		t.Skip("aws CLI not installed at /usr/bin/aws")
	}
	if testing.Short() {
		t.Skip("slow: runs the aws CLI")
	}
	e := newEnv(t, envOpts{cfg: func(c *Config) { c.MinPartSize = 5 << 20 }})
	mustCreateBucket(t, e, "cli", false)
	tmp := t.TempDir()
	run := func(args ...string) []byte {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, cli, append([]string{"--endpoint-url", e.srv.URL, "--no-cli-pager"}, args...)...)
		cmd.Env = []string{
			"PATH=/usr/bin:/bin", "HOME=" + tmp,
			"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_DEFAULT_REGION=" + testRegion,
			"AWS_CONFIG_FILE=" + filepath.Join(tmp, "none"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(tmp, "none"),
			"AWS_EC2_METADATA_DISABLED=true",
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return out
	}
	data := make([]byte, 20<<20)
	for i := range data {
		data[i] = byte(i * 7)
	}
	src := filepath.Join(tmp, "big.bin")
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	run("s3", "cp", src, "s3://cli/dir/big file.bin")

	var head struct {
		ContentLength int64
		ETag          string
	}
	if err := json.Unmarshal(run("s3api", "head-object", "--bucket", "cli", "--key", "dir/big file.bin"), &head); err != nil {
		t.Fatalf("head-object output: %v", err)
	}
	if head.ContentLength != int64(len(data)) || !strings.HasSuffix(head.ETag, `-3"`) {
		t.Errorf("head-object = %+v, want %d bytes and a 3-part ETag", head, len(data))
	}
	dst := filepath.Join(tmp, "back.bin")
	run("s3", "cp", "s3://cli/dir/big file.bin", dst)
	got, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Errorf("downloaded %d bytes differ from uploaded", len(got))
	}
	if ls := run("s3", "ls", "s3://cli/dir/"); !strings.Contains(string(ls), "big file.bin") {
		t.Errorf("s3 ls = %s", ls)
	}
}
