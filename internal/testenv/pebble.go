package testenv

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// ACMEServer is a running Pebble, the Let's Encrypt test CA, resolving every
// name to 127.0.0.1 through pebble-challtestsrv's DNS.
type ACMEServer struct {
	Directory      string         // the ACME directory URL, for --acme-ca
	ServerRootFile string         // the root of Pebble's own HTTPS, for --acme-ca-root
	IssuerRoots    *x509.CertPool // the root Pebble issues under
	Root           *x509.Certificate
	Intermediate   *x509.Certificate

	processes []*exec.Cmd
}

// StartPebble runs Pebble so that it validates challenges on the ports of
// httpAddr (HTTP-01) and httpsAddr (TLS-ALPN-01).
func StartPebble(t *testing.T, httpAddr, httpsAddr string) *ACMEServer {
	t.Helper()
	pebble, err := exec.LookPath("pebble")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("pebble is not installed (apt-get install pebble): CI must run the HTTPS test")
		}
		t.Skip("pebble is not installed (apt-get install pebble)")
	}
	challtestsrv, err := exec.LookPath("pebble-challtestsrv")
	if err != nil {
		t.Fatal("pebble-challtestsrv is missing beside pebble")
	}

	dir := t.TempDir()
	rootFile, certFile, keyFile := ServerCertificate(t, dir)
	dnsAddr, listenAddr, managementAddr := FreeAddr(t), FreeAddr(t), FreeAddr(t)
	config := map[string]any{"pebble": map[string]any{
		"listenAddress":           listenAddr,
		"managementListenAddress": managementAddr,
		"certificate":             certFile,
		"privateKey":              keyFile,
		"httpPort":                portOf(t, httpAddr),
		"tlsPort":                 portOf(t, httpsAddr),
		"ocspResponderURL":        "",
	}}
	configFile := filepath.Join(dir, "pebble.json")
	encoded, _ := json.Marshal(config)
	if err := os.WriteFile(configFile, encoded, 0o600); err != nil {
		t.Fatal(err)
	}

	ca := &ACMEServer{Directory: "https://" + listenAddr + "/dir", ServerRootFile: rootFile}
	t.Cleanup(ca.Stop)
	ca.run(t, exec.Command(challtestsrv, "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "",
		"-dns01", dnsAddr, "-management", FreeAddr(t), "-http01", "", "-https01", "", "-tlsalpn01", ""))
	server := exec.Command(pebble, "-config", configFile, "-dnsserver", dnsAddr)
	server.Env = append(os.Environ(), "PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0")
	ca.run(t, server)

	serverRoots := x509.NewCertPool()
	rootPEM, _ := os.ReadFile(rootFile)
	serverRoots.AppendCertsFromPEM(rootPEM)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: serverRoots}}}
	getWhenUp(t, client, ca.Directory)
	ca.Root = fetchCertificate(t, client, "https://"+managementAddr+"/roots/0")
	ca.Intermediate = fetchCertificate(t, client, "https://"+managementAddr+"/intermediates/0")
	ca.IssuerRoots = x509.NewCertPool()
	ca.IssuerRoots.AddCert(ca.Root)
	return ca
}

func (ca *ACMEServer) run(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if testing.Verbose() {
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ca.processes = append(ca.processes, cmd)
}

// Stop ends Pebble and its DNS server.
func (ca *ACMEServer) Stop() {
	for _, p := range ca.processes {
		p.Process.Kill()
		p.Wait()
	}
	ca.processes = nil
}

// fetchCertificate reads a PEM certificate from Pebble's management API.
func fetchCertificate(t *testing.T, client *http.Client, url string) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode(getWhenUp(t, client, url))
	if block == nil {
		t.Fatalf("Pebble's %s is not a PEM certificate", url)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// getWhenUp waits for url to answer 200 and returns the body.
func getWhenUp(t *testing.T, client *http.Client, url string) []byte {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := client.Get(url)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return body
			}
			err = errors.New(resp.Status)
		}
		if time.Now().After(deadline) {
			t.Fatalf("Pebble did not serve %s within 15s: %v", url, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ServerCertificate writes a throwaway CA and a certificate for 127.0.0.1
// and localhost into dir: for Pebble's own HTTPS (the Debian package ships
// neither) and a mail server's STARTTLS.
func ServerCertificate(t *testing.T, dir string) (rootFile, certFile, keyFile string) {
	t.Helper()
	rootKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	root := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Portico test CA for Pebble"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	rootDER, err := x509.CreateCertificate(rand.Reader, root, root, &rootKey.PublicKey, rootKey)
	if err != nil {
		t.Fatal(err)
	}
	root, _ = x509.ParseCertificate(rootDER)

	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, root, &key.PublicKey, rootKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)

	rootFile, certFile, keyFile = filepath.Join(dir, "root.pem"), filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	for file, block := range map[string]*pem.Block{
		rootFile: {Type: "CERTIFICATE", Bytes: rootDER},
		certFile: {Type: "CERTIFICATE", Bytes: leafDER},
		keyFile:  {Type: "EC PRIVATE KEY", Bytes: keyDER},
	} {
		if err := os.WriteFile(file, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return rootFile, certFile, keyFile
}

// portOf is the port number of a host:port address.
func portOf(t testing.TB, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	n, convErr := strconv.Atoi(p)
	if err != nil || convErr != nil {
		t.Fatalf("%q has no port", addr)
	}
	return n
}
