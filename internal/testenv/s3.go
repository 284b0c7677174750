package testenv

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// S3 is a real S3-compatible server, SeaweedFS, listening on loopback with
// its own credentials: what a practice's bucket looks like to Portico.
type S3 struct {
	Endpoint  string // http://127.0.0.1:PORT
	AccessKey string
	SecretKey string
	Region    string

	t      testing.TB
	client *s3.Client
}

// StartS3 runs `weed server -s3` on a fresh folder for the test and stops
// it at the end. weed comes from .ci/run (built from the Go module proxy);
// a developer's machine without it skips, and CI fails.
func StartS3(t testing.TB) *S3 {
	t.Helper()
	weed := weedBinary(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(data, 0o700); err != nil {
		t.Fatal(err)
	}
	s := &S3{AccessKey: "portico-test", SecretKey: "portico-test-secret-key", Region: "us-east-1", t: t}
	config := filepath.Join(dir, "s3.json")
	identities := fmt.Sprintf(`{"identities":[{"name":"portico","credentials":[{"accessKey":%q,"secretKey":%q}],"actions":["Admin","Read","Write","List","Tagging"]}]}`, s.AccessKey, s.SecretKey)
	if err := os.WriteFile(config, []byte(identities), 0o600); err != nil {
		t.Fatal(err)
	}

	// weed takes no port 0: each server gets a port the kernel just gave
	// out, and gRPC its own beside it.
	ports := freePorts(t, 8)
	port := func(i int) string { return strconv.Itoa(ports[i]) }
	cmd := exec.Command(weed, "server", "-dir="+data, "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
		"-master.port="+port(0), "-master.port.grpc="+port(1), "-master.volumeSizeLimitMB=64",
		"-volume.port="+port(2), "-volume.port.grpc="+port(3), "-volume.max=30",
		"-filer", "-filer.port="+port(4), "-filer.port.grpc="+port(5),
		"-s3", "-s3.port="+port(6), "-s3.port.grpc="+port(7), "-s3.port.iceberg=0", "-s3.port.lance=0",
		"-s3.config="+config)
	logFile, err := os.Create(filepath.Join(dir, "weed.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	log := func() string { raw, _ := os.ReadFile(logFile.Name()); return string(raw) }
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})

	s.Endpoint = "http://127.0.0.1:" + port(6)
	s.client = s3.New(s3.Options{
		BaseEndpoint: aws.String(s.Endpoint),
		Region:       s.Region,
		Credentials:  credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, ""),
		UsePathStyle: true,
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		// Any S3 answer, even "access denied" to an unsigned request,
		// means the gateway is up; the bucket then proves the filer is.
		resp, err := http.Get(s.Endpoint)
		if err == nil {
			resp.Body.Close()
			if _, err = s.client.ListBuckets(context.Background(), &s3.ListBucketsInput{}); err == nil {
				return s
			}
		}
		select {
		case <-exited:
			t.Fatalf("weed exited while starting:\n%s", log())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("weed's S3 gateway did not answer within 60s (%v):\n%s", err, log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// weedBinary finds SeaweedFS's weed on PATH or in GOPATH/bin.
func weedBinary(t testing.TB) string {
	if path, err := exec.LookPath("weed"); err == nil {
		return path
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		path := filepath.Join(string(bytes.TrimSpace(out)), "bin", "weed")
		if _, err := os.Stat(path); err == nil {
			return path
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("SeaweedFS's weed is not installed (.ci/run builds it): CI must run the S3 backup tests")
	}
	t.Skip("SeaweedFS's weed is not installed; .ci/run builds it")
	return ""
}

// freePorts returns n loopback ports free at this moment.
func freePorts(t TB, n int) []int {
	t.Helper()
	var ports []int
	var listeners []net.Listener
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		listeners = append(listeners, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range listeners {
		l.Close()
	}
	return ports
}

// CreateBucket makes a bucket for one test.
func (s *S3) CreateBucket(name string) {
	s.t.Helper()
	if _, err := s.client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		s.t.Fatalf("creating bucket %s: %v", name, err)
	}
}

// ReplicaURL is PORTICO_REPLICA_URL for path in bucket.
func (s *S3) ReplicaURL(bucket, path string) string {
	return fmt.Sprintf("s3://%s/%s?endpoint=%s&region=%s&forcePathStyle=true", bucket, path, s.Endpoint, s.Region)
}

// SetEnv gives this test process, and the portico processes it starts,
// the bucket's credentials. It also clears AWS_CA_BUNDLE: the AWS SDK
// cannot add it to the HTTP client Litestream brings, and refuses to start
// ("unable to add custom RootCAs").
func (s *S3) SetEnv(t testing.TB) {
	t.Setenv("AWS_ACCESS_KEY_ID", s.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", s.SecretKey)
	t.Setenv("AWS_CA_BUNDLE", "")
	os.Unsetenv("AWS_CA_BUNDLE")
}

// Objects returns every object of bucket by key, as whoever holds the
// bucket would read it.
func (s *S3) Objects(bucket string) map[string][]byte {
	s.t.Helper()
	ctx := context.Background()
	objects := map[string][]byte{}
	pages := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			s.t.Fatalf("listing bucket %s: %v", bucket, err)
		}
		for _, o := range page.Contents {
			got, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: o.Key})
			if err != nil {
				s.t.Fatalf("reading %s: %v", *o.Key, err)
			}
			body, err := io.ReadAll(got.Body)
			got.Body.Close()
			if err != nil {
				s.t.Fatalf("reading %s: %v", *o.Key, err)
			}
			objects[*o.Key] = body
		}
	}
	return objects
}
