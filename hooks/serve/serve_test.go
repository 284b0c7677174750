package serve_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"portico/internal/testenv"
	_ "portico/pb_migrations"
)

const portalDomain = "portal.test"

func TestAutomaticHTTPSFromACME(t *testing.T) {
	binary := testenv.BuildPortico(t)
	httpAddr, httpsAddr := testenv.FreeAddr(t), testenv.FreeAddr(t)
	ca := testenv.StartPebble(t, httpAddr, httpsAddr)
	dir := seededDataDir(t)
	serve := []string{"serve", "--dir", dir,
		"--domain", portalDomain, "--acme-email", "staff@" + portalDomain,
		"--acme-ca", ca.Directory, "--acme-ca-root", ca.ServerRootFile,
		"--http", httpAddr, "--https", httpsAddr}

	portico := testenv.StartPortico(t, binary, serve...)
	first := certificate(portico, httpsAddr, ca.IssuerRoots)
	if !bytes.Equal(first.RawIssuer, ca.Intermediate.RawSubject) && !bytes.Equal(first.RawIssuer, ca.Root.RawSubject) {
		t.Errorf("certificate issued by %s; want Pebble's chain (%s)", first.Issuer, ca.Intermediate.Subject)
	}
	if err := first.VerifyHostname(portalDomain); err != nil {
		t.Errorf("certificate is not for %s: %v", portalDomain, err)
	}

	client := clientFor(httpAddr, httpsAddr, ca.IssuerRoots)
	page := get(t, client, "https://"+portalDomain+"/")
	if page.StatusCode != http.StatusOK {
		t.Errorf("GET https://%s/: %s; want 200", portalDomain, page.Status)
	}
	if hsts := page.Header.Get("Strict-Transport-Security"); !strings.HasPrefix(hsts, "max-age=") {
		t.Errorf("HTTPS page has Strict-Transport-Security %q; want max-age=…", hsts)
	}
	if csp := page.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("HTTPS page has Content-Security-Policy %q; want frame-ancestors 'none'", csp)
	}

	plain := get(t, client, "http://"+portalDomain+"/s/abc?x=1")
	wantLocation := "https://" + portalDomain + ":" + port(httpsAddr) + "/s/abc?x=1"
	if plain.StatusCode != http.StatusPermanentRedirect || plain.Header.Get("Location") != wantLocation {
		t.Errorf("plain HTTP answered %s to %q; want 308 to %s", plain.Status, plain.Header.Get("Location"), wantLocation)
	}
	portico.Stop()

	if got := appURL(t, dir); got != "https://"+portalDomain {
		t.Errorf("Application URL for mailed links is %q; want https://%s", got, portalDomain)
	}

	// With the CA gone, only the stored certificate can answer.
	ca.Stop()
	portico = testenv.StartPortico(t, binary, serve...)
	again := certificate(portico, httpsAddr, ca.IssuerRoots)
	if again.SerialNumber.Cmp(first.SerialNumber) != 0 {
		t.Errorf("after a restart the portal serves certificate %x; want the stored %x", again.SerialNumber, first.SerialNumber)
	}
	portico.Stop()
}

// TestEachACMEChallengeAlone closes the port Pebble would use for the other
// challenge, so the certificate can only come through the one named.
func TestEachACMEChallengeAlone(t *testing.T) {
	binary := testenv.BuildPortico(t)
	for _, challenge := range []string{"http-01", "tls-alpn-01"} {
		t.Run(challenge, func(t *testing.T) {
			httpAddr, httpsAddr := testenv.FreeAddr(t), testenv.FreeAddr(t)
			pebbleHTTP, pebbleTLS := httpAddr, httpsAddr
			if challenge == "http-01" {
				pebbleTLS = testenv.FreeAddr(t)
			} else {
				pebbleHTTP = testenv.FreeAddr(t)
			}
			ca := testenv.StartPebble(t, pebbleHTTP, pebbleTLS)
			// PocketBase's positional domain works like --domain.
			portico := testenv.StartPortico(t, binary, "serve", portalDomain, "--dir", seededDataDir(t),
				"--acme-ca", ca.Directory, "--acme-ca-root", ca.ServerRootFile,
				"--http", httpAddr, "--https", httpsAddr)
			certificate(portico, httpsAddr, ca.IssuerRoots)
		})
	}
}

func TestServeSaysWhatIsWrong(t *testing.T) {
	binary := testenv.BuildPortico(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Close() }) // the parallel cases run after this function returns
	nobodyListens := testenv.FreeAddr(t)

	cases := []struct {
		name string
		// args come after serve's --dir and a loopback --http
		args []string
		// dataDir, if set, is the --dir to give instead of a good data dir
		dataDir func(good string) string
		// unreadable makes the data dir unreadable to the portico process
		unreadable bool
		want       string // the whole output; {dir} is the data dir
	}{
		{name: "unknown flag", args: []string{"--bogus"}, want: "unknown flag: --bogus"},
		{name: "domain flag without a value", args: []string{"--domain"}, want: "flag needs an argument: --domain"},
		{name: "domain with a scheme", args: []string{"--domain", "https://" + portalDomain},
			want: `--domain "https://portal.test": want a DNS name such as portal.example.com (no scheme, port, path or wildcard)`},
		{name: "CA flag without a domain", args: []string{"--acme-ca", "https://ca.test/dir"},
			want: "--acme-ca needs --domain: automatic HTTPS is off without the portal's DNS name"},
		{name: "HTTPS address without a domain", args: []string{"--https", "0.0.0.0:443"},
			want: "--https needs --domain: automatic HTTPS is off without the portal's DNS name"},
		{name: "CA root file missing", args: []string{"--domain", portalDomain, "--https", testenv.FreeAddr(t), "--acme-ca-root", "/nonexistent/root.pem"},
			want: "--acme-ca-root: open /nonexistent/root.pem: no such file or directory"},
		{name: "HTTPS port in use", args: []string{"--domain", portalDomain, "--https", busy.Addr().String()},
			want: "--https " + busy.Addr().String() + ": the port is already in use by another program"},
		{name: "CA unreachable", args: []string{"--domain", portalDomain, "--https", testenv.FreeAddr(t), "--acme-ca", "https://" + nobodyListens + "/dir"},
			want: "cannot reach the certificate authority at https://" + nobodyListens + "/dir: dial tcp " + nobodyListens + ": connect: connection refused"},
		{name: "data dir is a file", dataDir: func(good string) string { return filepath.Join(good, "data.db") },
			want: "cannot use the data dir: open {dir}: not a directory"},
		{name: "data dir unreadable", unreadable: true,
			want: "cannot use the data dir: open {dir}: permission denied"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := seededDataDir(t)
			before := snapshot(t, dir)
			dataDir := dir
			if c.dataDir != nil {
				dataDir = c.dataDir(dir)
			}

			args := append([]string{"serve", "--dir", dataDir, "--http", testenv.FreeAddr(t)}, c.args...)
			cmd := exec.Command(binary, args...)
			if c.unreadable {
				if err := os.Chmod(dir, 0); err != nil {
					t.Fatal(err)
				}
				if os.Geteuid() == 0 {
					// root reads anything: run as nobody, as a service user would.
					cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
				}
			}
			out, err := cmd.CombinedOutput()
			os.Chmod(dir, 0o700)
			if err == nil {
				t.Fatalf("portico %s exited 0; want a failure saying %q\n%s", strings.Join(args, " "), c.want, out)
			}

			// One line, dated by log.Fatal: "2006/01/02 15:04:05 " and the message.
			said := strings.TrimSpace(string(out))
			want := strings.ReplaceAll(c.want, "{dir}", dataDir)
			if strings.Contains(said, "\n") || len(said) < 20 || said[20:] != want {
				t.Errorf("portico %s said\n%s\nwant the one line %q", strings.Join(c.args, " "), said, want)
			}
			if after := snapshot(t, dir); after != before {
				t.Errorf("the failed start changed the data dir:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

// certificate waits for the portal's HTTPS to present a certificate that
// chains to roots, and returns it.
func certificate(p *testenv.Process, httpsAddr string, roots *x509.CertPool) *x509.Certificate {
	p.T.Helper()
	deadline := time.Now().Add(40 * time.Second)
	for {
		conn, err := tls.Dial("tcp", httpsAddr, &tls.Config{ServerName: portalDomain, RootCAs: roots})
		if err == nil {
			defer conn.Close()
			return conn.ConnectionState().PeerCertificates[0]
		}
		select {
		case <-p.Exited:
			p.T.Fatalf("portico exited before serving HTTPS:\n%s", p.Output)
		default:
		}
		if time.Now().After(deadline) {
			p.T.Fatalf("no valid certificate for %s within 40s (last error: %v); portico said:\n%s", portalDomain, err, p.Output)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// clientFor reaches the portal's name on the test's loopback ports, as DNS
// would on a real server, without following redirects.
func clientFor(httpAddr, httpsAddr string, roots *x509.CertPool) *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: roots},
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				if port(addr) == "443" {
					return dialer.DialContext(ctx, network, httpsAddr)
				}
				return dialer.DialContext(ctx, network, httpAddr)
			},
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func get(t *testing.T, client *http.Client, url string) *http.Response {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// seededDataDir is a data dir as a practice has it after its first days:
// migrated, with a superuser, so serve neither migrates nor offers the
// installer.
func seededDataDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	app := testenv.OpenDir(t, dir)
	defer testenv.Close(app)
	if err := app.RunAllMigrations(); err != nil {
		t.Fatal(err)
	}
	superusers, err := app.FindCollectionByNameOrId(core.CollectionNameSuperusers)
	if err != nil {
		t.Fatal(err)
	}
	staff := core.NewRecord(superusers)
	staff.SetEmail("staff@" + portalDomain)
	staff.SetPassword("correct horse battery staple")
	if err := app.Save(staff); err != nil {
		t.Fatal(err)
	}
	return dir
}

// appURL is the Application URL stored in dir's settings.
func appURL(t *testing.T, dir string) string {
	t.Helper()
	app := testenv.OpenDir(t, dir)
	defer testenv.Close(app)
	return app.Settings().Meta.AppURL
}

// snapshot is every file under dir with its SHA-256, in one string.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		content, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(content)
		rel, _ := filepath.Rel(dir, path)
		files = append(files, rel+"="+hex.EncodeToString(sum[:4]))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(files, " ")
}

func port(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	if p == "" {
		return "80"
	}
	return p
}
