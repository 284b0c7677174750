// Package serve is Portico's serve command: PocketBase's, plus --domain
// for automatic HTTPS with certmagic (ACME on ports 80 and 443, a redirect
// server for plain HTTP, HSTS), data-dir errors that name the data dir,
// and backups that leave certificates out.
package serve

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/caddyserver/certmagic"
	"github.com/pocketbase/ozzo-validation/v4/is"
	"github.com/pocketbase/pocketbase"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/cmd"
	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

const (
	// certStorageDirName holds certificates and the ACME account under the
	// data dir, beside PocketBase's own ".autocert_cache".
	certStorageDirName = ".certmagic"

	// hstsPolicy holds browsers to HTTPS for a year; no includeSubDomains,
	// as the practice's other hosts are not Portico's to promise.
	hstsPolicy = "max-age=31536000"

	// pocketBaseDefaultAppURL is the Application URL of a fresh data dir,
	// which PocketBase does not export.
	pocketBaseDefaultAppURL = "http://localhost:8090"

	// pocketBaseDefaultHTTPAddr is where PocketBase's serve listens without
	// --http or a domain.
	pocketBaseDefaultHTTPAddr = "127.0.0.1:8090"

	// caCheckTimeout bounds the start-up look at the CA's directory.
	caCheckTimeout = 15 * time.Second
)

// httpsFlags are serve's flags for automatic HTTPS.
type httpsFlags struct {
	domains []string
	email   string
	ca      string
	caRoot  string
}

// Register replaces PocketBase's serve command with Portico's, which gives
// automatic HTTPS and sends HSTS over it.
func Register(app *pocketbase.PocketBase) {
	replaceServeCommand(app)
	app.OnBootstrap().BindFunc(explainDataDirErrors)

	app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		e.Router.BindFunc(strictTransportSecurity)
		return e.Next()
	})

	app.OnBackupCreate().BindFunc(excludeCertificates)
	app.OnBackupRestore().BindFunc(excludeCertificates)
}

// replaceServeCommand adds, in PocketBase's place, a serve command that also
// takes --domain and the ACME flags. With a domain, certificates come from
// certmagic, and Portico answers HTTP itself: PocketBase's port-80 handler
// belongs to its autocert manager, which would not know certmagic's
// HTTP-01 tokens and ignores a port already in use.
func replaceServeCommand(app *pocketbase.PocketBase) {
	var flags httpsFlags
	serve := cmd.NewServeCommand(app, true)
	serve.Short = "Starts the web server (with --domain: automatic HTTPS on ports 80 and 443)"
	serve.Flags().StringArrayVar(&flags.domains, "domain", nil,
		"domain name to serve over HTTPS with a certificate from the ACME CA (repeatable; same as the positional domains)")
	serve.Flags().StringVar(&flags.email, "acme-email", "",
		"email the CA may write to about the certificates (optional)")
	serve.Flags().StringVar(&flags.ca, "acme-ca", certmagic.LetsEncryptProductionCA,
		"ACME directory URL of the certificate authority")
	serve.Flags().StringVar(&flags.caRoot, "acme-ca-root", "",
		"PEM file with a root certificate to trust for the CA's own HTTPS (a private or test CA)")

	pocketBaseServe := serve.RunE
	serve.RunE = func(c *cobra.Command, args []string) error {
		flags.domains = append(flags.domains, args...)
		httpAddr, _ := c.Flags().GetString("http")
		httpsAddr, _ := c.Flags().GetString("https")
		origins, _ := c.Flags().GetStringSlice("origins")
		if len(flags.domains) == 0 {
			// Without a domain PocketBase would ask autocert for a
			// certificate for the listen address: never what a practice wants.
			for _, name := range []string{"https", "acme-email", "acme-ca", "acme-ca-root"} {
				if c.Flags().Changed(name) {
					return fmt.Errorf("--%s needs --domain: automatic HTTPS is off without the portal's DNS name", name)
				}
			}
			followListenAddress(app, cmp.Or(httpAddr, pocketBaseDefaultHTTPAddr))
			return pocketBaseServe(c, args)
		}
		return serveHTTPS(app, flags, cmp.Or(httpAddr, ":80"), cmp.Or(httpsAddr, ":443"), origins)
	}
	// Every interface, IPv6 too, not PocketBase's 0.0.0.0: the CA checks an
	// AAAA record over IPv6 when the name has one.
	serve.PersistentFlags().Lookup("http").Usage = "TCP address to listen for the HTTP server\n(with a domain: default :80, answering ACME challenges and redirecting to HTTPS; otherwise 127.0.0.1:8090)"
	serve.PersistentFlags().Lookup("https").Usage = "TCP address to listen for the HTTPS server\n(with a domain: default :443; needs a domain)"
	app.RootCmd.AddCommand(serve)
}

// explainDataDirErrors names the data dir in every error opening it:
// SQLite alone says "unable to open database file (14)".
func explainDataDirErrors(e *core.BootstrapEvent) error {
	if _, err := os.ReadDir(e.App.DataDir()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cannot use the data dir: %w", err)
	}
	if err := e.Next(); err != nil {
		return fmt.Errorf("cannot use the data dir %s: %w", e.App.DataDir(), err)
	}
	return nil
}

// strictTransportSecurity keeps browsers that once reached the portal
// over HTTPS from ever trying plain HTTP again.
func strictTransportSecurity(e *core.RequestEvent) error {
	if e.Request.TLS != nil {
		e.Response.Header().Set("Strict-Transport-Security", hstsPolicy)
	}
	return e.Next()
}

// excludeCertificates treats Portico's certificates like PocketBase's
// autocert cache: private keys stay out of backups (which may go to S3),
// and a restore leaves the certificates in place.
func excludeCertificates(e *core.BackupEvent) error {
	e.Exclude = append(e.Exclude, certStorageDirName)
	return e.Next()
}

// serveHTTPS runs PocketBase's server on httpsAddr with certmagic's
// certificates, and Portico's HTTP server on httpAddr for ACME HTTP-01
// challenges and redirects. Every check that can fail runs before anything
// under the data dir is written.
func serveHTTPS(app core.App, flags httpsFlags, httpAddr, httpsAddr string, origins []string) error {
	domains, err := checkDomains(flags.domains)
	if err != nil {
		return err
	}
	issuerTemplate, err := flags.issuer()
	if err != nil {
		return err
	}

	httpListener, err := listen("--http", httpAddr)
	if err != nil {
		return err
	}
	defer httpListener.Close()
	httpsListener, err := listen("--https", httpsAddr)
	if err != nil {
		return err
	}
	defer httpsListener.Close()

	logger := certLogger()
	issuerTemplate.Logger = logger
	// certmagic's own challenge servers try these ports, find them taken by
	// the listeners above and leave the answers to them.
	issuerTemplate.AltHTTPPort = listenerPort(httpListener)
	issuerTemplate.AltTLSALPNPort = listenerPort(httpsListener)

	var magic *certmagic.Config
	cache := certmagic.NewCache(certmagic.CacheOptions{
		GetConfigForCert: func(certmagic.Certificate) (*certmagic.Config, error) { return magic, nil },
		Logger:           logger.WithOptions(zap.IncreaseLevel(zap.WarnLevel)), // no chatter on every start and stop
	})
	defer cache.Stop()
	// The defaults staple OCSP responses and renew in the background.
	magic = certmagic.New(cache, certmagic.Config{
		Storage: &certmagic.FileStorage{Path: filepath.Join(app.DataDir(), certStorageDirName)},
		Logger:  logger,
	})
	issuer := certmagic.NewACMEIssuer(magic, issuerTemplate)
	magic.Issuers = []certmagic.Issuer{issuer}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	if err := checkCA(ctx, magic, issuer, domains); err != nil {
		return err
	}

	httpServer := &http.Server{
		Handler:           issuer.HTTPChallengeHandler(redirectToHTTPS(domains, strconv.Itoa(issuerTemplate.AltTLSALPNPort))),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       time.Minute,
	}
	go func() {
		if err := httpServer.Serve(httpListener); !errors.Is(err, http.ErrServerClosed) {
			app.Logger().Error("HTTP server for challenges and redirects stopped", "error", err)
		}
	}()
	defer httpServer.Close()

	app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		e.Listener = httpsListener
		tlsConfig := magic.TLSConfig() // answers TLS-ALPN-01 through its acme-tls/1 protocol
		tlsConfig.MinVersion = tls.VersionTLS12
		e.Server.TLSConfig = tlsConfig

		if err := e.Next(); err != nil {
			return err
		}
		if err := followDomain(app, domains[0]); err != nil {
			return err
		}
		// Asynchronous, because challenges need the server that starts when
		// this hook returns; failures are logged and retried.
		return magic.ManageAsync(ctx, domains)
	})

	err = apis.Serve(app, apis.ServeConfig{
		HttpsAddr:          httpsAddr,
		ShowStartBanner:    true,
		AllowedOrigins:     origins,
		CertificateDomains: domains,
	})
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// certLogger writes certmagic's news (obtained, renewed, failed and why) to
// stderr, dated like PocketBase's own console lines.
func certLogger() *zap.Logger {
	encoding := zap.NewProductionEncoderConfig()
	encoding.EncodeTime = zapcore.TimeEncoderOfLayout("2006/01/02 15:04:05")
	return zap.New(zapcore.NewCore(zapcore.NewConsoleEncoder(encoding), zapcore.Lock(os.Stderr), zap.InfoLevel))
}

// checkDomains returns the names lower-cased, or says which one is not a
// name a CA can validate over HTTP or TLS-ALPN.
func checkDomains(names []string) ([]string, error) {
	var domains []string
	for _, name := range names {
		domain := strings.ToLower(strings.TrimSpace(name))
		if !certmagic.SubjectQualifiesForCert(domain) || certmagic.SubjectIsIP(domain) ||
			strings.ContainsAny(domain, "*:/") || !strings.Contains(domain, ".") {
			return nil, fmt.Errorf("--domain %q: want a DNS name such as portal.example.com (no scheme, port, path or wildcard)", name)
		}
		if !slices.Contains(domains, domain) {
			domains = append(domains, domain)
		}
	}
	return domains, nil
}

// issuer checks the ACME flags and returns the issuer they describe.
func (f httpsFlags) issuer() (certmagic.ACMEIssuer, error) {
	issuer := certmagic.ACMEIssuer{
		CA:     f.ca,
		Email:  strings.TrimSpace(f.email),
		Agreed: true, // running with --domain is the operator's agreement to the CA's terms
	}
	if ca, err := url.Parse(f.ca); err != nil || ca.Scheme != "https" || ca.Host == "" {
		return issuer, fmt.Errorf("--acme-ca %q: want the https:// URL of an ACME directory", f.ca)
	}
	if issuer.Email != "" && is.EmailFormat.Validate(issuer.Email) != nil {
		return issuer, fmt.Errorf("--acme-email %q is not an email address", f.email)
	}
	if f.caRoot != "" {
		pem, err := os.ReadFile(f.caRoot)
		if err != nil {
			return issuer, fmt.Errorf("--acme-ca-root: %w", err)
		}
		roots, err := x509.SystemCertPool()
		if err != nil {
			roots = x509.NewCertPool()
		}
		if !roots.AppendCertsFromPEM(pem) {
			return issuer, fmt.Errorf("--acme-ca-root %s: no PEM certificate in the file", f.caRoot)
		}
		issuer.TrustedRoots = roots
	}
	return issuer, nil
}

// listen opens addr, saying in the operator's terms why it cannot.
func listen(flag, addr string) (net.Listener, error) {
	listener, err := net.Listen("tcp", addr)
	switch {
	case err == nil:
		return listener, nil
	case errors.Is(err, syscall.EADDRINUSE):
		return nil, fmt.Errorf("%s %s: the port is already in use by another program", flag, addr)
	case errors.Is(err, syscall.EACCES):
		return nil, fmt.Errorf("%s %s: permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)", flag, addr)
	default:
		return nil, fmt.Errorf("%s %s: %w", flag, addr, err)
	}
}

func listenerPort(listener net.Listener) int {
	return listener.Addr().(*net.TCPAddr).Port
}

// checkCA makes sure the CA answers when a certificate has to be obtained,
// so that a wrong --acme-ca fails the start instead of a background retry.
// With every certificate already stored, the portal starts even while the
// CA is down.
func checkCA(ctx context.Context, magic *certmagic.Config, issuer *certmagic.ACMEIssuer, domains []string) error {
	stored := func(domain string) bool {
		return magic.Storage.Exists(ctx, certmagic.StorageKeys.SiteCert(issuer.IssuerKey(), domain))
	}
	if !slices.ContainsFunc(domains, func(d string) bool { return !stored(d) }) {
		return nil
	}

	ctx, cancel := context.WithTimeout(ctx, caCheckTimeout)
	defer cancel()
	client := &http.Client{Transport: &http.Transport{
		Proxy:           http.ProxyFromEnvironment,
		TLSClientConfig: &tls.Config{RootCAs: issuer.TrustedRoots},
	}}
	request, err := http.NewRequestWithContext(ctx, http.MethodGet, issuer.CA, nil)
	if err != nil {
		return fmt.Errorf("--acme-ca %s: %w", issuer.CA, err)
	}
	response, err := client.Do(request)
	if err != nil {
		var urlErr *url.Error
		if errors.As(err, &urlErr) {
			err = urlErr.Err
		}
		hint := ""
		if errors.As(err, new(x509.UnknownAuthorityError)) {
			hint = " (for a private CA, pass its root with --acme-ca-root)"
		}
		return fmt.Errorf("cannot reach the certificate authority at %s: %v%s", issuer.CA, err, hint)
	}
	defer response.Body.Close()

	var directory struct {
		NewOrder string `json:"newOrder"`
	}
	if response.StatusCode != http.StatusOK || json.NewDecoder(response.Body).Decode(&directory) != nil || directory.NewOrder == "" {
		return fmt.Errorf("--acme-ca %s is not an ACME directory (HTTP %d)", issuer.CA, response.StatusCode)
	}
	return nil
}

// redirectToHTTPS sends every plain HTTP request to the same place over
// HTTPS, on one of the portal's own names so it can never point elsewhere.
func redirectToHTTPS(domains []string, httpsPort string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.Host)
		if err != nil {
			host = r.Host
		}
		host = strings.ToLower(host)
		if !slices.Contains(domains, host) {
			host = domains[0]
		}
		if httpsPort != "443" {
			host = net.JoinHostPort(host, httpsPort)
		}
		http.Redirect(w, r, "https://"+host+r.URL.RequestURI(), http.StatusPermanentRedirect)
	})
}

// followDomain makes the first domain the Application URL while the
// dashboard still has a placeholder (see isPlaceholderURL), so mailed
// links (from serve and from CLI commands alike) point at the portal,
// never at localhost.
func followDomain(app core.App, domain string) error {
	return followURL(app, "https://"+domain, "--domain")
}

// followListenAddress makes the address serve listens on the Application
// URL while the dashboard has a placeholder: a portal tried on another
// port must not mail links to whatever answers on localhost:8090.
func followListenAddress(app core.App, httpAddr string) {
	app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		if err := e.Next(); err != nil {
			return err
		}
		return followURL(app, "http://"+linkHost(httpAddr), "--http")
	})
}

// followURL sets the Application URL to address while it is a placeholder,
// and prints the address every mailed link uses, whichever it is.
func followURL(app core.App, address, flag string) error {
	if current := app.Settings().Meta.AppURL; current != address && isPlaceholderURL(current) {
		settings, err := app.Settings().Clone()
		if err != nil {
			return err
		}
		settings.Meta.AppURL = address
		if err := app.Save(settings); err != nil {
			return fmt.Errorf("setting the Application URL to %s: %w", address, err)
		}
		app.Logger().Info("Application URL set from "+flag+"; change it in Settings > Application", "url", address)
	}
	fmt.Printf("Mailed links use %s (Settings > Application URL)\n", app.Settings().Meta.AppURL)
	return nil
}

// isPlaceholderURL tells whether the Application URL is PocketBase's
// default or another plain-HTTP address on this machine (one an earlier
// serve set from its --http): no client elsewhere could open such a link,
// so following the address serve now listens on is never worse.
func isPlaceholderURL(raw string) bool {
	if raw == "" || raw == pocketBaseDefaultAppURL {
		return true
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" {
		return false
	}
	if u.Hostname() == "localhost" {
		return true
	}
	ip := net.ParseIP(u.Hostname())
	return ip != nil && (ip.IsLoopback() || ip.IsUnspecified())
}

// linkHost is the host:port a browser on this machine reaches a listen
// address at: an address on every interface is reached as localhost.
func linkHost(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}
