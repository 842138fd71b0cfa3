package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// python3 is Debian's interpreter, which has python3-boto3 (make test
// installs it); a virtualenv's python on PATH might not.
const python3 = "/usr/bin/python3"

// TestBoto3Suite runs tests/boto3/suite.py, a third real client beside the
// aws CLI and the Go SDK, against its own `imgflow local`. Each of its
// checks is AWS's documented behaviour for an S3, Lambda, Step Functions or
// SNS call an application makes.
func TestBoto3Suite(t *testing.T) {
	if testing.Short() {
		t.Skip("boto3 suite: skipped with -short")
	}
	if err := exec.Command(python3, "-c", "import boto3").Run(); err != nil {
		t.Skip("needs Debian's python3-boto3 (make test installs it)")
	}
	e := &e2e{t: t, data: t.TempDir(), repo: repoRoot(t)}
	e.bin = buildImgflow(t)
	e.args = []string{"local", "--data", e.data, "--endpoint", "127.0.0.1:0", "--console", "127.0.0.1:0"}
	e.start()
	t.Cleanup(e.stop)

	photo := e.writeFile("boto3-photo.jpg", noisyPhoto(640, 480, 7))
	// -W: botocore leaves pooled sockets to the garbage collector, which
	// unittest would report as a warning per test.
	cmd := exec.Command(python3, "-W", "ignore::ResourceWarning", filepath.Join(e.repo, "tests", "boto3", "suite.py"), "-v")
	cmd.Env = append(os.Environ(),
		"IMGFLOW_ENDPOINT="+e.sf.Endpoint,
		"AWS_DEFAULT_REGION="+e.sf.Region,
		"AWS_ACCESS_KEY_ID=boto3", "AWS_SECRET_ACCESS_KEY=boto3",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"IMGFLOW_UPLOAD_BUCKET="+e.upload,
		"IMGFLOW_UPLOAD_PREFIX="+e.sf.Params["UploadPrefix"],
		"IMGFLOW_OUTPUT_BUCKET="+e.output,
		"IMGFLOW_STATE_MACHINE="+e.sm,
		"IMGFLOW_PHOTO="+photo,
	)
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("boto3 suite failed: %v", err)
	}
}
